/* store/sqlite_stmt — what every file of the SQLite store uses: statement
 * tables prepared on first use, the errno of a SQLite failure, transactions
 * (a batch's BEGIN IMMEDIATE or an operation's savepoint inside it), and
 * the readers that step a bound statement into one value, one row or an
 * array of rows. Every statement is prepared once (SQLITE_PREPARE_PERSISTENT)
 * and kept on the handle until close; a use binds, steps and resets. */
#include "supervisor/store/sqlite_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*        id                 sql */
#define STMT_SQL(X) \
	X(BEGIN,             "BEGIN IMMEDIATE") \
	X(COMMIT,            "COMMIT") \
	X(ROLLBACK,          "ROLLBACK") \
	X(SAVEPOINT,         "SAVEPOINT sq_op") \
	X(RELEASE,           "RELEASE sq_op") \
	X(ROLLBACK_TO,       "ROLLBACK TO sq_op") \
	X(TENANT_ENSURE,     "INSERT INTO tenants(name, created_at) VALUES (?1, ?2) " \
			     "ON CONFLICT(name) DO NOTHING")

SQ_TABLE(stmt, SQ_T_STMT, STMT_SQL)

int sq__errno(sqlite3 *db, int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EPERM;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR: {
		int e = db ? sqlite3_system_errno(db) : 0;
		return e > 0 ? -e : -EIO;
	}
	default:
		return -EIO;
	}
}

int sq__fail(struct store *s, int rc, const char *what)
{
	struct sq *q = sq_of(s);
	return store__fail(s, sq__errno(q->db, rc), "%s in '%s': %s", what, q->path,
			   sqlite3_errmsg(q->db));
}

static int sq_prepare(struct store *s, sqlite3_stmt **slot, const char *sql,
		      sqlite3_stmt **out)
{
	if (!*slot) {
		int rc = sqlite3_prepare_v3(sq_of(s)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot,
					    NULL);
		if (rc != SQLITE_OK) {
			*slot = NULL;
			return sq__fail(s, rc, "cannot prepare a statement");
		}
	}
	*out = *slot;
	return 0;
}

int sq__stmt(struct store *s, const struct sq_table *t, unsigned id, sqlite3_stmt **out)
{
	struct sq *q = sq_of(s);
	if (!q->stmts[t->index]) {
		q->stmts[t->index] = calloc(t->n, sizeof *q->stmts[t->index]);
		if (!q->stmts[t->index])
			return store__fail(s, -ENOMEM, "cannot prepare a statement: %s",
					   strerror(ENOMEM));
		q->nstmts[t->index] = t->n;
	}
	return sq_prepare(s, &q->stmts[t->index][id], t->sql[id], out);
}

int sq__vbind(struct store *s, const struct sq_table *t, unsigned id, sqlite3_stmt **out,
	      const char *fmt, va_list ap)
{
	int rc = sq__stmt(s, t, id, out);
	for (int i = 1; !rc && *fmt; fmt++, i++) {
		switch (*fmt) {
		case 't':
			sqlite3_bind_text(*out, i, va_arg(ap, const char *), -1, SQLITE_STATIC);
			break;
		case 'i':
			sqlite3_bind_int64(*out, i, va_arg(ap, int64_t));
			break;
		case 'd':
			sqlite3_bind_int(*out, i, va_arg(ap, int));
			break;
		case 'f':
			sqlite3_bind_double(*out, i, va_arg(ap, double));
			break;
		default:
			sq_done(*out);
			rc = store__fail(s, -EINVAL, "bad bind format '%c'", *fmt);
		}
	}
	return rc;
}

void sq__stmts_close(struct sq *q)
{
	for (int t = 0; t < SQ_T__COUNT; t++) {
		for (unsigned i = 0; q->stmts[t] && i < q->nstmts[t]; i++)
			sqlite3_finalize(q->stmts[t][i]);
		free(q->stmts[t]);
		q->stmts[t] = NULL;
	}
}

int sq__run(struct store *s, const struct sq_table *t, unsigned id, const char *what)
{
	return sq__int(s, t, id, what, NULL);
}

int sq__begin(struct store *s)
{
	return sq__run(s, &stmt, SQ_BEGIN, "cannot begin a transaction");
}

int sq__commit(struct store *s)
{
	return sq__run(s, &stmt, SQ_COMMIT, "cannot commit");
}

void sq__rollback(struct store *s)
{
	struct sq *q = sq_of(s);
	if (sqlite3_get_autocommit(q->db))
		return;
	char keep[STORE_ERR_LEN];
	memcpy(keep, s->err, sizeof keep);
	sq__run(s, &stmt, SQ_ROLLBACK, "cannot roll back");
	memcpy(s->err, keep, sizeof keep);
}

int sq__int(struct store *s, const struct sq_table *t, unsigned id, const char *what,
	    int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sq__stmt(s, t, id, &st);
	return rc ? rc : sq__step(s, st, what, out);
}

int sq__tenant_ensure(struct store *s, const char *name, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_TENANT_ENSURE, &st, "ti", name, (int64_t)now);
	if (rc)
		return rc;
	return sq__step(s, st, "cannot create a tenant", NULL);
}

int sq__tx_begin(struct store *s)
{
	struct sq *q = sq_of(s);
	if (q->tx_depth >= 32)
		return store__fail(s, -EOVERFLOW, "cannot begin a savepoint: nested too deep");
	bool nested = !sqlite3_get_autocommit(q->db);
	int rc = nested ? sq__run(s, &stmt, SQ_SAVEPOINT, "cannot begin a savepoint") : sq__begin(s);
	if (rc)
		return rc;
	q->tx_nested = (q->tx_nested & ~(1u << q->tx_depth)) | (uint32_t)nested << q->tx_depth;
	q->tx_depth++;
	return 0;
}

/* Closes the innermost level; says whether it was a savepoint. */
static bool tx_pop(struct store *s)
{
	struct sq *q = sq_of(s);
	if (!q->tx_depth)
		return false;
	q->tx_depth--;
	return q->tx_nested >> q->tx_depth & 1;
}

int sq__tx_commit(struct store *s)
{
	return tx_pop(s) ? sq__run(s, &stmt, SQ_RELEASE, "cannot release a savepoint")
			 : sq__commit(s);
}

/* Keeps the earlier error message, like sq__rollback(). */
void sq__tx_rollback(struct store *s)
{
	if (!tx_pop(s)) {
		sq__rollback(s);
		return;
	}
	char keep[STORE_ERR_LEN];
	memcpy(keep, s->err, sizeof keep);
	sq__run(s, &stmt, SQ_ROLLBACK_TO, "cannot roll back to a savepoint");
	sq__run(s, &stmt, SQ_RELEASE, "cannot release a savepoint");
	memcpy(s->err, keep, sizeof keep);
}

int sq__tx_end(struct store *s, int rc)
{
	if (rc) {
		sq__tx_rollback(s);
		return rc;
	}
	struct sq *q = sq_of(s);
	unsigned depth = q->tx_depth;
	rc = sq__tx_commit(s);
	if (rc) {
		/* The level is still open in SQLite: undo it there too. */
		q->tx_depth = depth;
		sq__tx_rollback(s);
	}
	return rc;
}

int sq__end(struct store *s, int rc)
{
	if (!rc)
		rc = sq__commit(s);
	if (rc)
		sq__rollback(s);
	return rc;
}

int sq__step(struct store *s, sqlite3_stmt *st, const char *what, int64_t *val)
{
	if (!st)
		return sq_of(s)->bind_rc;
	bool row = false;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!row && val)
			*val = sqlite3_column_int64(st, 0);
		row = true;
	}
	rc = rc == SQLITE_DONE ? (row || !val ? 0 : -ENOENT) : sq__fail(s, rc, what);
	sq_done(st);
	return rc;
}

int sq__grow(struct store *s, void **v, size_t *alloc, size_t len, size_t size,
		   const char *what)
{
	if (len < *alloc)
		return 0;
	size_t na = *alloc ? *alloc * 2 : 16;
	void *nv = reallocarray(*v, na, size);
	if (!nv)
		return store__fail(s, -ENOMEM, "%s: %s", what, strerror(ENOMEM));
	*v = nv;
	*alloc = na;
	return 0;
}

int sq__one(struct store *s, sqlite3_stmt *st, const char *what,
	    int (*row)(struct store *s, sqlite3_stmt *st, void *out), void *out)
{
	if (!st)
		return sq_of(s)->bind_rc;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row(s, st, out);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : sq__fail(s, rc, what);
	sq_done(st);
	return rc;
}

int sq__collect(struct store *s, sqlite3_stmt *st, const char *what, size_t size, size_t limit,
		bool need_parent, int (*row)(struct store *s, sqlite3_stmt *st, void *elem),
		void (*release)(void *v, size_t n), void **out, size_t *n)
{
	size_t alloc = 0, len = 0;
	bool found = false;
	void *v = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = true;
		if (sqlite3_column_type(st, 0) == SQLITE_NULL || len >= limit)
			continue;
		rc = sq__grow(s, &v, &alloc, len, size, what);
		if (rc)
			break;
		memset((char *)v + len * size, 0, size);
		rc = row(s, st, (char *)v + len * size);
		len++;
		if (rc)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = need_parent && !found ? -ENOENT : 0;
	else if (rc > 0)
		rc = sq__fail(s, rc, what);
	sq_done(st);
	if (rc) {
		if (release)
			release(v, len);
		else
			free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}
