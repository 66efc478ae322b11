/* api_exec — see api_exec.h.
 *
 * An execution's life: api__exec_parse validates the body into a struct
 * api_exec (a 4xx names the field), api__exec_start makes its output filter,
 * checks the tenant's validation policy and submits its pool job; output
 * arrives through on_job_output (streamed live, filtered with a hold-back,
 * for SSE and NDJSON) and the end through on_job_done, which filters the
 * whole texts, records the execution, tells a session's lane (hooks) and
 * answers. A client that goes away leaves x to finish unobserved (api.c). */
#include "supervisor/api/api_exec.h"
#include "common/dlist.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/ipc.h"
#include "common/json.h"
#include "supervisor/api/api_settings.h"
#include "supervisor/log.h"
#include "supervisor/policy.h"
#include "supervisor/ratelimit.h"
#include "supervisor/serve.h"
#include "supervisor/store/store.h"

#define MAX_ENV 256
#define MAX_ENV_BYTES (64u << 10)

void api__exec_free(struct api_exec *x)
{
	if (!x)
		return;
	if (x->live)
		DLIST_UNLINK(x->api->live, x);
	free(x->code);
	free(x->state);
	free(x->secrets_commit);
	for (size_t i = 0; i < x->nfenv; i++)
		free(x->fenv[i]);
	free(x->fenv);
	for (size_t i = 0; i < x->nenv; i++)
		free(x->env[i]);
	free(x->env);
	buf_release(&x->out);
	buf_release(&x->err);
	buf_release(&x->both);
	filter_free(x->flt);
	api__tenant_cfg_put(x->tc);
	filter_stream_release(&x->fs_out);
	filter_stream_release(&x->fs_err);
	free(x);
}

static void stream_event(struct api_exec *x, const char *event, const char *json, size_t n)
{
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	if (x->mode == MODE_SSE) {
		buf_printf(&b, "event: %s\ndata: ", event);
		buf_append(&b, json, n);
		buf_puts(&b, "\n\n");
	} else {
		buf_puts(&b, "{\"event\":");
		json_put_cstr(&b, event);
		buf_puts(&b, ",\"data\":");
		buf_append(&b, json, n);
		buf_puts(&b, "}\n");
	}
	http_stream_write(x->r, b.data, b.len);
	buf_release(&b);
}

static void on_job_output(struct pool_job *j, int stream, const char *p, size_t n)
{
	struct api_exec *x = j->ud;
	buf_append(stream == IPC_STREAM_STDOUT ? &x->out : &x->err, p, n);
	buf_append(&x->both, p, n);
	if (x->r && (x->mode == MODE_SSE || x->mode == MODE_NDJSON)) {
		struct buf safe = BUF_INIT(SIZE_MAX / 2);
		filter_stream_feed(x->flt, stream == IPC_STREAM_STDOUT ? &x->fs_out : &x->fs_err, p, n, &safe);
		if (safe.len) {
			struct buf d = BUF_INIT(SIZE_MAX / 2);
			json_put_str(&d, safe.data, safe.len);
			stream_event(x, stream == IPC_STREAM_STDOUT ? "stdout" : "stderr", d.data, d.len);
			buf_release(&d);
		}
		buf_release(&safe);
	}
}

static void log_exec(struct api_exec *x, const struct result *res)
{
	struct buf b = BUF_INIT(8192);
	log_begin(&b, LOG_INFO, "execution");
	log_kv_str(&b, "id", x->id);
	log_kv_str(&b, "tenant", x->pj.tenant);
	if (x->session_id[0])
		log_kv_str(&b, "session", x->session_id);
	log_kv_str(&b, "status", outcome_name(res->status));
	log_kv_num(&b, "wall_ms", (double)res->wall_ns / 1e6);
	log_kv_num(&b, "cpu_ms", (double)res->cpu_ns / 1e6);
	log_kv_int(&b, "peak_memory_bytes", (long long)res->peak_memory);
	log_kv_num(&b, "queue_ms", (double)(x->pj.started_ns - x->pj.enqueued_ns) / 1e6);
	log_end(&b, LOG_INFO);
	buf_release(&b);
}

static void on_job_done(struct pool_job *j, struct result *res, bool refused)
{
	struct api_exec *x = j->ud;
	struct api *a = x->api;
	x->running = false;
	if (x->rl_held && a->rl) {
		ratelimit_release(a->rl, x->pj.tenant);
		x->rl_held = false;
	}
	if (refused) {
		if (x->hooks && x->hooks->done)
			x->hooks->done(a, x, NULL);
		if (x->r) {
			api__retry_after(x->r, 1);
			if (x->mode == MODE_COMPAT)
				api__error_compat(x->r, 503, "the service is saturated; retry later");
			else if (x->mode == MODE_SSE || x->mode == MODE_NDJSON) {
				/* The stream has started (200): end it with an error event. */
				struct buf e = BUF_INIT(4096);
				buf_puts(&e, "{\"code\":\"overloaded\",\"message\":");
				json_put_cstr(&e, res->err_message ? res->err_message : "overloaded");
				buf_putc(&e, '}');
				stream_event(x, "error", e.data, e.len);
				buf_release(&e);
				http_stream_end(x->r);
			} else
				api__error_json(x->r, 503, "overloaded", NULL, "%s", res->err_message ? res->err_message : "overloaded");
		}
		if (!x->r)
			api__exec_free(x);
		return;
	}
	snprintf(res->id, sizeof res->id, "%s", x->id);
	/* Secrets and personal data out of everything that leaves, on whole
	 * texts (a secret split across two writes is still one secret). */
	/* A session's PII tokens are rows: one transaction for them all. */
	bool batch = x->lane && a->store && store_batch_begin(a->store) == 0;
	if (filter_active(x->flt)) {
		filter_buf(x->flt, &x->out);
		filter_buf(x->flt, &x->err);
		filter_buf(x->flt, &x->both);
		if (res->result_json)
			filter_json(x->flt, &res->result_json);
		api__filter_error(x->flt, res);
		if (x->r && (x->mode == MODE_SSE || x->mode == MODE_NDJSON)) {
			static const char *const names[] = { "stdout", "stderr" };
			struct filter_stream *sts[] = { &x->fs_out, &x->fs_err };
			for (int i = 0; i < 2; i++) {
				struct buf rest = BUF_INIT(SIZE_MAX / 2);
				filter_stream_end(x->flt, sts[i], &rest);
				if (rest.len) {
					struct buf d = BUF_INIT(SIZE_MAX / 2);
					json_put_str(&d, rest.data, rest.len);
					stream_event(x, names[i], d.data, d.len);
					buf_release(&d);
				}
				buf_release(&rest);
			}
		}
	}
	if (batch && store_batch_commit(a->store))
		log_msg(LOG_WARN, "store", "cannot commit the tokens of execution %s: %s", x->id, store_last_error(a->store));
	log_exec(x, res);
	api__record(a, x->id, x->pj.tenant, res, &x->both);
	if (x->hooks && x->hooks->done)
		x->hooks->done(a, x, res);
	if (!x->r) {
		api__exec_free(x);
		return;
	}
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	if (x->mode == MODE_COMPAT) {
		buf_puts(&b, "{\"stdout\":");
		json_put_str(&b, x->out.data ? x->out.data : "", x->out.len);
		buf_puts(&b, ",\"stderr\":");
		/* Like a process would: the uncaught error goes to stderr. */
		struct buf e = BUF_INIT(SIZE_MAX / 2);
		buf_append(&e, x->err.data ? x->err.data : "", x->err.len);
		if (res->status != OUTCOME_OK && res->err_name)
			buf_printf(&e, "%s\n", res->err_stack ? res->err_stack : res->err_message ? res->err_message : res->err_name);
		json_put_str(&b, e.data ? e.data : "", e.len);
		buf_release(&e);
		buf_printf(&b, ",\"exitCode\":%d}", result_exit_code(res));
		api__respond_json(x->r, 200, &b);
	} else {
		struct result_output ro = { &x->out, &x->err, &x->both };
		result_to_json(res, &ro, &b);
		if (x->mode == MODE_JSON) {
			api__respond_json(x->r, 200, &b);
		} else {
			stream_event(x, "result", b.data, b.len);
			http_stream_end(x->r);
		}
	}
	buf_release(&b);
}

static const struct pool_job_ops job_ops = { .output = on_job_output, .done = on_job_done };


struct api_exec *api__exec_parse(struct api *a, struct http_req *r, bool compat)
{
	const struct serve_config *c = a->cfg;
	const struct buf *body = http_body(r);
	json_error_t jerr;
	char msg[300];
#define FAIL(status, code, field, ...) do { \
		snprintf(msg, sizeof msg, __VA_ARGS__); \
		if (compat) api__error_compat(r, status, msg); else api__error_json(r, status, code, field, "%s", msg); \
		goto fail; } while (0)

	struct api_exec *x = calloc(1, sizeof *x);
	json_t *root = NULL;
	if (!x) {
		api__error_json(r, 503, "overloaded", NULL, "out of memory");
		return NULL;
	}
	x->api = a;
	x->r = r;
	x->mode = compat ? MODE_COMPAT : MODE_JSON;
	buf_init(&x->out, c->max_output);
	buf_init(&x->err, c->max_output);
	buf_init(&x->both, c->max_output);

	if (http_body_too_large(r) || body->len > c->max_body)
		FAIL(413, "body_too_large", NULL, "the request body is over the %llu-byte cap", (unsigned long long)c->max_body);
	/* Its Content-Type is JSON: api_guard saw to that. */
	if (!body->len)
		FAIL(400, "bad_request", NULL, "the body is empty: send a JSON object with \"code\"");
	root = json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		FAIL(400, "invalid_json", NULL, "the body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
	if (!json_is_object(root))
		FAIL(400, "bad_request", NULL, "the body must be a JSON object");

	/* A field the route does not take is a mistake (a typo'd
	 * "timeout", "allow_eval" sent to a build without it): say so rather
	 * than run without it. The compatibility route keeps its seed's
	 * leniency. */
	if (!compat) {
		static const char *const known[] = { "code", "language", "timeout_ms", "memory_mb", "env", "session_id",
						     "pii", "isolation", "allow_eval", "wasm", "stdin" };
		const char *k;
		json_t *v;
		json_object_foreach(root, k, v) {
			size_t i = 0;
			while (i < sizeof known / sizeof *known && strcmp(k, known[i]) != 0)
				i++;
			if (i == sizeof known / sizeof *known)
				FAIL(400, "unknown_field", k, "unknown field '%.60s' (POST /v1/execute takes code, language, "
				     "timeout_ms, memory_mb, env, session_id, pii, isolation, allow_eval, wasm, stdin)", k);
		}
	}
	json_t *code = json_object_get(root, "code");
	if (!code)
		FAIL(400, "missing_field", "code", "code is required");
	if (!json_is_string(code))
		FAIL(400, "invalid_field", "code", "code must be a string");
	size_t code_len = json_string_length(code);
	if (code_len > c->max_code)
		FAIL(400, "code_too_large", "code", "code is %zu bytes; the cap is %llu", code_len, (unsigned long long)c->max_code);
	x->code = malloc(code_len + 1);
	if (!x->code)
		FAIL(503, "overloaded", NULL, "out of memory");
	memcpy(x->code, json_string_value(code), code_len);
	x->code[code_len] = '\0';
	x->code_len = code_len;

	bool typescript = false;
	json_t *lang = json_object_get(root, "language");
	if (lang && !json_is_null(lang)) {
		if (!json_is_string(lang))
			FAIL(400, "invalid_field", "language", "language must be \"javascript\" or \"typescript\"");
		const char *l = json_string_value(lang);
		if (!strcmp(l, "typescript") || !strcmp(l, "ts"))
			typescript = true;
		else if (strcmp(l, "javascript") && strcmp(l, "js"))
			FAIL(400, "invalid_field", "language", "language must be \"javascript\" or \"typescript\" (got '%.40s')", l);
	}

	const char *tkey = compat ? "timeout" : "timeout_ms";
	uint64_t timeout = c->timeout_ms;
	json_t *t = json_object_get(root, tkey);
	if (t && !json_is_null(t)) {
		if (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > CONFIG_TIMEOUT_MS_MAX)
			FAIL(400, "invalid_field", tkey, "%s must be an integer from 1 to %d (milliseconds)", tkey, CONFIG_TIMEOUT_MS_MAX);
		timeout = (uint64_t)json_integer_value(t);
	}
	uint64_t memory = c->memory_mb;
	json_t *m = json_object_get(root, "memory_mb");
	if (m && !json_is_null(m)) {
		if (!json_is_integer(m) || json_integer_value(m) < CONFIG_MEMORY_MB_MIN ||
		    (uint64_t)json_integer_value(m) > c->max_memory_mb)
			FAIL(400, "invalid_field", "memory_mb", "memory_mb must be an integer from %d to %llu", CONFIG_MEMORY_MB_MIN,
			     (unsigned long long)c->max_memory_mb);
		memory = (uint64_t)json_integer_value(m);
	}
	json_t *env = json_object_get(root, "env");
	if (env && !json_is_null(env)) {
		if (!json_is_object(env))
			FAIL(400, "invalid_field", "env", "env must be an object of string values");
		if (json_object_size(env) > MAX_ENV)
			FAIL(400, "invalid_field", "env", "env has %zu entries; the cap is %d", json_object_size(env), MAX_ENV);
		x->env = calloc(json_object_size(env) + 1, sizeof *x->env);
		if (!x->env)
			FAIL(503, "overloaded", NULL, "out of memory");
		const char *k;
		json_t *v;
		size_t total = 0;
		json_object_foreach(env, k, v) {
			if (!json_is_string(v))
				FAIL(400, "invalid_field", "env", "env.%.60s must be a string", k);
			if (!k[0] || strchr(k, '=') || strlen(k) > 256)
				FAIL(400, "invalid_field", "env", "env names must be 1-256 characters without '='");
			size_t vl = json_string_length(v);
			if (memchr(json_string_value(v), '\0', vl))
				FAIL(400, "invalid_field", "env", "env.%.60s contains a NUL byte", k);
			total += strlen(k) + vl + 2;
			if (total > MAX_ENV_BYTES)
				FAIL(400, "invalid_field", "env", "env is over %u bytes", MAX_ENV_BYTES);
			if (asprintf(&x->env[x->nenv], "%s=%s", k, json_string_value(v)) < 0)
				FAIL(503, "overloaded", NULL, "out of memory");
			x->nenv++;
		}
	}
	json_t *sid = json_object_get(root, "session_id");
	if (sid && !json_is_null(sid)) {
		if (!json_is_string(sid))
			FAIL(400, "invalid_field", "session_id", "session_id must be a string");
		const char *sv = json_string_value(sid);
		size_t sl = strlen(sv);
		if (!sl || sl > 64 || strspn(sv, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != sl)
			FAIL(404, "not_found", "session_id", "no session '%.80s'", sv);
		memcpy(x->session_id, sv, sl + 1);
	}
	x->pii = -1;
	json_t *pii = json_object_get(root, "pii");
	if (pii && !json_is_null(pii)) {
		if (!json_is_boolean(pii))
			FAIL(400, "invalid_field", "pii", "pii must be true or false");
		x->pii = json_is_true(pii);
	}
	/* Code generation from strings (eval, new Function) and WebAssembly:
	 * off unless the request or the tenant's settings allow them. */
	x->allow_eval = -1;
	x->wasm = -1;
	static const char *const opt_in[] = { "allow_eval", "wasm" };
	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, opt_in[i]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_boolean(v))
			FAIL(400, "invalid_field", opt_in[i], "%s must be true or false", opt_in[i]);
		*(i == 0 ? &x->allow_eval : &x->wasm) = json_is_true(v);
	}
	json_t *in = json_object_get(root, "stdin");
	if (in && !json_is_null(in) && !json_is_string(in))
		FAIL(400, "invalid_field", "stdin", "stdin must be a string");
	/* "shared" (the default): the execution runs in a worker beside the
	 * tenant's other executions, each in its own context; "process": in a
	 * worker of its own, as one execution per process. */
	json_t *iso = json_object_get(root, "isolation");
	if (iso && !json_is_null(iso)) {
		const char *iv = json_is_string(iso) ? json_string_value(iso) : NULL;
		if (!iv || (strcmp(iv, "shared") && strcmp(iv, "process")))
			FAIL(400, "invalid_field", "isolation", "isolation must be \"shared\" or \"process\"");
		x->own_process = !strcmp(iv, "process");
	}
	/* A session's context lives in a worker shared by the tenant's
	 * sessions, where a wasm loop could not be stopped alone. */
	if (x->wasm == 1 && x->session_id[0])
		FAIL(400, "invalid_field", "wasm", "wasm is not available in a session (run it without session_id)");
	json_decref(root);
	root = NULL;

	filter_stream_init(&x->fs_out);
	filter_stream_init(&x->fs_err);
	if (result_new_id(x->id, sizeof x->id))
		FAIL(503, "unavailable", NULL, "no randomness for an execution id; retry later");
	x->pj.ops = &job_ops;
	x->pj.ud = x;
	x->pj.job = (struct wproc_job){
		.id = x->id,
		.code = x->code,
		.code_len = x->code_len,
		.filename = typescript ? "main.ts" : "main.js",
		.typescript = typescript,
		.timeout_ms = timeout,
		.memory_bytes = memory << 20,
		.output_cap = c->max_output,
		.env = (const char *const *)x->env,
		.nenv = x->nenv,
		.tmp_cap = c->tmp_mb << 20,
	};
	return x;
fail:
	json_decref(root);
	api__exec_free(x);
	return NULL;
#undef FAIL
}

void api__exec_started(struct api_exec *x)
{
	if (!x->r)
		return;
	http_add_header(x->r, "X-Corral-Execution-Id", x->id);
	if (x->mode == MODE_SSE)
		http_stream_start(x->r, 200, "text/event-stream");
	else if (x->mode == MODE_NDJSON)
		http_stream_start(x->r, 200, "application/x-ndjson");
}

void api__exec_refuse(struct api_exec *x, int status, const char *code, const char *field, const char *msg)
{
	struct api *a = x->api;
	if (x->rl_held && a->rl) {
		ratelimit_release(a->rl, x->pj.tenant);
		x->rl_held = false;
	}
	if (x->r) {
		http_set_app(x->r, NULL);
		if (status == 503 || status == 429)
			api__retry_after(x->r, 1);
		if (x->mode == MODE_COMPAT)
			api__error_compat(x->r, status, msg);
		else
			api__error_json(x->r, status, code, field, "%s", msg);
	}
	api__exec_free(x);
}

/* The filter for x: the request's env, the service's and the tenant's
 * secret patterns, and PII tokens when asked for (by the request, else the
 * session, else the tenant, else the service). */
static int exec_filter(struct api_exec *x, const struct api_tenant_cfg *tc)
{
	struct api *a = x->api;
	bool pii = x->pii >= 0 ? x->pii == 1
		 : x->lane ? x->session_pii
		 : tc->pii >= 0 ? tc->pii == 1 : a->cfg->pii;
	struct filter_opts fo = {
		.env = (const char *const *)(x->fenv ? x->fenv : x->env),
		.nenv = x->fenv ? x->nfenv : x->nenv,
		.pii = pii,
		.token = x->hooks ? x->hooks->token : NULL,
		.token_ud = x,
	};
	const struct filter_rules *svc = api__service_rules(a);
	if (svc)
		fo.rules[fo.nrules++] = svc;
	if (tc->rules)
		fo.rules[fo.nrules++] = tc->rules;
	return filter_new(&x->flt, &fo);
}

int api__exec_start(struct api_exec *x)
{
	struct api *a = x->api;
	if (!x->tc)
		x->tc = api__tenant_cfg(a, x->pj.tenant);
	const struct api_tenant_cfg *tc = x->tc;
	if (!x->flt && exec_filter(x, tc))
		return -ENOMEM;
	/* The request's choice, else the tenant's; per execution, also for a
	 * session's snippets (the worker sets it on the context each time). */
	x->pj.job.allow_eval = x->allow_eval >= 0 ? x->allow_eval == 1 : tc->allow_eval == 1;
	/* WebAssembly (not in sessions, see api__exec_parse): in a worker of
	 * its own started with it, one execution at a time (as isolation
	 * "process"), which the deadline kill ends alone. */
	if (!x->session_id[0] && (x->wasm >= 0 ? x->wasm == 1 : tc->wasm == 1)) {
		x->pj.job.wasm = true;
		snprintf(x->pj.binding, sizeof x->pj.binding, "%s#process#wasm", x->pj.tenant);
	}
	/* The tenant's validation policy: an aid, not the boundary. */
	struct policy_violation v;
	if (tc->policy && policy_check(tc->policy, x->code, x->code_len, &v) == 1) {
		struct result r;
		result_init(&r);
		r.status = OUTCOME_REJECTED;
		result_set_error(&r, "PolicyViolation", v.message);
		r.err_line = v.line;
		r.err_column = v.column;
		x->not_run = true;
		api__exec_started(x);
		on_job_done(&x->pj, &r, false);
		result_release(&r);
		return 0;
	}
	x->running = true;
	int rc = pool_submit(a->pool, &x->pj);
	if (rc) {
		x->running = false;
		return rc;
	}
	if (!x->live) {
		DLIST_PUSH(a->live, x);
		x->live = true;
	}
	api__exec_started(x);
	return 0;
}

void api_exec_cancel(struct api *a, struct http_req *r, const char *rest)
{
	char tenant[65], id[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : 0;
	if (!slash || strcmp(slash, "/cancel") != 0 || !n || n >= sizeof id) {
		api__error_json(r, 404, "not_found", NULL, "no route POST /v1/executions/%.100s (POST .../{id}/cancel)", rest);
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	struct api_exec *x = a->live;
	while (x && (strcmp(x->id, id) != 0 || strcmp(x->pj.tenant, tenant) != 0))
		x = x->next;
	struct buf b = BUF_INIT(4096);
	buf_puts(&b, "{\"id\":");
	json_put_cstr(&b, id);
	if (x && x->running && pool_stop(a->pool, &x->pj) == 0) {
		/* Its own answer (and the stream's final event) says cancelled. */
		buf_puts(&b, ",\"cancelled\":true}");
		api__respond_json(r, 202, &b);
		buf_release(&b);
		return;
	}
	/* Over already (or ending): idempotent, it says how it ended. */
	struct store_execution e;
	memset(&e, 0, sizeof e);
	if (!x && (!a->store || store_execution_get(a->store, id, &e) || strcmp(e.tenant, tenant) != 0)) {
		if (a->store && e.id[0])
			store_execution_release(&e);
		buf_release(&b);
		api__error_json(r, 404, "not_found", NULL, "no execution '%.64s'", id);
		return;
	}
	buf_puts(&b, ",\"cancelled\":false,\"status\":");
	if (x)
		buf_puts(&b, "null}");
	else {
		json_put_cstr(&b, e.status);
		buf_puts(&b, "}");
		store_execution_release(&e);
	}
	api__respond_json(r, 200, &b);
	buf_release(&b);
}
