/* test-metrics — counters, histograms and both renderings.
 *
 * The Prometheus text is checked line by line against the rules of text
 * format 0.0.4 that a scraper enforces (one HELP and one TYPE per family
 * before its samples, samples grouped under their family, no duplicate
 * series, values that parse, cumulative buckets ending at _count), and the
 * JSON is parsed with jansson and its key sets compared exactly. */
#include "supervisor/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tap.h"

/* --- helpers ------------------------------------------------------------ */

static char *render_prom(const struct metrics *m, const struct metrics_gauges *g)
{
	struct buf b = BUF_INIT(METRICS_RENDER_CAP);
	int rc = metrics_render_prometheus(m, g, &b);
	if (rc) {
		diag("metrics_render_prometheus returned %d", rc);
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static char *render_json(const struct metrics *m, const struct metrics_gauges *g)
{
	struct buf b = BUF_INIT(METRICS_RENDER_CAP);
	int rc = metrics_render_json(m, g, &b);
	if (rc) {
		diag("metrics_render_json returned %d", rc);
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The value of the sample whose name-and-labels part is exactly series, or
 * NAN when there is none (or more than one). */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	double v = NAN;
	int found = 0;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			v = strtod(p + n + 1, NULL);
			found++;
		}
		p = nl ? nl + 1 : NULL;
	}
	return found == 1 ? v : NAN;
}

static int count_prefix(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* Checks the exposition rules; returns NULL or a static description of the
 * first broken one. */
#define MAX_FAMILIES 64
#define MAX_SERIES 2048
static const char *prom_lint(const char *text)
{
	static char why[256];
	struct family {
		char name[96];
		char type[32];
		bool help, done;
	} fam[MAX_FAMILIES];
	int nfam = 0, cur = -1;
	static char series[MAX_SERIES][256];
	int nseries = 0;
	uint64_t last_bucket = 0;
	bool in_buckets = false;

	if (!*text || text[strlen(text) - 1] != '\n')
		return "text does not end with a newline";
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		char line[512];
		size_t len = (size_t)(nl - p);
		if (len >= sizeof line)
			return "line too long for the linter";
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;

		char name[96], rest[400];
		if (strncmp(line, "# HELP ", 7) == 0) {
			if (sscanf(line + 7, "%95s %399[^\n]", name, rest) != 2)
				return "HELP without text";
			if (cur >= 0)
				fam[cur].done = true;
			for (int i = 0; i < nfam; i++)
				if (strcmp(fam[i].name, name) == 0) {
					snprintf(why, sizeof why, "second HELP for %s", name);
					return why;
				}
			if (nfam == MAX_FAMILIES)
				return "too many families";
			cur = nfam++;
			snprintf(fam[cur].name, sizeof fam[cur].name, "%s", name);
			fam[cur].type[0] = '\0';
			fam[cur].help = true;
			fam[cur].done = false;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char type[32];
			if (sscanf(line + 7, "%95s %31s", name, type) != 2)
				return "TYPE without a type";
			if (cur < 0 || strcmp(fam[cur].name, name) != 0 || fam[cur].type[0]) {
				snprintf(why, sizeof why, "TYPE for %s not right after its HELP", name);
				return why;
			}
			if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram"))
				return "unknown TYPE";
			snprintf(fam[cur].type, sizeof fam[cur].type, "%s", type);
			in_buckets = false;
			last_bucket = 0;
			continue;
		}
		if (line[0] == '#')
			return "a comment that is neither HELP nor TYPE";

		/* A sample: name, optional {labels}, space, value. */
		size_t nlen = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:0123456789");
		if (nlen == 0 || nlen >= sizeof name)
			return "sample without a name";
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		const char *q = line + nlen;
		if (*q == '{') {
			/* label="value" pairs, value escapes \\ \" \n only */
			q++;
			while (*q != '}') {
				size_t l = strspn(q, "abcdefghijklmnopqrstuvwxyz_");
				if (!l || q[l] != '=' || q[l + 1] != '"')
					return "bad label";
				q += l + 2;
				while (*q && *q != '"') {
					if (*q == '\\') {
						if (q[1] != '\\' && q[1] != '"' && q[1] != 'n')
							return "bad escape in a label value";
						q++;
					}
					q++;
				}
				if (*q != '"')
					return "unterminated label value";
				q++;
				if (*q == ',')
					q++;
				else if (*q != '}')
					return "labels not separated by commas";
			}
			q++;
		}
		if (*q != ' ')
			return "no space before the value";
		char *end;
		double v = strtod(q + 1, &end);
		if (end == q + 1 || *end)
			return "value does not parse";
		if (!(v >= 0))
			return "negative or NaN value";

		if (cur < 0 || !fam[cur].type[0]) {
			snprintf(why, sizeof why, "sample %s before any TYPE", name);
			return why;
		}
		const char *base = fam[cur].name;
		size_t blen = strlen(base);
		bool belongs = strcmp(name, base) == 0;
		if (strcmp(fam[cur].type, "histogram") == 0) {
			belongs = strncmp(name, base, blen) == 0 &&
				  (strcmp(name + blen, "_bucket") == 0 || strcmp(name + blen, "_sum") == 0 ||
				   strcmp(name + blen, "_count") == 0);
			if (strcmp(name + blen, "_bucket") == 0) {
				if (in_buckets && (uint64_t)v < last_bucket)
					return "histogram buckets not cumulative";
				in_buckets = true;
				last_bucket = (uint64_t)v;
			} else if (strcmp(name + blen, "_count") == 0) {
				if ((uint64_t)v != last_bucket || !strstr(text, "le=\"+Inf\""))
					return "_count differs from the +Inf bucket";
			}
		}
		if (!belongs) {
			snprintf(why, sizeof why, "sample %s outside its family %s", name, base);
			return why;
		}
		if (strcmp(fam[cur].type, "counter") == 0 &&
		    (blen < 6 || strcmp(base + blen - 6, "_total") != 0))
			return "a counter not named _total";

		/* Series identity: everything before the value. */
		size_t slen = (size_t)(q - line);
		if (slen >= sizeof series[0] || nseries == MAX_SERIES)
			return "series too long or too many for the linter";
		for (int i = 0; i < nseries; i++)
			if (strlen(series[i]) == slen && memcmp(series[i], line, slen) == 0) {
				snprintf(why, sizeof why, "duplicate series %.*s", (int)slen, line);
				return why;
			}
		memcpy(series[nseries], line, slen);
		series[nseries++][slen] = '\0';
	}
	return NULL;
}

/* --- cases -------------------------------------------------------------- */

static void test_empty_prometheus(void)
{
	struct metrics *m = metrics_new();
	ok(m != NULL, "metrics_new");
	char *t = render_prom(m, NULL);
	ok(t != NULL, "an empty registry renders");
	if (!t) {
		metrics_free(m);
		return;
	}
	const char *lint = prom_lint(t);
	ok(lint == NULL, "empty rendering follows the text format");
	if (lint)
		diag("%s", lint);

	int all = 1;
	for (int i = 0; i < OUTCOME__COUNT; i++) {
		char s[128];
		snprintf(s, sizeof s, "corral_executions_total{status=\"%s\"}",
			 outcome_name((enum outcome)i));
		if (sample(t, s) != 0) {
			diag("missing or non-zero: %s", s);
			all = 0;
		}
	}
	ok(all, "all %d outcomes are present with 0", OUTCOME__COUNT);
	is_int(count_prefix(t, "corral_executions_total{"), OUTCOME__COUNT,
	       "and no other executions series");
	ok(strstr(t, "# HELP corral_executions_total ") &&
		   strstr(t, "# TYPE corral_executions_total counter\n"),
	   "executions_total has HELP and TYPE counter");

	static const char *families[][2] = {
		{ "corral_execution_duration_seconds", "histogram" },
		{ "corral_queue_wait_seconds", "histogram" },
		{ "corral_http_requests_total", "counter" },
		{ "corral_pool_workers", "gauge" },
		{ "corral_pool_max_workers", "gauge" },
		{ "corral_queue_depth", "gauge" },
		{ "corral_sessions", "gauge" },
		{ "corral_pool_workers_created_total", "counter" },
		{ "corral_pool_workers_destroyed_total", "counter" },
		{ "corral_pool_workers_corrupted_total", "counter" },
		{ "corral_module_cache_size", "gauge" },
		{ "corral_module_cache_hits_total", "counter" },
		{ "corral_module_cache_misses_total", "counter" },
		{ "corral_module_cache_evictions_total", "counter" },
	};
	for (size_t i = 0; i < sizeof families / sizeof *families; i++) {
		char type[160];
		snprintf(type, sizeof type, "# TYPE %s %s\n", families[i][0], families[i][1]);
		ok(strstr(t, type) != NULL, "TYPE %s %s", families[i][0], families[i][1]);
	}

	static const char *les[] = { "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
				     "0.05",   "0.1",   "0.25",   "0.5",   "1",    "2.5",
				     "5",      "10",    "30",     "+Inf" };
	int buckets_ok = 1;
	for (size_t i = 0; i < sizeof les / sizeof *les; i++) {
		char s[128];
		snprintf(s, sizeof s, "corral_execution_duration_seconds_bucket{le=\"%s\"}", les[i]);
		buckets_ok &= sample(t, s) == 0;
		snprintf(s, sizeof s, "corral_queue_wait_seconds_bucket{le=\"%s\"}", les[i]);
		buckets_ok &= sample(t, s) == 0;
	}
	ok(buckets_ok, "both histograms have the 16 buckets, all 0");
	is_int(count_prefix(t, "corral_execution_duration_seconds_bucket{"), 16,
	       "and exactly 16 of them");
	ok(sample(t, "corral_execution_duration_seconds_sum") == 0 &&
		   sample(t, "corral_execution_duration_seconds_count") == 0 &&
		   sample(t, "corral_queue_wait_seconds_sum") == 0 &&
		   sample(t, "corral_queue_wait_seconds_count") == 0,
	   "_sum and _count are 0");
	is_int(count_prefix(t, "corral_http_requests_total{"), 0, "no HTTP series before a request");
	ok(sample(t, "corral_pool_workers{state=\"total\"}") == 0 &&
		   sample(t, "corral_pool_workers{state=\"available\"}") == 0 &&
		   sample(t, "corral_pool_workers{state=\"active\"}") == 0,
	   "NULL gauges render as 0");
	free(t);
	metrics_free(m);
}

static void test_histogram(void)
{
	struct metrics *m = metrics_new();
	metrics_exec_done(m, OUTCOME_OK, 3, 0.2);
	char *t = render_prom(m, NULL);
	if (!t) {
		ok(0, "render after one execution");
		metrics_free(m);
		return;
	}
	ok(prom_lint(t) == NULL, "rendering follows the text format");
	is_int(sample(t, "corral_executions_total{status=\"ok\"}"), 1, "ok counted once");
	is_int(metrics_exec_count(m, OUTCOME_OK), 1, "metrics_exec_count(ok)");
	is_int(metrics_exec_count(m, OUTCOME_ERROR), 0, "metrics_exec_count(error)");
	is_int(metrics_exec_count(m, OUTCOME__COUNT), 0, "metrics_exec_count(out of range)");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"0.0025\"}"), 0,
	       "3 ms is not under le=0.0025");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"0.005\"}"), 1,
	       "3 ms is under le=0.005");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"30\"}"), 1,
	       "buckets are cumulative up to le=30");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"+Inf\"}"), 1,
	       "and +Inf");
	is_int(sample(t, "corral_execution_duration_seconds_count"), 1, "_count is 1");
	ok(fabs(sample(t, "corral_execution_duration_seconds_sum") - 0.003) < 1e-12,
	   "_sum is 0.003 s");
	is_int(sample(t, "corral_queue_wait_seconds_bucket{le=\"0.0005\"}"), 1,
	       "0.2 ms queue wait is under le=0.0005");
	ok(fabs(sample(t, "corral_queue_wait_seconds_sum") - 0.0002) < 1e-12, "queue _sum 0.0002 s");
	free(t);

	/* Bounds are inclusive (le), the tail goes to +Inf, and junk is clamped. */
	metrics_exec_done(m, OUTCOME_TIMEOUT, 1, 0);
	metrics_exec_done(m, OUTCOME_TIMEOUT, 45000, 0);
	metrics_exec_done(m, OUTCOME_INTERNAL, NAN, -5);
	metrics_exec_done(m, (enum outcome)99, INFINITY, 0);
	t = render_prom(m, NULL);
	if (!t) {
		ok(0, "render after more executions");
		metrics_free(m);
		return;
	}
	const char *lint = prom_lint(t);
	ok(lint == NULL, "still follows the text format");
	if (lint)
		diag("%s", lint);
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"0.0005\"}"), 1,
	       "NaN wall time counts as 0");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"0.001\"}"), 2,
	       "exactly 1 ms is under le=0.001");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"30\"}"), 3,
	       "45 s is not under le=30");
	is_int(sample(t, "corral_execution_duration_seconds_bucket{le=\"+Inf\"}"), 5,
	       "45 s and +Inf (clamped) are under +Inf");
	is_int(sample(t, "corral_execution_duration_seconds_count"), 5, "_count is 5");
	ok(fabs(sample(t, "corral_execution_duration_seconds_sum") -
		(0.003 + 0.001 + 45 + METRICS_MAX_MS / 1000)) < 1e-3,
	   "_sum adds the clamped values");
	is_int(sample(t, "corral_queue_wait_seconds_bucket{le=\"0.0005\"}"), 5,
	       "negative queue wait counts as 0");
	is_int(sample(t, "corral_executions_total{status=\"timeout\"}"), 2, "timeout counted twice");
	is_int(sample(t, "corral_executions_total{status=\"internal\"}"), 2,
	       "an out-of-range outcome counts as internal");
	free(t);
	metrics_free(m);
}

static void test_quantiles(void)
{
	struct metrics *m = metrics_new();
	ok(metrics_exec_quantile_ms(m, 0.5) == 0 && metrics_exec_quantile_ms(m, 0.99) == 0,
	   "quantiles are 0 with no executions");
	/* 90 in (1, 2.5], 9 at 7 and one at 9.9 in (5, 10]. */
	for (int i = 0; i < 90; i++)
		metrics_exec_done(m, OUTCOME_OK, 2, 0);
	for (int i = 0; i < 9; i++)
		metrics_exec_done(m, OUTCOME_OK, 7, 0);
	metrics_exec_done(m, OUTCOME_OK, 9.9, 0);
	double p50 = metrics_exec_quantile_ms(m, 0.5);
	double p99 = metrics_exec_quantile_ms(m, 0.99);
	ok(fabs(p50 - (1 + 1.5 * 50.0 / 90.0)) < 1e-9, "p50 interpolates inside (1, 2.5] ms: %g", p50);
	ok(fabs(p99 - 9.5) < 1e-9, "p99 interpolates inside (5, 10] ms: %g", p99);
	is_int(llround(metrics_exec_quantile_ms(m, 1) * 1000), 9900,
	       "p100 is capped at the largest observation");
	metrics_free(m);

	m = metrics_new();
	metrics_exec_done(m, OUTCOME_OK, 45000, 0);
	double p = metrics_exec_quantile_ms(m, 0.5);
	ok(fabs(p - 37500) < 1e-6, "in +Inf the largest observation is the upper bound: %g", p);
	metrics_exec_done(m, OUTCOME_OK, 3, 0);
	metrics_exec_done(m, OUTCOME_OK, 3, 0);
	p = metrics_exec_quantile_ms(m, 0.5);
	ok(p <= 5 && p > 2.5, "p50 of {3, 3, 45000} lies in (2.5, 5] ms: %g", p);
	metrics_free(m);
}

/* Checks that obj has exactly the keys in want (NULL-terminated). */
static int keys_exactly(json_t *obj, const char *const *want, const char *what)
{
	if (!json_is_object(obj)) {
		diag("%s is not an object", what);
		return 0;
	}
	size_t n = 0;
	int good = 1;
	for (; want[n]; n++)
		if (!json_object_get(obj, want[n])) {
			diag("%s lacks \"%s\"", what, want[n]);
			good = 0;
		}
	if (json_object_size(obj) != n) {
		diag("%s has %zu keys, want %zu", what, json_object_size(obj), n);
		good = 0;
	}
	return good;
}

static int all_integers(json_t *obj, const char *except)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
		if (!json_is_integer(v) && !(except && strcmp(k, except) == 0))
			return 0;
	return 1;
}

static void test_json(void)
{
	struct metrics *m = metrics_new();
	struct metrics_gauges g = {
		.pool_total = 7, .pool_available = 3, .pool_active = 4, .pool_max = 20,
		.queue_depth = 2, .sessions = 5, .module_cache_size = 11,
	};
	metrics_pool_event(m, METRICS_WORKER_CREATED);
	metrics_pool_event(m, METRICS_WORKER_CREATED);
	metrics_pool_event(m, METRICS_WORKER_CREATED);
	metrics_pool_event(m, METRICS_WORKER_CORRUPTED);
	metrics_pool_event(m, METRICS_WORKER_DESTROYED);
	metrics_exec_done(m, OUTCOME_OK, 2, 0);
	metrics_exec_done(m, OUTCOME_MEMORY_LIMIT, 2, 0);
	metrics_exec_done(m, OUTCOME_MEMORY_LIMIT, 2, 0);

	char *t = render_json(m, &g);
	json_error_t err;
	json_t *root = t ? json_loads(t, JSON_REJECT_DUPLICATES, &err) : NULL;
	ok(root != NULL, "the JSON parses with jansson (no duplicate keys)");
	if (!root) {
		diag("%s: %s", t ? t : "(no text)", t ? err.text : "");
		free(t);
		metrics_free(m);
		return;
	}
	static const char *const top[] = { "isolatePool", "moduleCache", "executions",
					   "queueDepth",  "inFlight",    "sessions",    "latencyMs", NULL };
	static const char *const pool[] = { "total",   "available", "active", "corrupted",
					    "created", "destroyed", "max",    NULL };
	static const char *const cache[] = { "size", "hits", "misses", "evictions", "hitRate", NULL };
	static const char *const lat[] = { "p50", "p99", NULL };
	const char *execs[OUTCOME__COUNT + 2];
	for (int i = 0; i < OUTCOME__COUNT; i++)
		execs[i] = outcome_name((enum outcome)i);
	execs[OUTCOME__COUNT] = "total";
	execs[OUTCOME__COUNT + 1] = NULL;

	ok(keys_exactly(root, top, "the top level"), "top-level keys exactly");
	json_t *p = json_object_get(root, "isolatePool");
	ok(keys_exactly(p, pool, "isolatePool") && all_integers(p, NULL),
	   "isolatePool keys exactly, all integers");
	json_t *c = json_object_get(root, "moduleCache");
	ok(keys_exactly(c, cache, "moduleCache") && all_integers(c, "hitRate"),
	   "moduleCache keys exactly");
	json_t *e = json_object_get(root, "executions");
	ok(keys_exactly(e, execs, "executions") && all_integers(e, NULL),
	   "executions has every outcome and total, all integers");
	json_t *l = json_object_get(root, "latencyMs");
	ok(keys_exactly(l, lat, "latencyMs") && json_is_number(json_object_get(l, "p50")) &&
		   json_is_number(json_object_get(l, "p99")),
	   "latencyMs has p50 and p99 numbers");

	is_int(json_integer_value(json_object_get(p, "total")), 7, "isolatePool.total");
	is_int(json_integer_value(json_object_get(p, "available")), 3, "isolatePool.available");
	is_int(json_integer_value(json_object_get(p, "active")), 4, "isolatePool.active");
	is_int(json_integer_value(json_object_get(p, "max")), 20, "isolatePool.max");
	is_int(json_integer_value(json_object_get(p, "created")), 3, "isolatePool.created");
	is_int(json_integer_value(json_object_get(p, "destroyed")), 1, "isolatePool.destroyed");
	is_int(json_integer_value(json_object_get(p, "corrupted")), 1, "isolatePool.corrupted");
	json_t *hr = json_object_get(c, "hitRate");
	ok(json_is_number(hr) && json_number_value(hr) == 0, "hitRate is 0 with no lookups");
	is_int(json_integer_value(json_object_get(c, "size")), 11, "moduleCache.size");
	is_int(json_integer_value(json_object_get(e, "ok")), 1, "executions.ok");
	is_int(json_integer_value(json_object_get(e, "memory_limit")), 2, "executions.memory_limit");
	is_int(json_integer_value(json_object_get(e, "timeout")), 0, "executions.timeout is 0");
	is_int(json_integer_value(json_object_get(e, "total")), 3, "executions.total");
	is_int(json_integer_value(json_object_get(root, "queueDepth")), 2, "queueDepth");
	is_int(json_integer_value(json_object_get(root, "sessions")), 5, "sessions");
	double p50 = json_number_value(json_object_get(l, "p50"));
	ok(p50 > 1 && p50 <= 2, "latencyMs.p50 in (1, 2]: %g", p50);
	json_decref(root);
	free(t);

	g.module_cache_hits = 3;
	g.module_cache_misses = 1;
	g.module_cache_evictions = 9;
	t = render_json(m, &g);
	root = t ? json_loads(t, 0, &err) : NULL;
	c = json_object_get(root, "moduleCache");
	hr = json_object_get(c, "hitRate");
	ok(json_is_real(hr) && json_number_value(hr) == 0.75, "hitRate is hits / (hits + misses)");
	is_int(json_integer_value(json_object_get(c, "evictions")), 9, "moduleCache.evictions");
	json_decref(root);
	free(t);

	g.module_cache_misses = 0;
	t = render_json(m, &g);
	root = t ? json_loads(t, 0, &err) : NULL;
	hr = json_object_get(json_object_get(root, "moduleCache"), "hitRate");
	ok(json_is_number(hr) && json_number_value(hr) == 1, "hitRate is 1 with only hits");
	json_decref(root);
	free(t);

	t = render_json(NULL, NULL);
	root = t ? json_loads(t, 0, &err) : NULL;
	ok(root && keys_exactly(root, top, "the NULL rendering") &&
		   json_integer_value(json_object_get(json_object_get(root, "executions"), "total")) == 0,
	   "NULL metrics and gauges render zeros");
	json_decref(root);
	free(t);

	/* Gauges and pool counters in the Prometheus text. */
	g.module_cache_misses = 1;
	t = render_prom(m, &g);
	ok(t && sample(t, "corral_pool_workers{state=\"total\"}") == 7 &&
		   sample(t, "corral_pool_workers{state=\"available\"}") == 3 &&
		   sample(t, "corral_pool_workers{state=\"active\"}") == 4 &&
		   sample(t, "corral_pool_max_workers") == 20 && sample(t, "corral_queue_depth") == 2 &&
		   sample(t, "corral_sessions") == 5,
	   "pool, queue and session gauges render");
	ok(t && sample(t, "corral_pool_workers_created_total") == 3 &&
		   sample(t, "corral_pool_workers_destroyed_total") == 1 &&
		   sample(t, "corral_pool_workers_corrupted_total") == 1,
	   "worker lifecycle counters render");
	ok(t && sample(t, "corral_module_cache_size") == 11 &&
		   sample(t, "corral_module_cache_hits_total") == 3 &&
		   sample(t, "corral_module_cache_misses_total") == 1 &&
		   sample(t, "corral_module_cache_evictions_total") == 9,
	   "module cache metrics render");
	free(t);
	metrics_free(m);
}

static void test_http_folding(void)
{
	struct metrics *m = metrics_new();
	char route[64];
	for (int i = 0; i < METRICS_HTTP_PAIRS; i++) {
		snprintf(route, sizeof route, "/r%d", i);
		metrics_request(m, route, 200);
	}
	metrics_request(m, "/r5", 200);      /* existing pair: its own series */
	metrics_request(m, "/r64", 200);     /* 65th pair: folded */
	metrics_request(m, "/r64", 200);
	metrics_request(m, "/r0", 500);      /* new code for a known route: folded */
	metrics_request(m, "other", 404);    /* never a series of its own */
	metrics_request(m, "/bad\nroute", 404);
	metrics_request(m, NULL, 404);
	metrics_request(m, "/x", 42);        /* out-of-range status */
	char *t = render_prom(m, NULL);
	if (!t) {
		ok(0, "render with HTTP series");
		metrics_free(m);
		return;
	}
	const char *lint = prom_lint(t);
	ok(lint == NULL, "follows the text format with HTTP series");
	if (lint)
		diag("%s", lint);
	is_int(count_prefix(t, "corral_http_requests_total{route=\"/r"), METRICS_HTTP_PAIRS,
	       "exactly %d route x code series of their own", METRICS_HTTP_PAIRS);
	is_int(sample(t, "corral_http_requests_total{route=\"/r0\",code=\"200\"}"), 1, "/r0 200");
	is_int(sample(t, "corral_http_requests_total{route=\"/r5\",code=\"200\"}"), 2,
	       "a known pair keeps counting in its own series");
	is_int(sample(t, "corral_http_requests_total{route=\"/r63\",code=\"200\"}"), 1, "/r63 200");
	ok(strstr(t, "route=\"/r64\"") == NULL, "the 65th pair has no series");
	is_int(sample(t, "corral_http_requests_total{route=\"other\",code=\"200\"}"), 2,
	       "the 65th pair is folded into route=other, code kept");
	is_int(sample(t, "corral_http_requests_total{route=\"other\",code=\"500\"}"), 1,
	       "a new code of a known route is folded too");
	is_int(sample(t, "corral_http_requests_total{route=\"other\",code=\"404\"}"), 3,
	       "\"other\", a control character and NULL fold into other");
	is_int(sample(t, "corral_http_requests_total{route=\"other\",code=\"0\"}"), 1,
	       "an out-of-range status is code 0");
	is_int(count_prefix(t, "corral_http_requests_total{"), METRICS_HTTP_PAIRS + 4,
	       "no other HTTP series");
	free(t);

	/* 10,000 more distinct routes add no series. */
	for (int i = 0; i < 10000; i++) {
		snprintf(route, sizeof route, "/many/%d", i);
		metrics_request(m, route, 200 + i % 3);
	}
	t = render_prom(m, NULL);
	is_int(t ? count_prefix(t, "corral_http_requests_total{") : -1, METRICS_HTTP_PAIRS + 6,
	       "10,000 more routes add only route=other series for their 2 new codes");
	free(t);
	metrics_free(m);

	/* A route is a label value: quotes and backslashes are escaped. */
	m = metrics_new();
	metrics_request(m, "/a\"b\\c", 201);
	t = render_prom(m, NULL);
	ok(t && strstr(t, "corral_http_requests_total{route=\"/a\\\"b\\\\c\",code=\"201\"} 1\n"),
	   "a quote and a backslash in a route are escaped");
	ok(t && prom_lint(t) == NULL, "and the text still follows the format");
	free(t);
	metrics_free(m);
}

static void test_inflight_series(void)
{
	const struct metrics_count tenants[] = { { "acme", 3 }, { "newco", 1200 } };
	const struct metrics_count workers[] = { { "4242", 7 } };
	struct metrics_gauges g = {
		.inflight = 1203,
		.tenant_inflight = tenants, .ntenant_inflight = 2,
		.worker_inflight = workers, .nworker_inflight = 1,
	};
	char *text = render_prom(NULL, &g);
	ok(text && prom_lint(text) == NULL, "in-flight families render and follow the format");
	ok(text && sample(text, "corral_tenant_executions_in_flight{tenant=\"acme\"}") == 3 &&
	   sample(text, "corral_tenant_executions_in_flight{tenant=\"newco\"}") == 1200,
	   "corral_tenant_executions_in_flight has one series per tenant with its count");
	ok(text && sample(text, "corral_worker_executions_in_flight{worker=\"4242\"}") == 7,
	   "corral_worker_executions_in_flight has one series per busy worker");
	free(text);
	struct metrics_gauges none = { 0 };
	text = render_prom(NULL, &none);
	ok(text && count_prefix(text, "corral_tenant_executions_in_flight{") == 0 &&
	   strstr(text, "# TYPE corral_tenant_executions_in_flight gauge"),
	   "with nothing in flight the family is there without series");
	free(text);
}

static void test_bounds(void)
{
	/* The worst case: 64 long routes full of escapes, every code slot in
	 * route=other, every counter at its largest. */
	struct metrics *m = metrics_new();
	char route[METRICS_ROUTE_MAX];
	for (int i = 0; i < METRICS_HTTP_PAIRS; i++) {
		memset(route, '"', sizeof route - 1);
		route[sizeof route - 1] = '\0';
		char head[16];
		snprintf(head, sizeof head, "/%05d", i);
		memcpy(route, head, 6); /* "/00042" then quotes */
		metrics_request(m, route, 599);
	}
	for (int code = 0; code < 700; code++)
		metrics_request(m, "other", code);
	for (int i = 0; i < 100; i++)
		metrics_exec_done(m, (enum outcome)(i % OUTCOME__COUNT), 1e300, 1e300);
	struct metrics_gauges g;
	memset(&g, 0xff, sizeof g);
	/* Every labelled in-flight series, labels full of escapes. */
	static struct metrics_count many[METRICS_INFLIGHT_SERIES + 10];
	for (size_t i = 0; i < sizeof many / sizeof *many; i++) {
		memset(many[i].label, '"', sizeof many[i].label - 1);
		many[i].label[sizeof many[i].label - 1] = '\0';
		char head[8];
		snprintf(head, sizeof head, "%05zu", i); /* distinct series */
		memcpy(many[i].label, head, 5);
		many[i].n = UINT_MAX;
	}
	g.tenant_inflight = g.worker_inflight = many;
	g.ntenant_inflight = g.nworker_inflight = sizeof many / sizeof *many;
	struct buf b = BUF_INIT(METRICS_RENDER_CAP);
	int rc = metrics_render_prometheus(m, &g, &b);
	is_int(rc, 0, "the worst-case Prometheus text fits METRICS_RENDER_CAP (%zu bytes)", b.len);
	const char *lint = rc == 0 ? prom_lint(b.data) : "no text";
	ok(lint == NULL, "and follows the format%s%s", lint ? ": " : "", lint ? lint : "");
	is_int(count_prefix(b.data ? b.data : "", "corral_http_requests_total{"),
	       METRICS_HTTP_PAIRS + 501, "series are bounded by 64 + 501");
	is_int(count_prefix(b.data ? b.data : "", "corral_tenant_executions_in_flight{"),
	       METRICS_INFLIGHT_SERIES, "tenant in-flight series are bounded by METRICS_INFLIGHT_SERIES");
	is_int(count_prefix(b.data ? b.data : "", "corral_worker_executions_in_flight{"),
	       METRICS_INFLIGHT_SERIES, "worker in-flight series are bounded too");
	buf_reset(&b);
	rc = metrics_render_json(m, &g, &b);
	is_int(rc, 0, "the worst-case JSON fits too");
	json_error_t err;
	/* 2^64 - 1 is valid JSON but past jansson's long long: read as reals. */
	json_t *root = rc == 0 ? json_loads(b.data, JSON_DECODE_INT_AS_REAL, &err) : NULL;
	ok(root != NULL, "and parses");
	json_decref(root);
	buf_release(&b);

	/* Too small a buf: -ENOBUFS and the buf as it was. */
	struct buf small = BUF_INIT(200);
	buf_puts(&small, "keep");
	rc = metrics_render_prometheus(m, &g, &small);
	ok(rc == -ENOBUFS && small.len == 4 && strcmp(small.data, "keep") == 0,
	   "Prometheus into a small buf: -ENOBUFS, buf unchanged");
	rc = metrics_render_json(m, &g, &small);
	ok(rc == -ENOBUFS && small.len == 4 && strcmp(small.data, "keep") == 0,
	   "JSON into a small buf: -ENOBUFS, buf unchanged");
	buf_release(&small);

	/* Appending after existing content. */
	struct buf app = BUF_INIT(METRICS_RENDER_CAP);
	buf_puts(&app, "[");
	rc = metrics_render_json(NULL, NULL, &app);
	buf_puts(&app, "]");
	root = rc == 0 ? json_loads(app.data, 0, &err) : NULL;
	ok(json_is_array(root) && json_array_size(root) == 1, "JSON appends after existing text");
	json_decref(root);
	buf_release(&app);
	metrics_free(m);

	metrics_free(NULL);
	metrics_request(NULL, "/v1/execute", 200);
	metrics_exec_done(NULL, OUTCOME_OK, 1, 1);
	metrics_pool_event(NULL, METRICS_WORKER_CREATED);
	ok(metrics_exec_count(NULL, OUTCOME_OK) == 0, "NULL metrics record nothing and do not crash");
}

int main(void)
{
	test_empty_prometheus();
	test_histogram();
	test_quantiles();
	test_json();
	test_http_folding();
	test_inflight_series();
	test_bounds();
	return done_testing();
}
