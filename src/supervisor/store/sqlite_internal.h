/* store/sqlite_internal — what the SQLite store's files share.
 *
 * The SQLite implementation of store_ops is two files: sqlite.c (opening,
 * migrations, keys, executions, functions, packages, the operations table)
 * and sqlite_sessions.c (sessions, their history and tokens, tenant
 * settings). This header is for those two only; nothing outside
 * src/store/sqlite*.c includes it.
 *
 * Each file keeps its own table of SQL statements, prepared on first use
 * with sq__prepare() into a slot of the handle and kept until close. */
#ifndef CORRAL_STORE_SQLITE_INTERNAL_H
#define CORRAL_STORE_SQLITE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "supervisor/store/store.h"

/* The implementation's state, s->impl. Invariant: every slot of stmt and
 * sess_stmt is NULL or a statement prepared from its file's table, reset
 * and unbound between uses. */
struct sq {
	sqlite3 *db;
	char *path;                /* DIR/corral.db, for messages */
	char *dir;                 /* DIR */
	char *pkgdir;              /* DIR/packages */
	bool ready;                /* opened and migrated */
	sqlite3_stmt **stmt;       /* sqlite.c's statements, allocated at open */
	sqlite3_stmt **sess_stmt;  /* sqlite_sessions.c's, allocated on first use */
};

static inline struct sq *sq_of(struct store *s)
{
	return s->impl;
}

/* Resets a statement after use and drops its bindings. */
static inline void sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Copies text column @col into @dst (at most @cap - 1 bytes, "" for NULL). */
static inline void sq_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", t ? t : "");
}

/* Records a SQLite failure (result code @rc) on @s, with @what first, and
 * returns the closest errno. */
int sq__fail(struct store *s, int rc, const char *what);

/* Sets *out to the statement in *@slot, preparing @sql into it (persistent)
 * on first use. */
int sq__prepare(struct store *s, sqlite3_stmt **slot, const char *sql, sqlite3_stmt **out);

/* A write transaction for one operation: BEGIN IMMEDIATE on its own, or a
 * savepoint inside the caller's batch, so that a failing operation undoes
 * its own writes and nothing of the batch before it. Sets *nested for the
 * matching commit or rollback. The rollback keeps the earlier message. */
int sq__tx_begin(struct store *s, bool *nested);
int sq__tx_commit(struct store *s, bool nested);
void sq__tx_rollback(struct store *s, bool nested);

/* Steps a bound statement to its end and resets it. If it returns a row,
 * sets *val to the row's first column; -ENOENT if it returns none. @val may
 * be NULL for a statement that returns no rows (then 0 on success). */
int sq__step(struct store *s, sqlite3_stmt *st, const char *what, int64_t *val);

/* Steps a bound statement to its end, filling an array of elements of
 * @size bytes, one per row, through @row; on success *out (caller frees)
 * and *n are set. A row whose first column is NULL (a LEFT JOIN's empty
 * side) adds nothing but shows that the parent row exists: with
 * @need_parent, no row at all is -ENOENT. At most @limit elements are
 * kept. Resets the statement. On failure what was filled goes to @release
 * (NULL: free). */
int sq__collect(struct store *s, sqlite3_stmt *st, const char *what, size_t size, size_t limit,
		bool need_parent, int (*row)(struct store *s, sqlite3_stmt *st, void *elem),
		void (*release)(void *v, size_t n), void **out, size_t *n);

/* Steps a bound statement once: its row goes to @out through @row, no row
 * is -ENOENT. Resets the statement. */
int sq__one(struct store *s, sqlite3_stmt *st, const char *what,
	    int (*row)(struct store *s, sqlite3_stmt *st, void *out), void *out);

/* The tenant_ensure operation, for use inside another operation's transaction. */
int sq__tenant_ensure(struct store *s, const char *name, int64_t now);

/* sqlite_sessions.c: finalizes its statements and frees their slots. */
void sq__sessions_close(struct sq *q);

/* sqlite_sessions.c: the operations of 003_sessions.sql (see store_ops). */
int sq__session_create(struct store *s, const char *tenant, const char *id, int64_t now,
		       int64_t ttl_ms, bool pii, unsigned max_live, struct store_session *out);
int sq__session_get(struct store *s, const char *tenant, const char *id, int64_t now,
		    bool with_state, struct store_session *out);
int sq__session_delete(struct store *s, const char *tenant, const char *id, int64_t now);
int sq__session_commit(struct store *s, const struct store_session_exec *e, int64_t now,
		       unsigned keep, uint64_t *seq);
int sq__session_history(struct store *s, const char *tenant, const char *id, int64_t now,
			unsigned limit, struct store_history_row **rows, size_t *n);
int sq__sessions_expire(struct store *s, int64_t now, uint64_t *removed);
int sq__sessions_count(struct store *s, int64_t now, uint64_t *n);
int sq__session_token(struct store *s, const char *session_id, const char *kind,
		      const char *value, size_t n, unsigned *num);
int sq__session_token_value(struct store *s, const char *session_id, const char *kind,
			    unsigned num, char **value);
int sq__tenant_settings_get(struct store *s, const char *tenant, char **json);
int sq__tenant_settings_set(struct store *s, const char *tenant, const char *json, int64_t now);

#endif
