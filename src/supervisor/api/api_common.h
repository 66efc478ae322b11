/* api_common — what every route file of the API uses: the service's API
 * state (struct api), JSON answers and errors, authentication, the queue of
 * execution records, and the filtering of an error's texts.
 *
 * The files of src/supervisor/api/ sit in layers, each using only the ones
 * below it: api_common; api_settings (a tenant's compiled settings);
 * api_exec (a code-mode execution) and api_fn (function mode); api_session
 * (a session's lane, on top of api_exec); api_ops (health, metrics,
 * execution records); api.c, the route table, on top of all of them. */
#ifndef CORRAL_API_COMMON_H
#define CORRAL_API_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/result.h"
#include "supervisor/http.h"

struct pool;
struct store;
struct metrics;
struct ratelimit;
struct serve_config;
struct sandbox_caps;
struct filter;

struct api {
	const struct serve_config *cfg;
	const struct sandbox_caps *caps;
	struct pool *pool;
	struct store *store;
	struct metrics *metrics;
	struct ratelimit *rl;
	const struct http_server *http; /* for the bytes of answers not yet read */
	bool dev_mode;       /* no keys and a loopback listener: tenant "default" */
	bool draining;
	unsigned sessions;
	uint64_t fn_warm, fn_cold;   /* function invocations: module cache hits, misses */
	struct api_record *records;  /* executions to write at the next flush */
	struct api_lane *lanes;      /* sessions with executions in flight */
	struct api_tenant_cfg *tenants; /* compiled tenant settings, cached */
	struct filter_rules *service_rules;
	bool service_rules_failed;
};

void api__respond_json(struct http_req *r, int status, const struct buf *b);
void api__error_json(struct http_req *r, int status, const char *code, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The compatibility route's errors: {"error": "message"}. */
void api__error_compat(struct http_req *r, int status, const char *msg);
void api__retry_after(struct http_req *r, unsigned s);
/* Whether answers other clients have not read hold more than
 * CORRAL_MAX_UNSENT_MB: then r is answered 503 (Retry-After) and true. */
bool api__unsent_full(struct api *a, struct http_req *r, bool compat);
/* Sets tenant, or answers 401 and returns false. */
bool api__authenticate(struct api *a, struct http_req *r, char tenant[65], bool compat);
/* Queues an execution record for the next api__records_flush. */
void api__record(struct api *a, const char *id, const char *tenant, const struct result *res,
		 const struct buf *logs);
/* Writes the queued records in one transaction. */
void api__records_flush(struct api *a);
/* The error's name, message and stack of res through f. */
void api__filter_error(struct filter *f, struct result *res);

#endif
