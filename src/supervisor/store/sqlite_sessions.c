/* store/sqlite_sessions — sessions, their history and PII tokens, and tenant
 * settings, in SQLite (003_sessions.sql).
 *
 * The rest of the SQLite store is in the other sqlite*.c files; this file uses
 * the connection, the transactions and the statement tables of
 * sqlite_stmt.c (see sqlite_internal.h).
 *
 * Hot paths. store_session_get() runs before every execution of a session,
 * so it is one SELECT by primary key (sessions.id, then tenants by rowid)
 * that checks the tenant and the expiry in the same step; the state column
 * is only read out when asked for. store_session_commit() runs after every
 * execution: one transaction of three statements, an UPDATE ... RETURNING
 * that both checks the session (tenant, expiry) and hands back the new
 * execution count, the history INSERT with that count as its seq, and a
 * DELETE of the rows beyond the kept ones by the (session_id, seq) index.
 * With WAL and synchronous=NORMAL (sqlite.c) a commit does not fsync.
 *
 * Expiry. A session whose expires_at is not after now is treated as absent
 * by every statement here (each carries "expires_at > ?now"), so the sweep
 * (store_sessions_expire) only reclaims space and may run late. Its history
 * and tokens go with it through ON DELETE CASCADE (foreign_keys=ON).
 *
 * Tokens. The number for a (session, kind, value) is looked up first
 * without a write lock; a new value is numbered inside a write transaction
 * that looks again before inserting max + 1, so two processes sharing the
 * database never give one value two numbers or two values one number (the
 * table's UNIQUE and PRIMARY KEY constraints would refuse it anyway). */
#include "supervisor/store/sqlite_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/*        id                 sql */
#define SQS_STMTS(X) \
	X(COUNT_LIVE,        "SELECT count(*) FROM sessions WHERE tenant_id = " \
			     "(SELECT id FROM tenants WHERE name = ?1) AND expires_at > ?2") \
	X(DROP_EXPIRED,      "DELETE FROM sessions WHERE id = ?1 AND expires_at <= ?2") \
	X(INSERT,            "INSERT INTO sessions(id, tenant_id, created_at, last_activity, " \
			     "expires_at, ttl_ms, execution_count, state, pii) " \
			     "SELECT ?2, id, ?3, ?3, ?3 + ?4, ?4, 0, NULL, ?5 FROM tenants " \
			     "WHERE name = ?1") \
	X(GET,               "SELECT s.id, t.name, s.created_at, s.last_activity, s.expires_at, " \
			     "s.ttl_ms, s.execution_count, s.pii, CASE WHEN ?4 THEN s.state END, s.secrets, s.ctx_seq " \
			     "FROM sessions s JOIN tenants t ON t.id = s.tenant_id " \
			     "WHERE s.id = ?1 AND t.name = ?2 AND s.expires_at > ?3") \
	X(DELETE,            "DELETE FROM sessions WHERE id = ?1 " \
			     "AND tenant_id = (SELECT id FROM tenants WHERE name = ?2) " \
			     "RETURNING expires_at > ?3") \
	X(BUMP,              "UPDATE sessions SET execution_count = execution_count + 1, ctx_seq = ctx_seq + ?7, " \
			     "last_activity = ?4, expires_at = ?4 + ttl_ms, " \
			     "state = coalesce(?5, state), secrets = coalesce(?6, secrets) WHERE id = ?1 " \
			     "AND tenant_id = (SELECT id FROM tenants WHERE name = ?2) " \
			     "AND expires_at > ?3 RETURNING execution_count") \
	X(HIST_INSERT,       "INSERT INTO session_history(id, session_id, seq, code, status, " \
			     "result, stdout, stderr, error, wall_ms, cpu_ms, peak_memory_bytes, " \
			     "started_at, finished_at, truncated) " \
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)") \
	X(HIST_PRUNE,        "DELETE FROM session_history WHERE session_id = ?1 AND seq <= ?2") \
	X(HIST_LIST,         "SELECT h.id, h.seq, h.status, h.code, h.result, h.stdout, h.stderr, " \
			     "h.error, h.wall_ms, h.cpu_ms, h.peak_memory_bytes, h.started_at, " \
			     "h.finished_at, h.truncated FROM sessions s " \
			     "JOIN tenants t ON t.id = s.tenant_id " \
			     "LEFT JOIN session_history h ON h.session_id = s.id " \
			     "WHERE s.id = ?1 AND t.name = ?2 AND s.expires_at > ?3 " \
			     "ORDER BY h.seq DESC LIMIT ?4") \
	X(EXPIRE,            "DELETE FROM sessions WHERE expires_at <= ?1") \
	X(COUNT,             "SELECT count(*) FROM sessions WHERE expires_at > ?1") \
	X(TOKEN_FIND,        "SELECT num FROM session_tokens " \
			     "WHERE session_id = ?1 AND kind = ?2 AND value = ?3") \
	X(TOKEN_INSERT,      "INSERT INTO session_tokens(session_id, kind, num, value) " \
			     "SELECT ?1, ?2, coalesce(max(num), 0) + 1, ?3 FROM session_tokens " \
			     "WHERE session_id = ?1 AND kind = ?2 RETURNING num") \
	X(TOKEN_VALUE,       "SELECT value FROM session_tokens " \
			     "WHERE session_id = ?1 AND kind = ?2 AND num = ?3") \
	X(SETTINGS_GET,      "SELECT settings FROM tenants WHERE name = ?1") \
	X(SETTINGS_SET,      "INSERT INTO tenants(name, created_at, settings) SELECT ?1, ?3, ?2 " \
			     "WHERE CASE WHEN json_valid(?2) THEN json_type(?2) = 'object' ELSE 0 END " \
			     "ON CONFLICT(name) DO UPDATE SET settings = excluded.settings")

SQ_TABLE(sessions, SQ_T_SESSIONS, SQS_STMTS)

/* Binds @len bytes at @p as text, or NULL when @p is NULL. SQLITE_STATIC:
 * the caller's buffer outlives the step. */
static void sqs_bind_text(sqlite3_stmt *st, int i, const char *p, size_t len)
{
	if (p)
		sqlite3_bind_text64(st, i, p, len, SQLITE_STATIC, SQLITE_UTF8);
	else
		sqlite3_bind_null(st, i);
}

/* Sets *out to a NUL-terminated copy of text column @col (and *len to its
 * length if @len is not NULL); a NULL column gives NULL, or "" when
 * @never_null. */
static int sqs_dup(struct store *s, sqlite3_stmt *st, int col, bool never_null, char **out,
		   size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	*out = NULL;
	if (len)
		*len = 0;
	if (!t && !never_null)
		return 0;
	char *copy = malloc(n + 1);
	if (!copy)
		return store__fail(s, -ENOMEM, "cannot read a session: %s", strerror(ENOMEM));
	if (n)
		memcpy(copy, t, n);
	copy[n] = '\0';
	*out = copy;
	if (len)
		*len = n;
	return 0;
}

static int sq__session_create(struct store *s, const char *tenant, const char *id, int64_t now,
			      int64_t ttl_ms, bool pii, unsigned max_live, struct store_session *out)
{
	const char *what = "cannot create a session";
	int rc = sq__tx_begin(s);
	if (rc)
		return rc;
	rc = sq__tenant_ensure(s, tenant, now);
	if (rc)
		goto fail;

	/* An expired session under this id is gone already; make it so. */
	rc = sq_exec(s, SQ_DROP_EXPIRED, what, NULL, "ti", id, (int64_t)now);
	if (rc)
		goto fail;

	if (max_live > 0) {
		int64_t live = 0;
		rc = sq_exec(s, SQ_COUNT_LIVE, "cannot count sessions", &live, "ti", tenant, (int64_t)now);
		if (rc)
			goto fail;
		if (live >= (int64_t)max_live) {
			rc = -EDQUOT;
			goto fail;
		}
	}

	rc = sq_exec(s, SQ_INSERT, what, NULL, "ttiid", tenant, id, (int64_t)now, (int64_t)ttl_ms,
		     pii ? 1 : 0);
	if (rc == 0 && sqlite3_changes(sq_of(s)->db) == 0)
		rc = -ENOENT; /* the tenant went away: cannot happen inside the transaction */
fail:
	rc = sq__tx_end(s, rc);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	snprintf(out->tenant, sizeof out->tenant, "%s", tenant);
	out->created_at = out->last_activity = now;
	out->expires_at = now + ttl_ms;
	out->ttl_ms = ttl_ms;
	out->pii = pii;
	return 0;
}

static int sqs_session_row(struct store *s, sqlite3_stmt *st, void *elem)
{
	struct store_session *out = elem;
	sq_copy_text(out->id, sizeof out->id, st, 0);
	sq_copy_text(out->tenant, sizeof out->tenant, st, 1);
	out->created_at = sqlite3_column_int64(st, 2);
	out->last_activity = sqlite3_column_int64(st, 3);
	out->expires_at = sqlite3_column_int64(st, 4);
	out->ttl_ms = sqlite3_column_int64(st, 5);
	out->execution_count = (uint64_t)sqlite3_column_int64(st, 6);
	out->pii = sqlite3_column_int(st, 7) != 0;
	out->ctx_seq = (uint64_t)sqlite3_column_int64(st, 10);
	int rc = sqs_dup(s, st, 8, false, &out->state, &out->state_len);
	return rc ? rc : sqs_dup(s, st, 9, false, &out->secrets, NULL);
}

/* Column 0 as a heap string. */
static int sqs_text_row(struct store *s, sqlite3_stmt *st, void *elem)
{
	return sqs_dup(s, st, 0, true, elem, NULL);
}

static int sq__session_get(struct store *s, const char *tenant, const char *id, int64_t now,
			   bool with_state, struct store_session *out)
{
	return sq_one(s, SQ_GET, "cannot read a session", sqs_session_row, out, "ttid", id, tenant,
		      (int64_t)now, with_state ? 1 : 0);
}

static int sq__session_delete(struct store *s, const char *tenant, const char *id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int64_t live = 0;
	int rc = sq_bind(s, SQ_DELETE, &st, "tti", id, tenant, (int64_t)now);
	if (rc)
		return rc;
	/* History and tokens go with it: ON DELETE CASCADE. */
	rc = sq__step(s, st, "cannot delete a session", &live);
	if (rc == 0 && !live)
		rc = -ENOENT; /* it had expired: deleted, but it was not there to delete */
	return rc;
}

static int sq__session_commit(struct store *s, const struct store_session_exec *e, int64_t now,
			      unsigned keep, uint64_t *seq)
{
	const char *what = "cannot record a session's execution";
	int rc = sq__tx_begin(s);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	int64_t count = 0;
	rc = sq_bind(s, SQ_BUMP, &st, "ttii", e->session_id, e->tenant, (int64_t)now, (int64_t)e->finished_at);
	if (rc)
		goto end;
	sqs_bind_text(st, 5, e->state, e->state_len);
	sqs_bind_text(st, 6, e->secrets, e->secrets ? strlen(e->secrets) : 0);
	sqlite3_bind_int(st, 7, e->not_run ? 0 : 1);
	rc = sq__step(s, st, what, &count); /* no row: no live session of this tenant */
	if (rc)
		goto end;

	rc = sq_bind(s, SQ_HIST_INSERT, &st, "tti", e->exec_id, e->session_id, (int64_t)count);
	if (rc)
		goto end;
	sqs_bind_text(st, 4, e->code ? e->code : "", e->code_len);
	sqlite3_bind_text(st, 5, e->status, -1, SQLITE_STATIC);
	sqs_bind_text(st, 6, e->result, e->result_len);
	sqs_bind_text(st, 7, e->out ? e->out : "", e->out_len);
	sqs_bind_text(st, 8, e->err ? e->err : "", e->err_len);
	sqs_bind_text(st, 9, e->error, e->error_len);
	sqlite3_bind_double(st, 10, e->wall_ms);
	sqlite3_bind_double(st, 11, e->cpu_ms);
	sqlite3_bind_int64(st, 12, (int64_t)e->peak_memory_bytes);
	sqlite3_bind_int64(st, 13, e->started_at);
	sqlite3_bind_int64(st, 14, e->finished_at);
	sqlite3_bind_int(st, 15, e->truncated ? 1 : 0);
	rc = sq__step(s, st, what, NULL);
	if (rc)
		goto end;

	if (keep > 0 && count > (int64_t)keep) {
		rc = sq_exec(s, SQ_HIST_PRUNE, "cannot prune a session's history", NULL, "ti",
			     e->session_id, (int64_t)(count - (int64_t)keep));
		if (rc)
			goto end;
	}
end:
	rc = sq__tx_end(s, rc);
	if (rc)
		return rc;
	*seq = (uint64_t)count;
	return 0;
}

static int sqs_history_row(struct store *s, sqlite3_stmt *st, struct store_history_row *h)
{
	memset(h, 0, sizeof *h);
	sq_copy_text(h->id, sizeof h->id, st, 0);
	h->seq = (uint64_t)sqlite3_column_int64(st, 1);
	sq_copy_text(h->status, sizeof h->status, st, 2);
	h->wall_ms = sqlite3_column_double(st, 8);
	h->cpu_ms = sqlite3_column_double(st, 9);
	h->peak_memory_bytes = (uint64_t)sqlite3_column_int64(st, 10);
	h->started_at = sqlite3_column_int64(st, 11);
	h->finished_at = sqlite3_column_int64(st, 12);
	h->truncated = sqlite3_column_int(st, 13) != 0;
	int rc = sqs_dup(s, st, 3, true, &h->code, NULL);
	if (!rc)
		rc = sqs_dup(s, st, 4, false, &h->result, NULL);
	if (!rc)
		rc = sqs_dup(s, st, 5, true, &h->out, NULL);
	if (!rc)
		rc = sqs_dup(s, st, 6, true, &h->err, NULL);
	if (!rc)
		rc = sqs_dup(s, st, 7, false, &h->error, NULL);
	return rc;
}

static void sqs_history_release(void *v, size_t n)
{
	store_history_free(v, n);
}

static int sqs_history_elem(struct store *s, sqlite3_stmt *st, void *elem)
{
	return sqs_history_row(s, st, elem);
}

static int sq__session_history(struct store *s, const char *tenant, const char *id, int64_t now,
			       unsigned limit, struct store_history_row **rows, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_HIST_LIST, &st, "tti", id, tenant, (int64_t)now);
	if (rc)
		return rc;
	/* At least one row, so a session with no history (or limit 0) still
	 * shows up as one row of NULLs from the LEFT JOIN. */
	sqlite3_bind_int64(st, 4, limit ? (int64_t)limit : 1);
	return sq__collect(s, st, "cannot read a session's history", sizeof **rows, limit, true, sqs_history_elem,
			   sqs_history_release, (void **)rows, n);
}

static int sq__sessions_expire(struct store *s, int64_t now, uint64_t *removed)
{
	sqlite3_stmt *st = NULL;
	*removed = 0;
	int rc = sq_bind(s, SQ_EXPIRE, &st, "i", (int64_t)now);
	if (rc)
		return rc;
	rc = sq__step(s, st, "cannot delete expired sessions", NULL);
	if (rc == 0)
		*removed = (uint64_t)sqlite3_changes64(sq_of(s)->db);
	return rc;
}

static int sq__sessions_count(struct store *s, int64_t now, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	int rc = sq_bind(s, SQ_COUNT, &st, "i", (int64_t)now);
	if (rc)
		return rc;
	rc = sq__step(s, st, "cannot count sessions", &v);
	if (rc == 0)
		*n = (uint64_t)v;
	return rc;
}

/* Looks up the number of token (@kind, @value) of a session: -ENOENT if none. */
static int sqs_token_find(struct store *s, const char *session_id, const char *kind,
			  const char *value, size_t n, int64_t *num)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_TOKEN_FIND, &st, "tt", session_id, kind);
	if (rc)
		return rc;
	sqs_bind_text(st, 3, value, n);
	return sq__step(s, st, "cannot look up a token", num);
}

static int sq__session_token(struct store *s, const char *session_id, const char *kind,
			     const char *value, size_t n, unsigned *num)
{
	int64_t got = 0;
	int rc = sqs_token_find(s, session_id, kind, value, n, &got);
	if (rc == -ENOENT) {
		/* New here: number it under the write lock, after looking again. */
		rc = sq__tx_begin(s);
		if (rc)
			return rc;
		rc = sqs_token_find(s, session_id, kind, value, n, &got);
		if (rc == -ENOENT) {
			sqlite3_stmt *st = NULL;
			rc = sq_stmt(s, SQ_TOKEN_INSERT, &st);
			if (rc == 0) {
				sqlite3_bind_text(st, 1, session_id, -1, SQLITE_STATIC);
				sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
				sqs_bind_text(st, 3, value, n);
				/* -ENOENT from the foreign key: no such session. */
				rc = sq__step(s, st, "cannot number a token", &got);
			}
		}
		rc = sq__tx_end(s, rc);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (got < 1 || got > UINT_MAX)
		return store__fail(s, -EOVERFLOW, "token %s_%lld of session '%s' is out of range",
				   kind, (long long)got, session_id);
	*num = (unsigned)got;
	return 0;
}

static int sq__session_token_value(struct store *s, const char *session_id, const char *kind,
				   unsigned num, char **value)
{
	return sq_one(s, SQ_TOKEN_VALUE, "cannot read a token", sqs_text_row, value, "tti",
		      session_id, kind, (int64_t)num);
}

static int sq__tenant_settings_get(struct store *s, const char *tenant, char **json)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_SETTINGS_GET, &st, "t", tenant);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = sqs_dup(s, st, 0, false, json, NULL);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : sq__fail(s, rc, "cannot read tenant settings");
	sq_done(st);
	return rc == 0 && !*json ? -ENOENT : rc;
}

static int sq__tenant_settings_set(struct store *s, const char *tenant, const char *json,
				   int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_SETTINGS_SET, &st, "tti", tenant, json, (int64_t)now);
	if (rc)
		return rc;
	rc = sq__step(s, st, "cannot set tenant settings", NULL);
	if (rc == 0 && sqlite3_changes(sq_of(s)->db) == 0)
		rc = -EINVAL; /* not a JSON object: the statement wrote nothing */
	return rc;
}

/* The operations this file serves (see store_ops). */
#define OPS(X) X(session_create) X(session_get) X(session_delete) X(session_commit) \
	X(session_history) X(sessions_expire) X(sessions_count) X(session_token) \
	X(session_token_value) X(tenant_settings_get) X(tenant_settings_set)
SQ_OPS_FILL(sessions, OPS)
