/* api — see api.h. */
#include "supervisor/api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "supervisor/api/api_bundle.h"
#include "supervisor/api/api_exec.h"
#include "supervisor/api/api_fn.h"
#include "supervisor/api/api_guard.h"
#include "supervisor/api/api_ops.h"
#include "supervisor/api/api_session.h"
#include "supervisor/api/api_settings.h"
#include "supervisor/log.h"
#include "supervisor/metrics.h"
#include "supervisor/pool.h"
#include "supervisor/ratelimit.h"

void api_flush_records(struct api *a)
{
	api_session_kick(a);
	api__records_flush(a);
}

void api_sweep(struct api *a)
{
	api_sessions_sweep(a);
}

void api_release(struct api *a)
{
	api_flush_records(a);
	api_fn_release(a);
	api_session_release(a);
	api_settings_release(a);
}

/* --- code mode ---------------------------------------------------------- */

static void handle_execute(struct api *a, struct http_req *r, bool compat)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, compat))
		return;
	if (a->draining) {
		api__retry_after(r, 1);
		if (compat)
			api__error_compat(r, 503, "the service is shutting down");
		else
			api__error_json(r, 503, "draining", NULL, "the service is shutting down");
		return;
	}
	if (api__unsent_full(a, r, compat))
		return;
	struct api_exec *x = api__exec_parse(a, r, compat);
	if (!x)
		return;
	snprintf(x->pj.tenant, sizeof x->pj.tenant, "%s", tenant);
	if (x->own_process)
		snprintf(x->pj.binding, sizeof x->pj.binding, "%s#process", tenant);
	if (!compat) {
		const char *accept = http_header(r, "Accept");
		if (accept && strstr(accept, "text/event-stream"))
			x->mode = MODE_SSE;
		else if (accept && strstr(accept, "application/x-ndjson"))
			x->mode = MODE_NDJSON;
	}
	if (a->rl) {
		unsigned after = 1;
		int rc = ratelimit_acquire(a->rl, tenant, clock_mono_ns(), &after);
		if (rc) {
			api__retry_after(r, after);
			const char *why = rc == -EBUSY ? "too many concurrent executions for this tenant"
							: "rate limit exceeded for this tenant";
			if (compat)
				api__error_compat(r, 429, why);
			else
				api__error_json(r, 429, "rate_limited", NULL, "%s", why);
			api__exec_free(x);
			return;
		}
		x->rl_held = true;
	}
	http_set_app(r, x);
	if (x->session_id[0]) {
		api_session_submit(a, x);
		return;
	}
	int rc = api__exec_start(x);
	if (rc)
		api__exec_refuse(x, 503, "overloaded", NULL, rc == -ENOMEM ? "out of memory"
			: compat ? "the service is saturated; retry later" : "every worker is busy and the queue is full");
}

/* --- routing ------------------------------------------------------------ */

struct route {
	const char *method;
	const char *path;     /* exact, or a prefix ending in '/' with prefix set */
	bool prefix;
	const char *label;    /* for metrics */
};

static const struct route routes[] = {
	{ "GET", "/healthz", false, "/healthz" },
	{ "GET", "/readyz", false, "/readyz" },
	{ "GET", "/metrics", false, "/metrics" },
	{ "GET", "/v1/metrics", false, "/v1/metrics" },
	{ "POST", "/v1/execute", false, "/v1/execute" },
	{ "POST", "/api/execute", false, "/api/execute" },
	{ "GET", "/v1/executions/", true, "/v1/executions" },
	{ "POST", "/v1/executions/", true, "/v1/executions" },
	{ "*", "/v1/functions", false, "/v1/functions" },
	{ "*", "/v1/functions/", true, "/v1/functions" },
	{ "*", "/fn/", true, "/fn" },
	{ "*", "/v1/bundles", false, "/v1/bundles" },
	{ "*", "/v1/bundles/", true, "/v1/bundles" },
	{ "*", "/v1/sessions", false, "/v1/sessions" },
	{ "*", "/v1/sessions/", true, "/v1/sessions" },
	{ "*", "/v1/settings", false, "/v1/settings" },
};

static void on_request(struct http_req *r, void *ud)
{
	struct api *a = ud;
	const char *path = http_path(r), *method = http_method(r);
	const struct route *found = NULL;
	bool path_known = false;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route *rt = &routes[i];
		bool match = rt->prefix ? strncmp(path, rt->path, strlen(rt->path)) == 0 && path[strlen(rt->path)]
					: strcmp(path, rt->path) == 0;
		if (!match)
			continue;
		path_known = true;
		if (!strcmp(rt->method, "*") || strcmp(method, rt->method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
			found = rt;
			break;
		}
	}
	if (!found && path_known && !strcmp(method, "OPTIONS")) {
		/* A CORS preflight: the guard answers it. */
		for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !found; i++)
			if (routes[i].prefix ? strncmp(path, routes[i].path, strlen(routes[i].path)) == 0
					     : strcmp(path, routes[i].path) == 0)
				found = &routes[i];
	}
	if (!found) {
		if (path_known) {
			http_add_header(r, "Allow", "GET, POST");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on %.200s", method, path);
		} else {
			api__error_json(r, 404, "not_found", NULL, "no route %.200s", path);
		}
		return;
	}
	if (!api_guard(a, r, found->label))
		return;
	if (!strcmp(found->label, "/healthz"))
		api_ops_healthz(a, r);
	else if (!strcmp(found->label, "/readyz"))
		api_ops_readyz(a, r);
	else if (!strcmp(found->label, "/metrics")) {
		if (api_ops_metrics_allowed(a, r))
			api_ops_metrics(a, r, false);
	}
	else if (!strcmp(found->label, "/v1/metrics")) {
		char tenant[65];
		if (api__authenticate(a, r, tenant, false))
			api_ops_metrics(a, r, true);
	}
	else if (!strcmp(found->label, "/v1/execute"))
		handle_execute(a, r, false);
	else if (!strcmp(found->label, "/api/execute"))
		handle_execute(a, r, true);
	else if (!strcmp(found->label, "/v1/executions") && !strcmp(method, "POST"))
		api_exec_cancel(a, r, path + strlen(found->path));
	else if (!strcmp(found->label, "/v1/executions"))
		api_ops_execution_get(a, r, path + strlen(found->path));
	else if (!strcmp(found->label, "/v1/functions"))
		api_fn_functions(a, r, path);
	else if (!strcmp(found->label, "/fn"))
		api_fn_invoke(a, r, path);
	else if (!strcmp(found->label, "/v1/bundles"))
		api_bundle_routes(a, r, path);
	else if (!strcmp(found->label, "/v1/sessions"))
		api_session_routes(a, r, path);
	else if (!strcmp(found->label, "/v1/settings"))
		api_settings_route(a, r);
}

static const char *route_label(const char *path)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (routes[i].prefix ? strncmp(path, routes[i].path, strlen(routes[i].path)) == 0
				     : strcmp(path, routes[i].path) == 0)
			return routes[i].label;
	return "other";
}

static void on_closed(struct http_req *r, void *ud)
{
	struct api *a = ud;
	struct api_exec *x = http_app(r);
	double ms = (double)(clock_mono_ns() - http_start_ns(r)) / 1e6;
	metrics_request(a->metrics, route_label(http_path(r)), http_status(r));
	struct buf b = BUF_INIT(4096);
	log_begin(&b, LOG_INFO, "request");
	log_kv_str(&b, "method", http_method(r));
	log_kv_str(&b, "path", http_path(r));
	log_kv_int(&b, "status", http_status(r));
	log_kv_num(&b, "ms", ms);
	if (x)
		log_kv_str(&b, "execution", x->id);
	log_end(&b, LOG_INFO);
	buf_release(&b);
	if (!x)
		return;
	if (api_fn_kind(x)) {
		api_fn_closed(a, r, x);
		return;
	}
	if (api_fn_deploy_kind(x)) {
		api_fn_deploy_closed(a, x);
		return;
	}
	x->r = NULL;
	if (x->in_lane) {
		api_session_closed(a, x);
		if (x->rl_held && a->rl)
			ratelimit_release(a->rl, x->pj.tenant);
		api__exec_free(x);
		return;
	}
	if (x->running && x->lane) {
		/* A session's execution runs to its end even without its
		 * client: its history and state are recorded all the same. */
		return;
	}
	if (x->running) {
		/* The client is gone while its job runs or waits: the job
		 * finishes unobserved (a running one) or is dropped. */
		pool_cancel(a->pool, &x->pj);
		if (x->rl_held && a->rl)
			ratelimit_release(a->rl, x->pj.tenant);
	}
	api__exec_free(x);
}

const struct http_handlers api_handlers = { on_request, on_closed };
