/* api_fn — function mode over HTTP: deploys, functions and versions, their
 * env, and invocations. See api_fn.c. */
#ifndef CORRAL_API_FN_H
#define CORRAL_API_FN_H

#include "supervisor/api/api_common.h"

/* The function-mode routes. path is the request path. */
void api_fn_functions(struct api *a, struct http_req *r, const char *path);
void api_fn_invoke(struct api *a, struct http_req *r, const char *path);
void api_fn_closed(struct api *a, struct http_req *r, void *app);
void api_fn_release(struct api *a);
/* Whether an http_req's app object is a function invocation's. */
int api_fn_kind(const void *app);
/* The same for a deploy waiting for its entry check. */
int api_fn_deploy_kind(const void *app);
void api_fn_deploy_closed(struct api *a, void *app);

/* A package run as a function (api_fn_start): what runs, for whom. */
struct api_fn_target {
	const char *tenant;
	const char *package_hash;
	const char *binding;        /* besides tenant and env, what a worker is bound to ("name@3") */
	uint64_t timeout_ms, memory_mb; /* 0: the service's */
	char **env;                 /* "NAME=value", taken (store_strings_free) */
	size_t nenv;
	bool envelope;              /* answer with the /run JSON envelope, not the raw response */
	bool missing_is_404;        /* a package not in the store: 404 bundle_not_found, not 503 */
};

/* The request the handler sees; every pointer is taken by api_fn_start. */
struct api_fn_request {
	char *method, *path, *query;
	char **headers;             /* "Name: value" */
	size_t nheaders;
	char *body;
	size_t body_len;
	bool has_body;
};

/* Runs t's package's handler for q and answers r with its response (raw
 * and streamed, or the envelope). Takes t->env and q's strings. */
void api_fn_start(struct api *a, struct http_req *r, const struct api_fn_target *t, struct api_fn_request *q);
/* Fills q from a {method, path, query, headers, body} object. 0 or -ENOMEM
 * (q then holds what it got: api_fn_start or free it). */
#include <jansson.h>
int api_fn_request_from_json(json_t *req, struct api_fn_request *q);
/* Parses an upload (tar.gz, zip or the JSON files form) with the package
 * limits. 0, or -1 with r answered (415, 413, 400). */
struct package;
int api_fn_parse_upload(struct api *a, struct http_req *r, struct package **p, json_t **root,
			uint64_t *timeout, uint64_t *memory);
/* Has a worker compile p's entry (never run it); then calls then, or
 * answers r 400 naming the entry. Takes p and root. */
typedef void (*api_fn_checked_cb)(struct api *a, struct http_req *r, const char *tenant, const char *name,
				  struct package *p, json_t *root, uint64_t timeout, uint64_t memory);
void api_fn_check(struct api *a, struct http_req *r, const char *tenant, const char *name,
		  struct package *p, json_t *root, uint64_t timeout, uint64_t memory, api_fn_checked_cb then);
/* The checks of an invocation's request before its route (body cap,
 * draining, unsent answers): false when r is answered already. */
bool api_fn_admit(struct api *a, struct http_req *r);

#endif
