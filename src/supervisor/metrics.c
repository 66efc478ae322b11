/* metrics — see metrics.h. */
#include "supervisor/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* Bucket upper bounds, in ms for exact comparison (every one is a binary
 * fraction, so v <= ms is exact) and as the le label Prometheus shows. */
static const struct {
	double ms;
	const char *le;
} buckets[] = {
	{ 0.5, "0.0005" }, { 1, "0.001" },   { 2.5, "0.0025" }, { 5, "0.005" },
	{ 10, "0.01" },    { 25, "0.025" },  { 50, "0.05" },    { 100, "0.1" },
	{ 250, "0.25" },   { 500, "0.5" },   { 1000, "1" },     { 2500, "2.5" },
	{ 5000, "5" },     { 10000, "10" },  { 30000, "30" },
};
#define NBOUNDS (sizeof buckets / sizeof *buckets)
#define NBUCKETS (NBOUNDS + 1) /* the last one is +Inf */

/* Invariant: count is the sum of n[], sum_ms the sum of the (clamped)
 * observations, max_ms the largest of them (0 when count is 0). n[] holds
 * per-bucket counts; the rendering makes them cumulative. */
struct histogram {
	uint64_t n[NBUCKETS];
	uint64_t count;
	double sum_ms;
	double max_ms;
};

/* Status codes are kept as slots: 0 for anything outside 100–599. */
#define CODE_SLOTS 501

struct http_pair {
	char route[METRICS_ROUTE_MAX];
	int code; /* 0 or 100–599 */
	uint64_t n;
};

struct metrics {
	uint64_t exec[OUTCOME__COUNT];
	struct histogram wall, queue;
	uint64_t workers_created, workers_destroyed, workers_corrupted;
	/* Series of their own, in first-seen order; pairs[0..npairs) are in use
	 * and no two share route and code. */
	struct http_pair pairs[METRICS_HTTP_PAIRS];
	unsigned npairs;
	uint64_t other[CODE_SLOTS]; /* route="other", by code slot */
};

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static int code_slot(int status)
{
	return status >= 100 && status <= 599 ? status - 99 : 0;
}

static int slot_code(int slot)
{
	return slot ? slot + 99 : 0;
}

/* A route gets a series of its own only if it is a short printable ASCII
 * label; anything else could not be told apart from "other", or would need
 * more escaping than a route label deserves. */
static bool route_ok(const char *route)
{
	if (!route || strcmp(route, "other") == 0)
		return false;
	size_t i;
	for (i = 0; route[i]; i++) {
		if (i + 1 >= METRICS_ROUTE_MAX)
			return false;
		if ((unsigned char)route[i] < 0x20 || (unsigned char)route[i] > 0x7e)
			return false;
	}
	return i > 0;
}

void metrics_request(struct metrics *m, const char *route, int http_status)
{
	if (!m)
		return;
	int slot = code_slot(http_status);
	int code = slot_code(slot);
	if (route_ok(route)) {
		for (unsigned i = 0; i < m->npairs; i++) {
			if (m->pairs[i].code == code && strcmp(m->pairs[i].route, route) == 0) {
				m->pairs[i].n++;
				return;
			}
		}
		if (m->npairs < METRICS_HTTP_PAIRS) {
			struct http_pair *p = &m->pairs[m->npairs++];
			strcpy(p->route, route); /* route_ok checked the length */
			p->code = code;
			p->n = 1;
			return;
		}
	}
	m->other[slot]++;
}

static double clamp_ms(double v)
{
	if (!(v >= 0)) /* negative or NaN */
		return 0;
	return v > METRICS_MAX_MS ? METRICS_MAX_MS : v;
}

static void histogram_observe(struct histogram *h, double ms)
{
	ms = clamp_ms(ms);
	size_t i = 0;
	while (i < NBOUNDS && ms > buckets[i].ms)
		i++;
	h->n[i]++;
	h->count++;
	h->sum_ms += ms;
	if (ms > h->max_ms)
		h->max_ms = ms;
}

void metrics_exec_done(struct metrics *m, enum outcome o, double wall_ms, double queue_ms)
{
	if (!m)
		return;
	if ((unsigned)o >= OUTCOME__COUNT)
		o = OUTCOME_INTERNAL;
	m->exec[o]++;
	histogram_observe(&m->wall, wall_ms);
	histogram_observe(&m->queue, queue_ms);
}

void metrics_pool_event(struct metrics *m, enum metrics_pool_event ev)
{
	if (!m)
		return;
	switch (ev) {
	case METRICS_WORKER_CREATED:
		m->workers_created++;
		break;
	case METRICS_WORKER_DESTROYED:
		m->workers_destroyed++;
		break;
	case METRICS_WORKER_CORRUPTED:
		m->workers_corrupted++;
		break;
	}
}

uint64_t metrics_exec_count(const struct metrics *m, enum outcome o)
{
	return m && (unsigned)o < OUTCOME__COUNT ? m->exec[o] : 0;
}

/* histogram_quantile() over our buckets, with the largest observation as
 * the upper bound of +Inf and as a cap on the answer: see metrics.h. */
static double histogram_quantile_ms(const struct histogram *h, double q)
{
	if (!h->count)
		return 0;
	if (!(q >= 0))
		q = 0;
	if (q > 1)
		q = 1;
	double rank = q * (double)h->count;
	uint64_t below = 0;
	size_t i = 0;
	/* The first bucket whose cumulative count reaches rank (and holds at
	 * least one observation, so that q = 0 does not land in an empty one). */
	while (i < NBUCKETS - 1 && (below + h->n[i] < rank || !h->n[i])) {
		below += h->n[i];
		i++;
	}
	double lo = i ? buckets[i - 1].ms : 0;
	double hi = i < NBOUNDS ? buckets[i].ms : h->max_ms;
	if (hi < lo) /* +Inf bucket: max_ms is above the last bound by construction */
		hi = lo;
	double v = h->n[i] ? lo + (hi - lo) * ((rank - (double)below) / (double)h->n[i]) : hi;
	return v > h->max_ms ? h->max_ms : v;
}

double metrics_exec_quantile_ms(const struct metrics *m, double q)
{
	return m ? histogram_quantile_ms(&m->wall, q) : 0;
}

/* --- Rendering --------------------------------------------------------- */

static const struct metrics_gauges no_gauges;
static const struct metrics no_metrics;

/* Undo a partial rendering: the caller's buf is left as it was. */
static int render_fail(struct buf *out, size_t start, int rc)
{
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return rc;
}

/* A float as text: the shorter of %.15g and %.17g that reads back exactly
 * (0.7, not 0.69999999999999996), valid in both Prometheus text and JSON.
 * Only finite values reach here (observations are clamped). */
static int put_float(struct buf *b, double v)
{
	char tmp[40];
	snprintf(tmp, sizeof tmp, "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof tmp, "%.17g", v);
	return buf_puts(b, tmp);
}

static int prom_head(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int prom_u64(struct buf *b, const char *name, const char *type, const char *help,
		    uint64_t v)
{
	int rc = prom_head(b, name, type, help);
	if (!rc)
		rc = buf_printf(b, "%s %" PRIu64 "\n", name, v);
	return rc;
}

/* A label value: routes are printable ASCII, so \ and " are all that need
 * escaping (newlines cannot occur). */
static int prom_label(struct buf *b, const char *s)
{
	int rc = 0;
	for (; *s && !rc; s++) {
		if (*s == '\\' || *s == '"')
			rc = buf_putc(b, '\\');
		if (!rc)
			rc = buf_putc(b, *s);
	}
	return rc;
}

static int prom_histogram(struct buf *b, const char *name, const char *help,
			  const struct histogram *h)
{
	int rc = prom_head(b, name, "histogram", help);
	uint64_t cum = 0;
	for (size_t i = 0; !rc && i < NBUCKETS; i++) {
		cum += h->n[i];
		rc = buf_printf(b, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
				i < NBOUNDS ? buckets[i].le : "+Inf", cum);
	}
	if (!rc)
		rc = buf_printf(b, "%s_sum ", name);
	if (!rc)
		rc = put_float(b, h->sum_ms / 1000);
	if (!rc)
		rc = buf_printf(b, "\n%s_count %" PRIu64 "\n", name, h->count);
	return rc;
}

static int prom_http(struct buf *b, const struct metrics *m)
{
	static const char name[] = "corral_http_requests_total";
	int rc = prom_head(b, name, "counter", "HTTP requests answered, by route and status code.");
	for (unsigned i = 0; !rc && i < m->npairs; i++) {
		rc = buf_printf(b, "%s{route=\"", name);
		if (!rc)
			rc = prom_label(b, m->pairs[i].route);
		if (!rc)
			rc = buf_printf(b, "\",code=\"%d\"} %" PRIu64 "\n", m->pairs[i].code,
					m->pairs[i].n);
	}
	for (int s = 0; !rc && s < CODE_SLOTS; s++)
		if (m->other[s])
			rc = buf_printf(b, "%s{route=\"other\",code=\"%d\"} %" PRIu64 "\n", name,
					slot_code(s), m->other[s]);
	return rc;
}

/* A gauge family with one series per labelled count. */
static int prom_counts(struct buf *b, const char *name, const char *key, const char *help,
		       const struct metrics_count *c, size_t n)
{
	int rc = prom_head(b, name, "gauge", help);
	for (size_t i = 0; !rc && i < n && i < METRICS_INFLIGHT_SERIES; i++) {
		rc = buf_printf(b, "%s{%s=\"", name, key);
		if (!rc)
			rc = prom_label(b, c[i].label);
		if (!rc)
			rc = buf_printf(b, "\"} %u\n", c[i].n);
	}
	return rc;
}

static int prom_all(struct buf *b, const struct metrics *m, const struct metrics_gauges *g)
{
	int rc = prom_head(b, "corral_executions_total", "counter",
			   "Executions finished, by outcome.");
	for (unsigned i = 0; !rc && i < OUTCOME__COUNT; i++)
		rc = buf_printf(b, "corral_executions_total{status=\"%s\"} %" PRIu64 "\n",
				outcome_name((enum outcome)i), m->exec[i]);
	if (!rc)
		rc = prom_histogram(b, "corral_execution_duration_seconds",
				    "Wall time of each execution, from start to result.", &m->wall);
	if (!rc)
		rc = prom_histogram(b, "corral_queue_wait_seconds",
				    "Time each execution waited for a worker.", &m->queue);
	if (!rc)
		rc = prom_http(b, m);
	if (!rc)
		rc = prom_head(b, "corral_pool_workers", "gauge", "Worker processes, by state.");
	if (!rc)
		rc = buf_printf(b,
				"corral_pool_workers{state=\"total\"} %u\n"
				"corral_pool_workers{state=\"available\"} %u\n"
				"corral_pool_workers{state=\"active\"} %u\n",
				g->pool_total, g->pool_available, g->pool_active);
	if (!rc)
		rc = prom_u64(b, "corral_pool_max_workers", "gauge",
			      "Most worker processes the pool may run.", g->pool_max);
	if (!rc)
		rc = prom_u64(b, "corral_queue_depth", "gauge",
			      "Executions waiting for a worker.", g->queue_depth);
	if (!rc)
		rc = prom_u64(b, "corral_executions_in_flight", "gauge",
			      "Executions running in workers (many may share one).", g->inflight);
	if (!rc)
		rc = prom_u64(b, "corral_worker_executions_in_flight_max", "gauge",
			      "Executions running in the busiest worker.", g->inflight_worker_max);
	if (!rc)
		rc = prom_counts(b, "corral_tenant_executions_in_flight", "tenant",
				 "Executions admitted and not yet answered, by tenant (those with any).",
				 g->tenant_inflight, g->ntenant_inflight);
	if (!rc)
		rc = prom_counts(b, "corral_worker_executions_in_flight", "worker",
				 "Executions running in each worker (by pid; those with any).",
				 g->worker_inflight, g->nworker_inflight);
	if (!rc)
		rc = prom_u64(b, "corral_sessions", "gauge", "Open sessions.", g->sessions);
	if (!rc)
		rc = prom_u64(b, "corral_pool_workers_created_total", "counter",
			      "Worker processes started.", m->workers_created);
	if (!rc)
		rc = prom_u64(b, "corral_pool_workers_destroyed_total", "counter",
			      "Worker processes ended.", m->workers_destroyed);
	if (!rc)
		rc = prom_u64(b, "corral_pool_workers_corrupted_total", "counter",
			      "Worker processes found unfit for reuse.", m->workers_corrupted);
	if (!rc)
		rc = prom_u64(b, "corral_module_cache_size", "gauge",
			      "Entries in the module cache.", g->module_cache_size);
	if (!rc)
		rc = prom_u64(b, "corral_module_cache_hits_total", "counter",
			      "Module cache lookups that hit.", g->module_cache_hits);
	if (!rc)
		rc = prom_u64(b, "corral_module_cache_misses_total", "counter",
			      "Module cache lookups that missed.", g->module_cache_misses);
	if (!rc)
		rc = prom_u64(b, "corral_module_cache_evictions_total", "counter",
			      "Entries evicted from the module cache.", g->module_cache_evictions);
	return rc;
}

int metrics_render_prometheus(const struct metrics *m, const struct metrics_gauges *g,
			      struct buf *out)
{
	size_t start = out->len;
	int rc = prom_all(out, m ? m : &no_metrics, g ? g : &no_gauges);
	return rc ? render_fail(out, start, rc) : 0;
}

static int json_u64(struct buf *b, const char *key, uint64_t v)
{
	int rc = json_put_key(b, key);
	if (!rc)
		rc = buf_printf(b, "%" PRIu64, v);
	return rc;
}

static int json_num(struct buf *b, const char *key, double v)
{
	int rc = json_put_key(b, key);
	if (!rc)
		rc = put_float(b, v);
	return rc;
}

static int json_all(struct buf *b, const struct metrics *m, const struct metrics_gauges *g)
{
	uint64_t lookups = g->module_cache_hits + g->module_cache_misses;
	double hit_rate = lookups ? (double)g->module_cache_hits / (double)lookups : 0;
	uint64_t total = 0;

	int rc = buf_putc(b, '{');
	if (!rc)
		rc = json_put_key(b, "isolatePool");
	if (!rc)
		rc = buf_putc(b, '{');
	if (!rc)
		rc = json_u64(b, "total", g->pool_total);
	if (!rc)
		rc = json_u64(b, "available", g->pool_available);
	if (!rc)
		rc = json_u64(b, "active", g->pool_active);
	if (!rc)
		rc = json_u64(b, "corrupted", m->workers_corrupted);
	if (!rc)
		rc = json_u64(b, "created", m->workers_created);
	if (!rc)
		rc = json_u64(b, "destroyed", m->workers_destroyed);
	if (!rc)
		rc = json_u64(b, "max", g->pool_max);
	if (!rc)
		rc = buf_putc(b, '}');

	if (!rc)
		rc = json_put_key(b, "moduleCache");
	if (!rc)
		rc = buf_putc(b, '{');
	if (!rc)
		rc = json_u64(b, "size", g->module_cache_size);
	if (!rc)
		rc = json_u64(b, "hits", g->module_cache_hits);
	if (!rc)
		rc = json_u64(b, "misses", g->module_cache_misses);
	if (!rc)
		rc = json_u64(b, "evictions", g->module_cache_evictions);
	if (!rc)
		rc = json_num(b, "hitRate", hit_rate);
	if (!rc)
		rc = buf_putc(b, '}');

	if (!rc)
		rc = json_put_key(b, "executions");
	if (!rc)
		rc = buf_putc(b, '{');
	for (unsigned i = 0; !rc && i < OUTCOME__COUNT; i++) {
		total += m->exec[i];
		rc = json_u64(b, outcome_name((enum outcome)i), m->exec[i]);
	}
	if (!rc)
		rc = json_u64(b, "total", total);
	if (!rc)
		rc = buf_putc(b, '}');

	if (!rc)
		rc = json_u64(b, "queueDepth", g->queue_depth);
	if (!rc)
		rc = json_u64(b, "inFlight", g->inflight);
	if (!rc)
		rc = json_u64(b, "sessions", g->sessions);
	if (!rc)
		rc = json_put_key(b, "latencyMs");
	if (!rc)
		rc = buf_putc(b, '{');
	if (!rc)
		rc = json_num(b, "p50", histogram_quantile_ms(&m->wall, 0.5));
	if (!rc)
		rc = json_num(b, "p99", histogram_quantile_ms(&m->wall, 0.99));
	if (!rc)
		rc = buf_puts(b, "}}");
	return rc;
}

int metrics_render_json(const struct metrics *m, const struct metrics_gauges *g, struct buf *out)
{
	size_t start = out->len;
	int rc = json_all(out, m ? m : &no_metrics, g ? g : &no_gauges);
	return rc ? render_fail(out, start, rc) : 0;
}
