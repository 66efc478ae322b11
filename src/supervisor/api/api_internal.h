/* Shared between api.c (code mode, operations) and api_fn.c (function
 * mode). Nothing else includes this. */
#ifndef CORRAL_API_INTERNAL_H
#define CORRAL_API_INTERNAL_H

#include <stdbool.h>

#include "supervisor/api/api.h"
#include "supervisor/filter.h"
#include "supervisor/pool.h"
#include "common/result.h"
#include "common/buf.h"

enum exec_mode { MODE_JSON, MODE_SSE, MODE_NDJSON, MODE_COMPAT };

/* One code-mode execution request, from its parse to its answer. */
struct api_exec {
	int kind;                 /* 0 here; api_fn.c's invocations differ */
	struct pool_job pj;
	struct api *api;
	struct http_req *r;       /* NULL once the client is gone */
	enum exec_mode mode;
	char id[65];
	char *code;
	size_t code_len;
	char **env;
	size_t nenv;
	int pii;                  /* the request's "pii": 1, 0, or -1 when not given */
	struct buf out, err, both;
	struct filter *flt;       /* what leaves the execution goes through it */
	struct api_tenant_cfg *tc; /* held while flt borrows its rules */
	struct filter_stream fs_out, fs_err;
	bool rl_held;
	bool running;             /* in the pool */
	int64_t started_at;       /* Unix ms, for the session's history */

	/* Sessions: the executions of one session run one at a time, in
	 * order, through its lane (api_session.c). */
	char session_id[65];
	struct api_lane *lane;
	bool in_lane;             /* waiting in the lane, not yet in the pool */
	struct api_exec *lane_next;
	bool session_pii;         /* the session's own default */
	char *state;              /* the stored state sent with the job; owned */
	/* The env values the session was given before, with this request's:
	 * its output is filtered for all of them (a binding keeps a secret
	 * past the request that brought it). */
	char **fenv;
	size_t nfenv;
	char *secrets_commit;     /* the session's new secrets text, NULL: unchanged */
	bool not_run;             /* answered here (the policy): no worker saw it */
	unsigned tokens_asked;    /* PII token lookups so far (api_session_token) */
};

/* A tenant's settings, compiled (api_settings.c); cached for a few seconds
 * so every node sees a change soon without a read per request. */
struct api_tenant_cfg {
	char tenant[65];
	uint64_t loaded_ns;
	struct filter_rules *rules;   /* the tenant's secret patterns, or NULL */
	struct policy *policy;        /* the validation policy, or NULL */
	int pii;                      /* 1/0, or -1: the service's default */
	unsigned refs;                /* the cache's, and each execution's that uses it */
	struct api_tenant_cfg *next;
};

void api__respond_json(struct http_req *r, int status, const struct buf *b);
void api__error_json(struct http_req *r, int status, const char *code, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void api__retry_after(struct http_req *r, unsigned s);
/* Sets tenant, or answers 401 and returns false. */
bool api__authenticate(struct api *a, struct http_req *r, char tenant[65], bool compat);
/* Queues an execution record for the next api_flush_records. */
void api__record(struct api *a, const char *id, const char *tenant, const struct result *res,
		 const struct buf *logs);

/* api.c: sends x to the pool (or answers it at once when the tenant's
 * validation policy rejects the code). Returns 0, or -EAGAIN when the queue
 * is full (x is untouched and still the caller's). */
int api__exec_start(struct api_exec *x);
/* The error's name, message and stack of res through f. */
void api__filter_error(struct filter *f, struct result *res);
/* Starts the answer of a running execution (headers, the SSE/NDJSON stream). */
void api__exec_started(struct api_exec *x);
void api__exec_free(struct api_exec *x);
/* Ends x as refused (503) or with an error answer before it ran. */
void api__exec_refuse(struct api_exec *x, int status, const char *code, const char *field, const char *msg);

/* api_session.c */
void api_session_routes(struct api *a, struct http_req *r, const char *path);
/* Runs x in its session's lane: now when the lane is free, else after the
 * executions before it. Answers the request itself on any fault. Returns
 * true when x was taken (running or waiting). */
bool api_session_submit(struct api *a, struct api_exec *x);
/* x ended: its history row and the new state in one transaction. */
void api_session_done(struct api *a, struct api_exec *x, const struct result *res);
/* The client of x went away while it waited in its lane. */
void api_session_closed(struct api *a, struct api_exec *x);
/* Starts what waits in free lanes (from the loop, never inside a pool
 * callback). */
void api_session_kick(struct api *a);
/* The PII token callback for a session (ud: the api_exec). */
int api_session_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num);
void api_session_release(struct api *a);
/* The pool binding of a session. */
void api_session_binding(const char *tenant, const char *id, char *out, size_t n);

/* api_settings.c */
void api_settings_route(struct api *a, struct http_req *r);
/* The tenant's compiled settings (never NULL: a default on any fault), with
 * a reference the caller drops with api__tenant_cfg_put once nothing it
 * made from them (a filter borrows the rules) is in use. */
struct api_tenant_cfg *api__tenant_cfg(struct api *a, const char *tenant);
void api__tenant_cfg_put(struct api_tenant_cfg *t);
/* The service's own secret patterns (the built-in set), or NULL. */
const struct filter_rules *api__service_rules(struct api *a);
void api_settings_release(struct api *a);

/* api_fn.c: the function-mode routes. path is the request path. */
void api_fn_functions(struct api *a, struct http_req *r, const char *path);
void api_fn_invoke(struct api *a, struct http_req *r, const char *path);
void api_fn_closed(struct api *a, struct http_req *r, void *app);
void api_fn_release(struct api *a);
/* Whether an http_req's app object is a function invocation's. */
int api_fn_kind(const void *app);
/* The same for a deploy waiting for its entry check. */
int api_fn_deploy_kind(const void *app);
void api_fn_deploy_closed(struct api *a, void *app);

#endif
