/* api_ops — see api_ops.h. */
#include "supervisor/api/api_ops.h"
#include "supervisor/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/json.h"
#include "sandbox/sandbox.h"
#include "supervisor/metrics.h"
#include "supervisor/pool.h"
#include "supervisor/ratelimit.h"
#include "supervisor/store/store.h"

/* The labelled in-flight counts, gathered for one render. */
struct counts {
	struct metrics_count c[METRICS_INFLIGHT_SERIES];
	size_t n;
};

static void count_tenant(void *ud, const char *tenant, unsigned in_flight)
{
	struct counts *k = ud;
	if (k->n < METRICS_INFLIGHT_SERIES) {
		snprintf(k->c[k->n].label, sizeof k->c[k->n].label, "%s", tenant);
		k->c[k->n++].n = in_flight;
	}
}

static void count_worker(void *ud, int pid, unsigned inflight)
{
	struct counts *k = ud;
	if (k->n < METRICS_INFLIGHT_SERIES) {
		snprintf(k->c[k->n].label, sizeof k->c[k->n].label, "%d", pid);
		k->c[k->n++].n = inflight;
	}
}

static void gauges(struct api *a, struct metrics_gauges *g)
{
	struct pool_stats ps;
	pool_stats(a->pool, &ps);
	memset(g, 0, sizeof *g);
	g->pool_total = ps.total;
	g->pool_available = ps.available;
	g->pool_active = ps.active;
	g->pool_max = ps.max;
	g->queue_depth = ps.queued;
	g->inflight = ps.inflight;
	g->inflight_worker_max = ps.inflight_max;
	g->sessions = a->sessions;
	/* The module cache is the loaded handlers of function-bound workers:
	 * a warm invocation is a hit, a cold one (the package loaded) a miss. */
	g->module_cache_size = ps.fn_bound;
	g->module_cache_hits = a->fn_warm;
	g->module_cache_misses = a->fn_cold;
	g->module_cache_evictions = ps.fn_evicted;
}

void api_ops_healthz(struct api *a, struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	http_respond(r, 200, "application/json", ok, sizeof ok - 1);
}

void api_ops_readyz(struct api *a, struct http_req *r)
{
	struct pool_stats ps;
	pool_stats(a->pool, &ps);
	bool ready = pool_ready(a->pool) && !a->draining;
	char layers[256];
	unsigned in_force = ps.total > ps.starting ? ps.layers_min : a->caps->layers;
	struct buf b = BUF_INIT(8192);
	buf_printf(&b, "{\"ready\":%s,\"draining\":%s,\"layers\":[", ready ? "true" : "false",
		   a->draining ? "true" : "false");
	sandbox_layers_str(in_force, layers, sizeof layers);
	char *save = NULL;
	bool first = true;
	for (char *t = strtok_r(layers, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!first)
			buf_putc(&b, ',');
		json_put_cstr(&b, t);
		first = false;
	}
	buf_puts(&b, "],\"cgroup\":");
	json_put_cstr(&b, a->caps->cgroup_desc);
	buf_puts(&b, ",\"weaker\":");
	json_put_cstr(&b, a->caps->note[0] ? a->caps->note : NULL);
	buf_printf(&b, ",\"pool\":{\"total\":%u,\"available\":%u,\"active\":%u,\"starting\":%u,\"max\":%u}}",
		   ps.total, ps.available, ps.active, ps.starting, ps.max);
	api__respond_json(r, ready ? 200 : 503, &b);
	buf_release(&b);
}

bool api_ops_metrics_allowed(struct api *a, struct http_req *r)
{
	/* Without keys (a loopback listener) anyone who can reach it may. */
	if (a->dev_mode)
		return true;
	const char *want = a->cfg->metrics_token;
	if (!strcmp(want, "-")) {
		api__error_json(r, 401, "unauthorized", NULL,
				"with API keys, /metrics wants the operator's token: set CORRAL_METRICS_TOKEN and "
				"scrape with Authorization: Bearer <token>");
		return false;
	}
	const char *h = http_header(r, "Authorization");
	size_t n = strlen(want);
	/* Compared in constant time: the token is a secret. */
	if (!h || strncmp(h, "Bearer ", 7) != 0 || strlen(h + 7) != n || CRYPTO_memcmp(h + 7, want, n) != 0) {
		api__error_json(r, 401, "unauthorized", NULL, "/metrics wants Authorization: Bearer <CORRAL_METRICS_TOKEN>");
		return false;
	}
	return true;
}

void api_ops_metrics(struct api *a, struct http_req *r, bool json)
{
	struct metrics_gauges g;
	gauges(a, &g);
	/* ~19 KB each: on the heap. */
	struct counts *tc = json ? NULL : calloc(1, sizeof *tc);
	struct counts *wc = json ? NULL : calloc(1, sizeof *wc);
	if (tc && a->rl)
		ratelimit_each_in_flight(a->rl, count_tenant, tc);
	if (wc)
		pool_each_busy(a->pool, count_worker, wc);
	g.tenant_inflight = tc ? tc->c : NULL;
	g.ntenant_inflight = tc ? tc->n : 0;
	g.worker_inflight = wc ? wc->c : NULL;
	g.nworker_inflight = wc ? wc->n : 0;
	struct buf b = BUF_INIT(METRICS_RENDER_CAP);
	int rc = json ? metrics_render_json(a->metrics, &g, &b) : metrics_render_prometheus(a->metrics, &g, &b);
	if (rc)
		api__error_json(r, 503, "overloaded", NULL, "cannot render the metrics: %s", strerror(-rc));
	else if (json)
		api__respond_json(r, 200, &b);
	else
		http_respond(r, 200, METRICS_PROMETHEUS_CONTENT_TYPE, b.data ? b.data : "", b.len);
	buf_release(&b);
	free(tc);
	free(wc);
}

void api_ops_execution_get(struct api *a, struct http_req *r, const char *id)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	struct store_execution e;
	memset(&e, 0, sizeof e);
	if (!a->store || store_execution_get(a->store, id, &e) || strcmp(e.tenant, tenant) != 0) {
		if (a->store && e.id[0])
			store_execution_release(&e);
		api__error_json(r, 404, "not_found", NULL, "no execution '%.64s'", id);
		return;
	}
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, "{\"id\":");
	json_put_cstr(&b, e.id);
	buf_puts(&b, ",\"status\":");
	json_put_cstr(&b, e.status);
	buf_printf(&b, ",\"started_at\":%lld,\"usage\":{\"wall_ms\":%.3f,\"cpu_ms\":%.3f,\"peak_memory_bytes\":%llu},\"logs\":",
		   (long long)e.started_at, e.wall_ms, e.cpu_ms, (unsigned long long)e.peak_memory_bytes);
	json_put_cstr(&b, e.logs ? e.logs : "");
	buf_printf(&b, ",\"logs_truncated\":%s}", e.logs_truncated ? "true" : "false");
	api__respond_json(r, 200, &b);
	buf_release(&b);
	store_execution_release(&e);
}
