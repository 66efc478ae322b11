/* api_session — sessions: their routes, and the lanes that run a session's
 * executions one at a time.
 *
 *   POST   /v1/sessions                      {"ttl_s", "pii"} → 201 {"id", "expires_at", …}
 *   GET    /v1/sessions/{id}                 the session and its variables
 *   GET    /v1/sessions/{id}/history?limit=  executions, newest first
 *   POST   /v1/sessions/{id}/detokenize      {"text"} → {"text"} with PII tokens replaced
 *   DELETE /v1/sessions/{id}                 → 204
 *
 * Theory of operation. A session is a row in the store (its TTL, its
 * execution count, the snapshot of its bindings) and, while it is in use, a
 * worker of the pool bound to it ("session:TENANT/ID") that keeps the
 * session's global context alive. An execution with a session_id goes
 * through the session's lane: the lane runs one execution at a time, in
 * arrival order, so a session's executions never overlap and each starts
 * from the state the previous one left. When an execution starts, the lane
 * reads the session (one indexed SELECT) and sends its execution count and
 * stored state with the job; the worker uses its live context when that
 * context has seen exactly that many executions, and otherwise rebuilds it
 * from the state (a recycled or crashed worker, a restarted node, another
 * node that ran the session since). When it ends, its history row, the new
 * state and the count are written in one transaction (session_done),
 * then the next execution of the lane may start (api_session_kick, from the
 * loop). A lane exists only while its session has executions in flight. */
#include "supervisor/api/api_session.h"
#include "supervisor/api/api_settings.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supervisor/log.h"
#include "common/rand.h"
#include "common/outcome.h"
#include "supervisor/pool.h"
#include "supervisor/serve.h"
#include "supervisor/store/store.h"
#include "common/clock.h"
#include "common/json.h"

/* Executions of one session waiting behind the running one. */
#define LANE_QUEUE_MAX 64
#define HISTORY_LIMIT_MAX 200
#define HISTORY_LIMIT_DEFAULT 50
#define HISTORY_BODY_MAX (8u << 20)
/* PII token lookups one execution may make (each may add a row). */
#define SESSION_TOKENS_PER_EXEC 5000

struct api_lane {
	char tenant[65];
	char id[65];
	struct api_exec *running;
	struct api_exec *qhead, *qtail;
	unsigned queued;
	struct api_lane *next;
};

void api_session_binding(const char *tenant, const char *id, bool own_process, char *out,
			 size_t n)
{
	if (own_process)
		snprintf(out, n, "session:%s/%s", tenant, id);
	else
		snprintf(out, n, "sessions:%s", tenant);
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);
	return n && n <= 64 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* "s_" and 24 base62 characters (~143 random bits): unguessable, since a
 * session's id is all that names it within its tenant. */
static int new_session_id(char out[32])
{
	out[0] = 's';
	out[1] = '_';
	return rand_base62(out + 2, 24);
}

/* --- lanes -------------------------------------------------------------- */

static struct api_lane *lane_get(struct api *a, const char *tenant, const char *id, bool create)
{
	for (struct api_lane *l = a->lanes; l; l = l->next)
		if (!strcmp(l->id, id) && !strcmp(l->tenant, tenant))
			return l;
	if (!create)
		return NULL;
	struct api_lane *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	snprintf(l->tenant, sizeof l->tenant, "%s", tenant);
	snprintf(l->id, sizeof l->id, "%s", id);
	l->next = a->lanes;
	a->lanes = l;
	return l;
}

static void lane_free_if_idle(struct api *a, struct api_lane *lane)
{
	if (lane->running || lane->qhead)
		return;
	for (struct api_lane **p = &a->lanes; *p; p = &(*p)->next)
		if (*p == lane) {
			*p = lane->next;
			free(lane);
			return;
		}
}

/* What a session remembers of the env values it was given, for filtering:
 * at most this many bytes (the request's own env is always used). */
#define SESSION_SECRETS_BYTES (64u << 10)

static bool has_entry(char *const *v, size_t n, const char *e)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], e))
			return true;
	return false;
}

/* x's filter env: its own env, then what the session was given before
 * (stored: a JSON array of "NAME=value" strings), within
 * SESSION_SECRETS_BYTES. When the request brings a value the session did
 * not have, the new list is committed with the execution. Returns 0 or
 * -ENOMEM. */
static int session_secrets(struct api_exec *x, const char *stored)
{
	json_t *old = stored ? json_loads(stored, 0, NULL) : NULL;
	size_t nold = json_is_array(old) ? json_array_size(old) : 0;
	x->fenv = calloc(x->nenv + nold + 1, sizeof *x->fenv);
	if (!x->fenv) {
		json_decref(old);
		return -ENOMEM;
	}
	bool added = false;
	size_t bytes = 0;
	for (size_t i = 0; i < x->nenv; i++) {
		if (!(x->fenv[x->nfenv] = strdup(x->env[i]))) {
			json_decref(old);
			return -ENOMEM;
		}
		x->nfenv++;
		bytes += strlen(x->env[i]);
		bool known = false;
		for (size_t k = 0; k < nold && !known; k++)
			known = !strcmp(json_string_value(json_array_get(old, k)) ? json_string_value(json_array_get(old, k)) : "",
					x->env[i]);
		added |= !known;
	}
	for (size_t k = 0; k < nold; k++) {
		const char *e = json_string_value(json_array_get(old, k));
		if (!e || !strchr(e, '=') || has_entry(x->fenv, x->nfenv, e))
			continue;
		if (bytes + strlen(e) > SESSION_SECRETS_BYTES)
			break; /* the oldest are at the end: they go first */
		if (!(x->fenv[x->nfenv] = strdup(e))) {
			json_decref(old);
			return -ENOMEM;
		}
		x->nfenv++;
		bytes += strlen(e);
	}
	json_decref(old);
	if (!added)
		return 0;
	/* Newest first; kept within the byte cap. */
	json_t *list = json_array();
	size_t kept = 0;
	for (size_t i = 0; list && i < x->nfenv; i++) {
		if (kept + strlen(x->fenv[i]) > SESSION_SECRETS_BYTES)
			break;
		kept += strlen(x->fenv[i]);
		json_array_append_new(list, json_string(x->fenv[i]));
	}
	x->secrets_commit = list ? json_dumps(list, JSON_COMPACT) : NULL;
	json_decref(list);
	return x->secrets_commit ? 0 : -ENOMEM;
}

/* Starts the lane's next executions until one is running (an execution the
 * policy rejects ends at once, and the next may start). */
static void lane_start(struct api *a, struct api_lane *lane)
{
	const struct serve_config *c = a->cfg;
	while (!lane->running && lane->qhead) {
		struct api_exec *x = lane->qhead;
		lane->qhead = x->lane_next;
		if (!lane->qhead)
			lane->qtail = NULL;
		lane->queued--;
		x->lane_next = NULL;
		x->in_lane = false;

		struct store_session s;
		memset(&s, 0, sizeof s);
		int rc = store_session_get(a->store, x->pj.tenant, lane->id, true, &s);
		if (rc) {
			x->lane = NULL;
			char msg[160];
			if (rc == -ENOENT) {
				snprintf(msg, sizeof msg, "no session '%s' (it expired or was deleted)", lane->id);
				api__exec_refuse(x, 404, "not_found", "session_id", msg);
			} else {
				log_msg(LOG_ERROR, "store", "cannot read session %s: %s", lane->id, store_last_error(a->store));
				api__exec_refuse(x, 503, "unavailable", NULL, "the session store cannot be read; retry later");
			}
			continue;
		}
		x->session_pii = s.pii;
		if (session_secrets(x, s.secrets)) {
			store_session_release(&s);
			x->lane = NULL;
			api__exec_refuse(x, 503, "overloaded", NULL, "out of memory");
			continue;
		}
		free(x->state);
		x->state = s.state;
		s.state = NULL;
		x->pj.job.session.id = x->session_id;
		/* What the worker's live context must have seen to be current:
		 * the executions that ran in a worker (not policy rejections). */
		x->pj.job.session.seq = s.ctx_seq;
		x->pj.job.session.state = x->state;
		x->pj.job.session.state_len = x->state ? s.state_len : 0;
		x->pj.job.session.state_max = c->session_state_max;
		x->pj.job.session.ttl_ms = s.ttl_ms > 0 ? (uint64_t)s.ttl_ms : 0;
		store_session_release(&s);
		api_session_binding(x->pj.tenant, lane->id, x->own_process, x->pj.binding,
				    sizeof x->pj.binding);
		x->started_at = clock_real_ms();
		lane->running = x;
		rc = api__exec_start(x);
		if (rc) {
			lane->running = NULL;
			x->lane = NULL;
			api__exec_refuse(x, 503, "overloaded", NULL, rc == -ENOMEM ? "out of memory"
					 : "every worker is busy and the queue is full");
		}
		/* x may be over and freed already (a policy rejection). */
	}
}

static void session_done(struct api *a, struct api_exec *x, const struct result *res);
static int session_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num);
static const struct api_exec_hooks lane_hooks = { .done = session_done, .token = session_token };

bool api_session_submit(struct api *a, struct api_exec *x)
{
	char msg[200];
	if (!a->store) {
		api__exec_refuse(x, 404, "not_found", "session_id", "sessions need the store, and this service has none");
		return false;
	}
	/* Answer an unknown session at once rather than after the queue. */
	struct store_session s;
	memset(&s, 0, sizeof s);
	int rc = store_session_get(a->store, x->pj.tenant, x->session_id, false, &s);
	if (rc == -ENOENT) {
		snprintf(msg, sizeof msg, "no session '%s' (it expired or was deleted)", x->session_id);
		api__exec_refuse(x, 404, "not_found", "session_id", msg);
		return false;
	}
	if (rc) {
		log_msg(LOG_ERROR, "store", "cannot read session %s: %s", x->session_id, store_last_error(a->store));
		api__exec_refuse(x, 503, "unavailable", NULL, "the session store cannot be read; retry later");
		return false;
	}
	store_session_release(&s);
	struct api_lane *lane = lane_get(a, x->pj.tenant, x->session_id, true);
	if (!lane) {
		api__exec_refuse(x, 503, "overloaded", NULL, "out of memory");
		return false;
	}
	if (lane->queued >= LANE_QUEUE_MAX) {
		snprintf(msg, sizeof msg, "session '%s' already has %d executions waiting; its executions run one at a time",
			 x->session_id, LANE_QUEUE_MAX);
		api__exec_refuse(x, 429, "session_busy", NULL, msg);
		return false;
	}
	x->lane = lane;
	x->hooks = &lane_hooks;
	x->in_lane = true;
	if (lane->qtail)
		lane->qtail->lane_next = x;
	else
		lane->qhead = x;
	lane->qtail = x;
	lane->queued++;
	lane_start(a, lane);
	lane_free_if_idle(a, lane);
	return true;
}

void api_session_closed(struct api *a, struct api_exec *x)
{
	struct api_lane *lane = x->lane;
	if (!lane || !x->in_lane)
		return;
	struct api_exec **p = &lane->qhead, *prev = NULL;
	for (; *p; prev = *p, p = &(*p)->lane_next)
		if (*p == x) {
			*p = x->lane_next;
			if (lane->qtail == x)
				lane->qtail = prev;
			lane->queued--;
			break;
		}
	x->in_lane = false;
	x->lane = NULL;
	lane_free_if_idle(a, lane);
}

/* Answers every execution waiting in lane 503 (the service is stopping). */
static void lane_refuse_all(struct api_lane *lane)
{
	while (lane->qhead) {
		struct api_exec *x = lane->qhead;
		lane->qhead = x->lane_next;
		lane->queued--;
		x->lane_next = NULL;
		x->in_lane = false;
		x->lane = NULL;
		api__exec_refuse(x, 503, "draining", NULL, "the service is shutting down");
	}
	lane->qtail = NULL;
}

void api_session_kick(struct api *a)
{
	struct api_lane *l = a->lanes;
	while (l) {
		struct api_lane *next = l->next;
		if (a->draining)
			lane_refuse_all(l);
		else
			lane_start(a, l);
		lane_free_if_idle(a, l);
		l = next;
	}
}

/* The error object of the history row, as the answer has it. */
static char *error_json(const struct result *res)
{
	if (res->status == OUTCOME_OK || !res->err_name)
		return NULL;
	json_t *o = json_pack("{s:s, s:s}", "name", res->err_name, "message", res->err_message ? res->err_message : "");
	if (o && res->err_stack)
		json_object_set_new(o, "stack", json_string(res->err_stack));
	if (o && res->err_line) {
		json_object_set_new(o, "line", json_integer((json_int_t)res->err_line));
		json_object_set_new(o, "column", json_integer((json_int_t)res->err_column));
	}
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* x ended: its history row and the new state in one transaction. */
static void session_done(struct api *a, struct api_exec *x, const struct result *res)
{
	struct api_lane *lane = x->lane;
	if (lane && lane->running == x)
		lane->running = NULL;
	x->lane = NULL;
	if (!res || !a->store)
		return; /* refused before it ran: nothing to record */
	/* The code is kept as sent, with the same filter as its output (a
	 * secret pasted into the code stays out of the history too). */
	struct buf code = BUF_INIT(SIZE_MAX / 2);
	buf_append(&code, x->code, x->code_len);
	if (filter_active(x->flt))
		filter_buf(x->flt, &code);
	char *err = error_json(res);
	const char *result = res->result_json;
	char big[128];
	size_t rlen = result ? strlen(result) : 0;
	if (rlen > STORE_HISTORY_TEXT_MAX) {
		/* Cut JSON would not parse: say what was there instead. */
		snprintf(big, sizeof big, "{\"$inspect\":\"[a result of %zu bytes, over the history's cap]\"}", rlen);
		result = big;
		rlen = strlen(big);
	}
	bool state_same = res->state && x->state && res->state_len == x->pj.job.session.state_len &&
			  !memcmp(res->state, x->state, res->state_len);
	struct store_session_exec e = {
		.session_id = x->session_id,
		.tenant = x->pj.tenant,
		.exec_id = x->id,
		.code = code.data ? code.data : "",
		.code_len = code.len,
		.status = outcome_name(res->status),
		.result = result,
		.result_len = rlen,
		.out = x->out.data ? x->out.data : "",
		.out_len = x->out.len,
		.err = x->err.data ? x->err.data : "",
		.err_len = x->err.len,
		.error = err,
		.error_len = err ? strlen(err) : 0,
		.wall_ms = (double)res->wall_ns / 1e6,
		.cpu_ms = (double)res->cpu_ns / 1e6,
		.peak_memory_bytes = res->peak_memory,
		.started_at = x->started_at,
		.truncated = res->truncated,
		/* An unchanged state is not written again. */
		.state = state_same ? NULL : res->state,
		.state_len = res->state && !state_same ? res->state_len : 0,
		.secrets = x->secrets_commit,
		.not_run = x->not_run,
	};
	uint64_t seq = 0;
	int rc = store_session_commit(a->store, &e, (unsigned)a->cfg->session_history_max, &seq);
	if (rc == -ENOENT)
		log_msg(LOG_INFO, "session", "session %s ended while execution %s ran: nothing recorded", x->session_id, x->id);
	else if (rc)
		log_msg(LOG_ERROR, "store", "cannot record execution %s of session %s: %s", x->id, x->session_id,
			store_last_error(a->store));
	free(err);
	buf_release(&code);
}

/* The PII token callback for a session (ud: the api_exec). */
static int session_token(void *ud, const char *kind, const char *value, size_t n, unsigned *num)
{
	struct api_exec *x = ud;
	if (!x->api->store)
		return -ENOTSUP;
	/* Each new value is a row: past the cap a value still goes, as
	 * [KIND] without a number (the filter fails closed). */
	if (++x->tokens_asked > SESSION_TOKENS_PER_EXEC)
		return -ENOSPC;
	return store_session_token(x->api->store, x->session_id, kind, value, n, num);
}

void api_session_release(struct api *a)
{
	while (a->lanes) {
		struct api_lane *l = a->lanes;
		a->lanes = l->next;
		lane_refuse_all(l);
		/* The pool may still end it (a drain that timed out). */
		if (l->running)
			l->running->lane = NULL;
		free(l);
	}
}

static void retire_if_gone(void *ud, const char *binding)
{
	struct api *a = ud;
	char tenant[65], id[65];
	const char *p = binding + strlen("session:");
	size_t tl = strcspn(p, "/");
	if (!p[tl] || tl >= sizeof tenant || strlen(p + tl + 1) >= sizeof id)
		return;
	memcpy(tenant, p, tl);
	tenant[tl] = '\0';
	snprintf(id, sizeof id, "%s", p + tl + 1);
	if (lane_get(a, tenant, id, false))
		return; /* in use right now */
	struct store_session s;
	memset(&s, 0, sizeof s);
	int rc = store_session_get(a->store, tenant, id, false, &s);
	store_session_release(&s);
	if (rc == -ENOENT)
		pool_retire_binding(a->pool, binding);
}

void api_sessions_sweep(struct api *a)
{
	if (!a->store)
		return;
	int n = store_sessions_expire(a->store, clock_real_ms());
	if (n > 0)
		log_msg(LOG_INFO, "session", "%d expired sessions deleted", n);
	else if (n < 0)
		log_msg(LOG_WARN, "store", "cannot delete expired sessions: %s", store_last_error(a->store));
	uint64_t live = 0;
	if (store_sessions_count(a->store, &live) == 0)
		a->sessions = (unsigned)live;
	/* Workers still bound to sessions that expired (or were deleted on
	 * another node) go too: their contexts hold the sessions' values. */
	pool_bindings(a->pool, "session:", retire_if_gone, a);
}

/* --- routes ------------------------------------------------------------- */

static json_t *body_object(struct http_req *r, bool empty_ok, char *why, size_t n)
{
	const struct buf *b = http_body(r);
	if (!b->len) {
		if (empty_ok)
			return json_object();
		snprintf(why, n, "the body is empty: send a JSON object");
		return NULL;
	}
	json_error_t jerr;
	json_t *j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(why, n, "the body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(why, n, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* Answers a failed read of session id: 404 when it is not there (or not
 * the caller's, or expired), else 503. */
static void lookup_failed(struct http_req *r, int rc, const char *id)
{
	if (rc == -ENOENT)
		api__error_json(r, 404, "not_found", NULL, "no session '%.64s'", id);
	else
		api__error_json(r, 503, "unavailable", NULL, "the session store cannot be read; retry later");
}

static void session_json(struct buf *b, const struct store_session *s)
{
	buf_puts(b, "{\"id\":");
	json_put_cstr(b, s->id);
	buf_printf(b, ",\"created_at\":%lld,\"last_activity\":%lld,\"expires_at\":%lld,\"ttl_s\":%lld,"
		   "\"execution_count\":%llu,\"pii\":%s",
		   (long long)s->created_at, (long long)s->last_activity, (long long)s->expires_at,
		   (long long)(s->ttl_ms / 1000), (unsigned long long)s->execution_count, s->pii ? "true" : "false");
}

static void handle_create(struct api *a, struct http_req *r, const char *tenant)
{
	const struct serve_config *c = a->cfg;
	char why[300];
	json_t *j = body_object(r, true, why, sizeof why);
	if (!j) {
		api__error_json(r, 400, "invalid_json", NULL, "%s", why);
		return;
	}
	uint64_t ttl = c->session_ttl_s;
	bool pii = false;
	struct api_tenant_cfg *tc = api__tenant_cfg(a, tenant);
	pii = tc->pii >= 0 ? tc->pii == 1 : c->pii;
	api__tenant_cfg_put(tc);
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (!strcmp(k, "ttl_s")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 || (uint64_t)json_integer_value(v) > c->session_ttl_max_s) {
				api__error_json(r, 400, "invalid_field", "ttl_s", "ttl_s must be an integer from 1 to %llu (seconds)",
						(unsigned long long)c->session_ttl_max_s);
				goto out;
			}
			ttl = (uint64_t)json_integer_value(v);
		} else if (!strcmp(k, "pii")) {
			if (!json_is_boolean(v)) {
				api__error_json(r, 400, "invalid_field", "pii", "pii must be true or false");
				goto out;
			}
			pii = json_is_true(v);
		} else {
			api__error_json(r, 400, "unknown_field", k, "unknown field '%.60s' (a session takes ttl_s and pii)", k);
			goto out;
		}
	}
	char id[32];
	if (new_session_id(id)) {
		api__error_json(r, 503, "unavailable", NULL, "no randomness for a session id; retry later");
		goto out;
	}
	struct store_session s;
	memset(&s, 0, sizeof s);
	int rc = store_session_create(a->store, tenant, id, (int64_t)ttl * 1000, pii, (unsigned)c->sessions_per_tenant, &s);
	if (rc == -EDQUOT) {
		api__retry_after(r, 60);
		api__error_json(r, 429, "too_many_sessions", NULL,
				"this tenant has %llu live sessions, the most allowed; delete one or let one expire",
				(unsigned long long)c->sessions_per_tenant);
		goto out;
	}
	if (rc) {
		log_msg(LOG_ERROR, "store", "cannot create a session: %s", store_last_error(a->store));
		api__error_json(r, 503, "unavailable", NULL, "the session store cannot be written; retry later");
		goto out;
	}
	a->sessions++;
	struct buf b = BUF_INIT(4096);
	session_json(&b, &s);
	buf_putc(&b, '}');
	char loc[128];
	snprintf(loc, sizeof loc, "/v1/sessions/%s", s.id);
	http_add_header(r, "Location", loc);
	api__respond_json(r, 201, &b);
	buf_release(&b);
	store_session_release(&s);
out:
	json_decref(j);
}

struct token_ref {
	struct api *a;
	const char *session;
};

static int token_ref_cb(void *ud, const char *kind, const char *value, size_t n, unsigned *num)
{
	struct token_ref *t = ud;
	return store_session_token(t->a->store, t->session, kind, value, n, num);
}

/* A filter like the session's executions get (its remembered env values,
 * the service's and the tenant's patterns, its PII setting), for what GET
 * shows of its variables: their names, types and reasons come from user
 * code too. */
static int session_filter(struct api *a, const struct store_session *s, const struct api_tenant_cfg *tc,
			  struct token_ref *tr, struct filter **out)
{
	json_t *sec = s->secrets ? json_loads(s->secrets, 0, NULL) : NULL;
	size_t n = json_is_array(sec) ? json_array_size(sec) : 0;
	const char **env = calloc(n + 1, sizeof *env);
	size_t nenv = 0;
	for (size_t i = 0; env && i < n; i++) {
		const char *e = json_string_value(json_array_get(sec, i));
		if (e)
			env[nenv++] = e;
	}
	struct filter_opts fo = {
		.env = env,
		.nenv = nenv,
		/* Always: an execution may have asked for PII tokens when
		 * neither the session nor the tenant does. */
		.pii = true,
		.token = token_ref_cb,
		.token_ud = tr,
	};
	const struct filter_rules *svc = api__service_rules(a);
	if (svc)
		fo.rules[fo.nrules++] = svc;
	if (tc->rules)
		fo.rules[fo.nrules++] = tc->rules;
	int rc = env || !n ? filter_new(out, &fo) : -ENOMEM;
	free(env);
	json_decref(sec);
	return rc;
}

/* Appends s as a JSON string, through f. */
static void put_filtered(struct buf *b, struct filter *f, const char *s)
{
	char *c = strdup(s);
	if (c && filter_active(f))
		filter_str(f, &c);
	json_put_cstr(b, c ? c : "");
	free(c);
}

/* The variables of a state snapshot: names, types, whether stored. */
static void variables_json(struct buf *b, const char *state, size_t n, struct filter *f)
{
	buf_puts(b, ",\"variables\":[");
	json_t *st = state ? json_loadb(state, n, 0, NULL) : NULL;
	json_t *vars = st ? json_object_get(st, "vars") : NULL;
	size_t i;
	json_t *v;
	bool first = true;
	json_array_foreach(vars, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		if (!name)
			continue;
		const char *type = json_string_value(json_object_get(v, "type"));
		bool persisted = json_is_true(json_object_get(v, "persisted"));
		const char *reason = json_string_value(json_object_get(v, "reason"));
		buf_puts(b, first ? "{\"name\":" : ",{\"name\":");
		first = false;
		put_filtered(b, f, name);
		buf_puts(b, ",\"type\":");
		put_filtered(b, f, type ? type : "unknown");
		buf_printf(b, ",\"persisted\":%s", persisted ? "true" : "false");
		if (!persisted && reason) {
			buf_puts(b, ",\"reason\":");
			put_filtered(b, f, reason);
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
	json_decref(st);
}

static void handle_get(struct api *a, struct http_req *r, const char *tenant, const char *id)
{
	struct store_session s;
	memset(&s, 0, sizeof s);
	int rc = store_session_get(a->store, tenant, id, true, &s);
	if (rc) {
		lookup_failed(r, rc, id);
		return;
	}
	struct api_tenant_cfg *tc = api__tenant_cfg(a, tenant);
	struct token_ref tr = { a, id };
	struct filter *f = NULL;
	if (session_filter(a, &s, tc, &tr, &f)) {
		api__error_json(r, 503, "overloaded", NULL, "out of memory");
	} else {
		struct buf b = BUF_INIT(SIZE_MAX / 2);
		session_json(&b, &s);
		variables_json(&b, s.state, s.state_len, f);
		buf_putc(&b, '}');
		api__respond_json(r, 200, &b);
		buf_release(&b);
	}
	filter_free(f);
	api__tenant_cfg_put(tc);
	store_session_release(&s);
}

/* A stored JSON text spliced in when it parses, else as a string. */
static void put_json_text(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "null");
		return;
	}
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
	if (v) {
		buf_puts(b, s);
		json_decref(v);
	} else {
		json_put_cstr(b, s);
	}
}

static void handle_history(struct api *a, struct http_req *r, const char *tenant, const char *id)
{
	unsigned limit = HISTORY_LIMIT_DEFAULT;
	const char *q = http_query(r, "limit");
	if (q) {
		char *end = NULL;
		unsigned long l = strtoul(q, &end, 10);
		if (!q[0] || *end || l < 1 || l > HISTORY_LIMIT_MAX) {
			api__error_json(r, 400, "invalid_field", "limit", "limit must be an integer from 1 to %d", HISTORY_LIMIT_MAX);
			return;
		}
		limit = (unsigned)l;
	}
	struct store_history_row *rows = NULL;
	size_t n = 0;
	int rc = store_session_history(a->store, tenant, id, limit, &rows, &n);
	if (rc) {
		lookup_failed(r, rc, id);
		return;
	}
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, "{\"session_id\":");
	json_put_cstr(&b, id);
	buf_puts(&b, ",\"executions\":[");
	bool more = false;
	for (size_t i = 0; i < n; i++) {
		const struct store_history_row *h = &rows[i];
		/* One answer stays within HISTORY_BODY_MAX (rows of escaped
		 * control bytes grow 6x): the rest is for a smaller limit. */
		if (i && b.len > HISTORY_BODY_MAX) {
			more = true;
			break;
		}
		buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
		json_put_cstr(&b, h->id);
		buf_printf(&b, ",\"seq\":%llu,\"status\":", (unsigned long long)h->seq);
		json_put_cstr(&b, h->status);
		buf_puts(&b, ",\"code\":");
		json_put_cstr(&b, h->code ? h->code : "");
		buf_puts(&b, ",\"result\":");
		put_json_text(&b, h->result);
		buf_puts(&b, ",\"stdout\":");
		json_put_cstr(&b, h->out ? h->out : "");
		buf_puts(&b, ",\"stderr\":");
		json_put_cstr(&b, h->err ? h->err : "");
		buf_puts(&b, ",\"error\":");
		put_json_text(&b, h->error);
		buf_printf(&b, ",\"usage\":{\"wall_ms\":%.3f,\"cpu_ms\":%.3f,\"peak_memory_bytes\":%llu}"
			   ",\"started_at\":%lld,\"finished_at\":%lld,\"truncated\":%s}",
			   h->wall_ms, h->cpu_ms, (unsigned long long)h->peak_memory_bytes, (long long)h->started_at,
			   (long long)h->finished_at, h->truncated ? "true" : "false");
	}
	buf_printf(&b, "],\"more\":%s}", more ? "true" : "false");
	api__respond_json(r, 200, &b);
	buf_release(&b);
	store_history_free(rows, n);
}

struct detok {
	struct api *a;
	const char *session;
};

static int detok_lookup(void *ud, const char *kind, unsigned num, char **value)
{
	struct detok *d = ud;
	return store_session_token_value(d->a->store, d->session, kind, num, value);
}

static void handle_detokenize(struct api *a, struct http_req *r, const char *tenant, const char *id)
{
	char why[300];
	struct store_session s;
	memset(&s, 0, sizeof s);
	int rc = store_session_get(a->store, tenant, id, false, &s);
	if (rc) {
		lookup_failed(r, rc, id);
		return;
	}
	store_session_release(&s);
	json_t *j = body_object(r, false, why, sizeof why);
	if (!j) {
		api__error_json(r, 400, "invalid_json", NULL, "%s", why);
		return;
	}
	json_t *text = json_object_get(j, "text");
	if (!text || !json_is_string(text)) {
		api__error_json(r, 400, text ? "invalid_field" : "missing_field", "text", "text must be a string");
		json_decref(j);
		return;
	}
	struct detok d = { a, id };
	struct buf out = BUF_INIT(SIZE_MAX / 2);
	rc = filter_detokenize(json_string_value(text), json_string_length(text), detok_lookup, &d, &out);
	if (rc < 0) {
		api__error_json(r, 503, "unavailable", NULL, "the tokens cannot be read; retry later");
	} else {
		struct buf b = BUF_INIT(SIZE_MAX / 2);
		buf_puts(&b, "{\"text\":");
		json_put_str(&b, out.data ? out.data : "", out.len);
		buf_putc(&b, '}');
		api__respond_json(r, 200, &b);
		buf_release(&b);
	}
	buf_release(&out);
	json_decref(j);
}

static void handle_delete(struct api *a, struct http_req *r, const char *tenant, const char *id)
{
	int rc = store_session_delete(a->store, tenant, id);
	if (rc == -ENOENT) {
		api__error_json(r, 404, "not_found", NULL, "no session '%.64s'", id);
		return;
	}
	if (rc) {
		api__error_json(r, 503, "unavailable", NULL, "the session store cannot be written; retry later");
		return;
	}
	if (a->sessions)
		a->sessions--;
	/* Its bindings live in a worker's memory too. */
	char binding[200];
	api_session_binding(tenant, id, true, binding, sizeof binding);
	pool_retire_binding(a->pool, binding);
	api_session_binding(tenant, id, false, binding, sizeof binding);
	pool_drop_session(a->pool, binding, id);
	http_respond(r, 204, "application/json", "", 0);
}

void api_session_routes(struct api *a, struct http_req *r, const char *path)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	const char *method = http_method(r);
	if (!a->store) {
		api__error_json(r, 404, "not_found", NULL, "sessions need the store, and this service has none");
		return;
	}
	const char *rest = path + strlen("/v1/sessions");
	if (!*rest) {
		if (strcmp(method, "POST")) {
			http_add_header(r, "Allow", "POST");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on /v1/sessions", method);
			return;
		}
		if (a->draining) {
			api__retry_after(r, 1);
			api__error_json(r, 503, "draining", NULL, "the service is shutting down");
			return;
		}
		handle_create(a, r, tenant);
		return;
	}
	/* "/{id}" or "/{id}/history" or "/{id}/detokenize" */
	char id[80];
	const char *p = rest + 1;
	size_t n = strcspn(p, "/");
	const char *sub = p + n;
	if (n >= sizeof id) {
		api__error_json(r, 404, "not_found", NULL, "no session '%.64s'", p);
		return;
	}
	memcpy(id, p, n);
	id[n] = '\0';
	if (!id_valid(id)) {
		api__error_json(r, 404, "not_found", NULL, "no session '%.64s'", id);
		return;
	}
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (!*sub) {
		if (get)
			handle_get(a, r, tenant, id);
		else if (!strcmp(method, "DELETE"))
			handle_delete(a, r, tenant, id);
		else {
			http_add_header(r, "Allow", "GET, DELETE");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on a session", method);
		}
	} else if (!strcmp(sub, "/history")) {
		if (get)
			handle_history(a, r, tenant, id);
		else {
			http_add_header(r, "Allow", "GET");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on a session's history", method);
		}
	} else if (!strcmp(sub, "/detokenize")) {
		if (!strcmp(method, "POST"))
			handle_detokenize(a, r, tenant, id);
		else {
			http_add_header(r, "Allow", "POST");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on detokenize", method);
		}
	} else {
		api__error_json(r, 404, "not_found", NULL, "no route %.200s", path);
	}
}
