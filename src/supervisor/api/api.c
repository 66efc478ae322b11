/* api — see api.h. */
#include "supervisor/api/api.h"
#include "supervisor/api/api_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/ipc.h"
#include "supervisor/log.h"
#include "supervisor/metrics.h"
#include "supervisor/pool.h"
#include "supervisor/ratelimit.h"
#include "supervisor/policy.h"
#include "common/result.h"
#include "sandbox/sandbox.h"
#include "supervisor/serve.h"
#include "supervisor/store/store.h"
#include "common/clock.h"
#include "common/json.h"

#define MAX_ENV 256
#define MAX_ENV_BYTES (64u << 10)

/* --- answers ------------------------------------------------------------ */

void api__respond_json(struct http_req *r, int status, const struct buf *b)
{
	http_respond(r, status, "application/json", b->data ? b->data : "{}", b->len);
}

void api__error_json(struct http_req *r, int status, const char *code, const char *field,
		     const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct buf b = BUF_INIT(4096);
	buf_puts(&b, "{\"error\":{\"code\":");
	json_put_cstr(&b, code);
	buf_puts(&b, ",\"message\":");
	json_put_cstr(&b, msg);
	if (field) {
		buf_puts(&b, ",\"field\":");
		json_put_cstr(&b, field);
	}
	buf_puts(&b, "}}");
	api__respond_json(r, status, &b);
	buf_release(&b);
}

/* The compatibility route's errors are a plain string. */
static void error_compat(struct http_req *r, int status, const char *msg)
{
	struct buf b = BUF_INIT(4096);
	buf_puts(&b, "{\"error\":");
	json_put_cstr(&b, msg);
	buf_putc(&b, '}');
	api__respond_json(r, status, &b);
	buf_release(&b);
}

void api__retry_after(struct http_req *r, unsigned s)
{
	char v[16];
	snprintf(v, sizeof v, "%u", s ? s : 1);
	http_add_header(r, "Retry-After", v);
}

/* --- auth --------------------------------------------------------------- */

/* Sets tenant and returns true, or answers 401 and returns false. */
bool api__authenticate(struct api *a, struct http_req *r, char tenant[65], bool compat)
{
	const char *h = http_header(r, "Authorization");
	if (a->dev_mode && !h) {
		snprintf(tenant, 65, "default");
		return true;
	}
	const char *why = NULL;
	if (!h)
		why = "an API key is required: Authorization: Bearer <key>";
	else if (strncasecmp(h, "Bearer ", 7) != 0)
		why = "the Authorization header must be 'Bearer <key>'";
	if (!why) {
		struct store_key_match m;
		const char *key = h + 7;
		while (*key == ' ')
			key++;
		if (a->store && store_key_lookup(a->store, key, &m) == 0) {
			snprintf(tenant, 65, "%s", m.tenant);
			return true;
		}
		if (a->dev_mode) {
			snprintf(tenant, 65, "default");
			return true;
		}
		why = "the API key is unknown or revoked";
	}
	http_add_header(r, "WWW-Authenticate", "Bearer");
	if (compat)
		error_compat(r, 401, why);
	else
		api__error_json(r, 401, "unauthorized", NULL, "%s", why);
	return false;
}

/* --- executions --------------------------------------------------------- */

void api__exec_free(struct api_exec *x)
{
	if (!x)
		return;
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

struct api_record {
	struct store_execution e;
	struct api_record *next;
};

/* Queues the execution for api_flush_records: one transaction per loop
 * iteration instead of one commit per execution. */
void api__record(struct api *a, const char *id, const char *tenant, const struct result *res,
		 const struct buf *logs)
{
	if (!a->store)
		return;
	struct api_record *rec = calloc(1, sizeof *rec);
	if (!rec)
		return;
	struct store_execution *e = &rec->e;
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
	snprintf(e->status, sizeof e->status, "%s", outcome_name(res->status));
	e->wall_ms = (double)res->wall_ns / 1e6;
	e->cpu_ms = (double)res->cpu_ns / 1e6;
	e->peak_memory_bytes = res->peak_memory;
	size_t n = logs->len < STORE_EXEC_LOGS_MAX ? logs->len : STORE_EXEC_LOGS_MAX;
	e->logs = strndup(logs->data ? logs->data : "", n);
	rec->next = a->records;
	a->records = rec;
}

void api_flush_records(struct api *a)
{
	api_session_kick(a);
	if (!a->records)
		return;
	bool batch = store_batch_begin(a->store) == 0;
	while (a->records) {
		struct api_record *rec = a->records;
		a->records = rec->next;
		if (store_execution_record(a->store, &rec->e))
			log_msg(LOG_WARN, "store", "cannot record execution %s: %s", rec->e.id,
				store_last_error(a->store));
		free(rec->e.logs);
		free(rec);
	}
	if (batch && store_batch_commit(a->store))
		log_msg(LOG_WARN, "store", "cannot commit execution records: %s", store_last_error(a->store));
}

void api_release(struct api *a)
{
	api_flush_records(a);
	api_fn_release(a);
	api_session_release(a);
	api_settings_release(a);
}

void api__filter_error(struct filter *f, struct result *res)
{
	char **fields[] = { &res->err_name, &res->err_message, &res->err_stack };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (*fields[i])
			filter_str(f, fields[i]);
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
		if (x->lane)
			api_session_done(a, x, NULL);
		if (x->r) {
			api__retry_after(x->r, 1);
			if (x->mode == MODE_COMPAT)
				error_compat(x->r, 503, "the service is saturated; retry later");
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
	if (x->lane)
		api_session_done(a, x, res);
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

/* Parses and validates an execution body. Answers 4xx and returns NULL on
 * any fault, naming the field. */
static struct api_exec *parse_exec(struct api *a, struct http_req *r, bool compat)
{
	const struct serve_config *c = a->cfg;
	const struct buf *body = http_body(r);
	json_error_t jerr;
	char msg[300];
#define FAIL(status, code, field, ...) do { \
		snprintf(msg, sizeof msg, __VA_ARGS__); \
		if (compat) error_compat(r, status, msg); else api__error_json(r, status, code, field, "%s", msg); \
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
	/* JSON, also when labelled the way curl -d labels everything
	 * (application/x-www-form-urlencoded); other types are refused. */
	const char *ctype = http_header(r, "Content-Type");
	if (ctype && strncasecmp(ctype, "application/json", 16) != 0 &&
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0 && !strstr(ctype, "+json"))
		FAIL(415, "unsupported_media_type", NULL, "the body must be application/json (got '%.100s')", ctype);
	if (!body->len)
		FAIL(400, "bad_request", NULL, "the body is empty: send a JSON object with \"code\"");
	root = json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		FAIL(400, "invalid_json", NULL, "the body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
	if (!json_is_object(root))
		FAIL(400, "bad_request", NULL, "the body must be a JSON object");

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
	json_t *in = json_object_get(root, "stdin");
	if (in && !json_is_null(in) && !json_is_string(in))
		FAIL(400, "invalid_field", "stdin", "stdin must be a string");
	json_decref(root);
	root = NULL;

	filter_stream_init(&x->fs_out);
	filter_stream_init(&x->fs_err);
	result_new_id(x->id, sizeof x->id);
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
			error_compat(x->r, status, msg);
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
		.token = x->lane ? api_session_token : NULL,
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
	api__exec_started(x);
	return 0;
}

static void handle_execute(struct api *a, struct http_req *r, bool compat)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, compat))
		return;
	if (a->draining) {
		api__retry_after(r, 1);
		if (compat)
			error_compat(r, 503, "the service is shutting down");
		else
			api__error_json(r, 503, "draining", NULL, "the service is shutting down");
		return;
	}
	struct api_exec *x = parse_exec(a, r, compat);
	if (!x)
		return;
	snprintf(x->pj.tenant, sizeof x->pj.tenant, "%s", tenant);
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
				error_compat(r, 429, why);
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

/* --- operations --------------------------------------------------------- */

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
	g->sessions = a->sessions;
	/* The module cache is the loaded handlers of function-bound workers:
	 * a warm invocation is a hit, a cold one (the package loaded) a miss. */
	g->module_cache_size = ps.fn_bound;
	g->module_cache_hits = a->fn_warm;
	g->module_cache_misses = a->fn_cold;
	g->module_cache_evictions = ps.fn_evicted;
}

static void handle_healthz(struct api *a, struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	http_respond(r, 200, "application/json", ok, sizeof ok - 1);
}

static void handle_readyz(struct api *a, struct http_req *r)
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

static void handle_metrics(struct api *a, struct http_req *r, bool json)
{
	struct metrics_gauges g;
	gauges(a, &g);
	struct buf b = BUF_INIT(METRICS_RENDER_CAP);
	int rc = json ? metrics_render_json(a->metrics, &g, &b) : metrics_render_prometheus(a->metrics, &g, &b);
	if (rc)
		api__error_json(r, 503, "overloaded", NULL, "cannot render the metrics: %s", strerror(-rc));
	else if (json)
		api__respond_json(r, 200, &b);
	else
		http_respond(r, 200, METRICS_PROMETHEUS_CONTENT_TYPE, b.data ? b.data : "", b.len);
	buf_release(&b);
}

static void handle_execution_get(struct api *a, struct http_req *r, const char *id)
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
	{ "*", "/v1/functions", false, "/v1/functions" },
	{ "*", "/v1/functions/", true, "/v1/functions" },
	{ "*", "/fn/", true, "/fn" },
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
	if (!found) {
		if (path_known) {
			http_add_header(r, "Allow", "GET, POST");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on %.200s", method, path);
		} else {
			api__error_json(r, 404, "not_found", NULL, "no route %.200s", path);
		}
		return;
	}
	if (!strcmp(found->label, "/healthz"))
		handle_healthz(a, r);
	else if (!strcmp(found->label, "/readyz"))
		handle_readyz(a, r);
	else if (!strcmp(found->label, "/metrics"))
		handle_metrics(a, r, false);
	else if (!strcmp(found->label, "/v1/metrics")) {
		char tenant[65];
		if (api__authenticate(a, r, tenant, false))
			handle_metrics(a, r, true);
	}
	else if (!strcmp(found->label, "/v1/execute"))
		handle_execute(a, r, false);
	else if (!strcmp(found->label, "/api/execute"))
		handle_execute(a, r, true);
	else if (!strcmp(found->label, "/v1/executions"))
		handle_execution_get(a, r, path + strlen(found->path));
	else if (!strcmp(found->label, "/v1/functions"))
		api_fn_functions(a, r, path);
	else if (!strcmp(found->label, "/fn"))
		api_fn_invoke(a, r, path);
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
