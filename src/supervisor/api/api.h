/* api — the HTTP routes of API.md and their handlers.
 *
 * The route table maps method and path to a handler; each handler checks
 * auth, validates its input (a 4xx JSON error naming the field for anything
 * wrong), and either answers at once or submits a job to the pool and
 * answers when the job ends (JSON, SSE or NDJSON). */
#ifndef CORRAL_API_H
#define CORRAL_API_H

#include <stdbool.h>

#include "supervisor/http.h"

struct pool;
struct store;
struct metrics;
struct ratelimit;
struct serve_config;
struct sandbox_caps;

struct api {
	const struct serve_config *cfg;
	const struct sandbox_caps *caps;
	struct pool *pool;
	struct store *store;
	struct metrics *metrics;
	struct ratelimit *rl;
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

/* Deletes expired sessions and refreshes the sessions gauge (every
 * CORRAL_SESSION_SWEEP_S). */
void api_sessions_sweep(struct api *a);

/* Writes the executions recorded since the last call in one transaction. */
void api_flush_records(struct api *a);
void api_release(struct api *a);

extern const struct http_handlers api_handlers;

#endif
