/* metrics — the service's counters and histograms, rendered two ways.
 *
 * One struct metrics per service holds what only the service can count as it
 * happens: executions by outcome, two latency histograms (execution wall
 * time, queue wait), HTTP requests by route and status code, and worker
 * lifecycle events. Point-in-time values owned by other modules (pool sizes,
 * queue depth, sessions, the module cache's own counters) are not copied in
 * as they change: the caller gathers them into a struct metrics_gauges at
 * render time, so there is one source of truth for each number.
 *
 * Rendering writes either Prometheus text exposition format 0.0.4 (GET
 * /metrics) or the JSON object of API.md (GET /v1/metrics) into a caller's
 * buf. A render that does not fit the buf's cap fails with -ENOBUFS and
 * leaves the buf as it was; METRICS_RENDER_CAP is always enough.
 *
 * Histograms use fixed buckets (upper bounds in seconds: 0.0005 0.001 0.0025
 * 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 +Inf). Every
 * metrics_exec_done() call is observed in both histograms, so each one's
 * _count equals the sum of corral_executions_total. Observations are clamped
 * to [0, METRICS_MAX_MS]; NaN counts as 0.
 *
 * The JSON latencyMs p50/p99 are estimates from the execution histogram, the
 * way Prometheus's histogram_quantile() makes them: the rank q * count is
 * found in the cumulative bucket counts, and the value is interpolated
 * linearly between the bucket's lower and upper bound (0 for the first
 * bucket), i.e. observations are assumed spread evenly inside a bucket. The
 * +Inf bucket has no upper bound, so the largest value observed stands in
 * for it; every estimate is also capped at that largest value. With no
 * executions both are 0. The error is at most the width of one bucket.
 *
 * HTTP label sets are bounded: the first METRICS_HTTP_PAIRS distinct
 * route × code pairs get series of their own; later pairs, a route that is
 * NULL, longer than METRICS_ROUTE_MAX - 1 bytes, not printable ASCII, or the
 * literal "other", are counted under route="other" with their code kept. A
 * status outside 100–599 is counted as code "0". So the series count is
 * bounded by 64 + 501 whatever the requests are.
 *
 * Not thread-safe, and needs no locking: corral serve runs one event loop,
 * and every call is made from it. */
#ifndef CORRAL_METRICS_H
#define CORRAL_METRICS_H

#include <stdint.h>

#include "common/outcome.h"
#include "common/buf.h"

#define METRICS_HTTP_PAIRS 64     /* distinct route × code series kept */
#define METRICS_ROUTE_MAX 64      /* bytes of a route label, with its NUL */
#define METRICS_MAX_MS 1e9        /* observations are clamped here (~11.6 days) */
#define METRICS_RENDER_CAP (256u << 10) /* a buf cap that always fits either rendering */
#define METRICS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metrics_pool_event {
	METRICS_WORKER_CREATED,   /* a worker process was started */
	METRICS_WORKER_DESTROYED, /* a worker process ended, for whatever reason */
	METRICS_WORKER_CORRUPTED, /* a worker was found unfit for reuse; its end is
	                             also reported as DESTROYED */
};

/* Point-in-time values owned by other modules, gathered at render time. */
/* One labelled value of a gauge family. */
struct metrics_count {
	char label[72];
	unsigned n;
};
/* At most this many series per labelled in-flight family (tenant, worker). */
#define METRICS_INFLIGHT_SERIES 256

struct metrics_gauges {
	unsigned pool_total, pool_available, pool_active, pool_max, queue_depth, sessions;
	unsigned inflight, inflight_worker_max;
	/* Executions in flight (admitted, not yet answered) of each tenant with
	 * any, and running in each worker with any (label: its pid). */
	const struct metrics_count *tenant_inflight, *worker_inflight;
	size_t ntenant_inflight, nworker_inflight;
	uint64_t module_cache_size, module_cache_hits, module_cache_misses, module_cache_evictions;
};

struct metrics; /* one per service */

/* Returns NULL when out of memory. Caller frees with metrics_free. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m); /* NULL is a no-op */

/* The recording calls cannot fail; with m NULL they record nothing. */

/* Counts one answered request. route is a fixed label like "/v1/execute",
 * borrowed for the call only (it is copied when it gets a series). */
void metrics_request(struct metrics *m, const char *route, int http_status);
/* Counts one finished execution and observes its wall and queue times. */
void metrics_exec_done(struct metrics *m, enum outcome o, double wall_ms, double queue_ms);
void metrics_pool_event(struct metrics *m, enum metrics_pool_event ev);

/* Executions that ended in o so far; 0 for an out-of-range o. */
uint64_t metrics_exec_count(const struct metrics *m, enum outcome o);
/* Estimated execution wall-time quantile (0 <= q <= 1) in ms; see the top. */
double metrics_exec_quantile_ms(const struct metrics *m, double q);

/* Append the Prometheus text (0.0.4) or the API.md JSON object to out.
 * g may be NULL (all gauges 0). Return 0, or -ENOBUFS/-ENOMEM with out
 * unchanged. */
int metrics_render_prometheus(const struct metrics *m, const struct metrics_gauges *g,
			      struct buf *out);
int metrics_render_json(const struct metrics *m, const struct metrics_gauges *g, struct buf *out);

#endif
