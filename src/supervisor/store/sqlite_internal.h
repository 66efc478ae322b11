/* store/sqlite_internal — what the SQLite store's files share.
 *
 * The SQLite implementation of store_ops is one file per concern:
 *   sqlite.c            opening, WAL, migrations, closing, the operations table
 *   sqlite_stmt.c       statements, transactions, row readers (used by all)
 *   sqlite_keys.c       API keys
 *   sqlite_executions.c execution records
 *   sqlite_functions.c  functions, versions, env
 *   sqlite_packages.c   package blobs (files beside the database) and their gc
 *   sqlite_sessions.c   sessions, their history and tokens, tenant settings
 * Uses go one way: sqlite.c names the concern files' operations, the concern
 * files use sqlite_stmt.c, and nothing here calls back into sqlite.c. This
 * header is for those files only; nothing outside store/sqlite*.c includes it.
 *
 * Each file keeps its own table of SQL statements (SQ_TABLE), prepared on
 * first use into its slots on the handle and kept until close. */
#ifndef CORRAL_STORE_SQLITE_INTERNAL_H
#define CORRAL_STORE_SQLITE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "supervisor/store/store.h"

/* The statement tables, one per file. */
enum sq_table_index {
	SQ_T_STMT,
	SQ_T_SCHEMA,
	SQ_T_KEYS,
	SQ_T_EXECS,
	SQ_T_FNS,
	SQ_T_PKGS,
	SQ_T_SESSIONS,
	SQ_T__COUNT
};

struct sq_table {
	enum sq_table_index index;
	unsigned n;
	const char *const *sql;
};

/* The implementation's state, s->impl. Invariant: every slot of stmts[t]
 * is NULL or a statement prepared from table t, reset and unbound between
 * uses. */
struct sq {
	sqlite3 *db;
	char *path;                /* DIR/corral.db, for messages */
	char *dir;                 /* DIR */
	char *pkgdir;              /* DIR/packages */
	bool ready;                /* opened and migrated */
	sqlite3_stmt **stmts[SQ_T__COUNT]; /* each allocated on its table's first use */
	unsigned nstmts[SQ_T__COUNT];
	int bind_rc;               /* why the last sq_bound() gave no statement */
	uint32_t tx_nested;        /* bit d: level d of sq__tx_begin() is a savepoint */
	unsigned tx_depth;         /* open sq__tx_begin() levels */
};

/* Defines a file's table of SQL from an X-macro list X(ID, "sql"): the ids
 * SQ_ID, the table @name at @index, sq_stmt(s, SQ_ID, &st), which prepares
 * the statement on first use, and sq_bound(s, SQ_ID, fmt, ...), which also
 * binds its first parameters (see sq__vbind()) and returns it, or NULL with
 * the reason in sq_of(s)->bind_rc. On top of it, for any table:
 * sq_bind(s, SQ_ID, &st, fmt, ...) returns that reason (0: bound);
 * sq_one(s, SQ_ID, what, row, out, fmt, ...) binds and reads one row (see
 * sq__one()); sq_exec(s, SQ_ID, what, val, fmt, ...) binds and steps to the
 * end (see sq__step()). */
#define SQ__ENUM(id, sql) SQ_##id,
#define SQ__TEXT(id, sql) [SQ_##id] = sql,
#define SQ_TABLE(name, index, LIST) \
	enum name##_id { LIST(SQ__ENUM) name##__COUNT }; \
	static const char *const name##_sql[name##__COUNT] = { LIST(SQ__TEXT) }; \
	static const struct sq_table name = { index, name##__COUNT, name##_sql }; \
	static inline int sq_stmt(struct store *s, enum name##_id id, sqlite3_stmt **out) \
	{ \
		return sq__stmt(s, &name, (unsigned)id, out); \
	} \
	static inline sqlite3_stmt *sq_bound(struct store *s, enum name##_id id, \
					     const char *fmt, ...) \
	{ \
		sqlite3_stmt *st = NULL; \
		va_list ap; \
		va_start(ap, fmt); \
		sq_of(s)->bind_rc = sq__vbind(s, &name, (unsigned)id, &st, fmt, ap); \
		va_end(ap); \
		return sq_of(s)->bind_rc ? NULL : st; \
	}
#define sq_bind(s, id, out, ...) ((*(out) = sq_bound(s, id, __VA_ARGS__)) ? 0 : sq_of(s)->bind_rc)
#define sq_one(s, id, what, row, out, ...) \
	sq__one(s, sq_bound(s, id, __VA_ARGS__), what, row, out)
#define sq_exec(s, id, what, val, ...) sq__step(s, sq_bound(s, id, __VA_ARGS__), what, val)

static inline struct sq *sq_of(struct store *s)
{
	return s->impl;
}

/* Resets a statement after use and drops its bindings. */
static inline void sq_done(sqlite3_stmt *st)
{
	if (!st)
		return;
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

/* Sets *out to statement @id of table @t, preparing it (persistent) on
 * first use. */
int sq__stmt(struct store *s, const struct sq_table *t, unsigned id, sqlite3_stmt **out);

/* sq__stmt(), then binds parameters ?1, ?2, ... from @ap, one argument per
 * character of @fmt: 't' a const char * (text, SQLITE_STATIC, so it must
 * outlive the statement's use; NULL binds NULL), 'i' an int64_t, 'd' an
 * int, 'f' a double. The caller binds any further parameters itself. */
int sq__vbind(struct store *s, const struct sq_table *t, unsigned id, sqlite3_stmt **out,
	      const char *fmt, va_list ap);

/* Finalizes every table's statements and frees their slots. */
void sq__stmts_close(struct sq *q);

/* Runs statement @id of @t, which returns no rows. */
int sq__run(struct store *s, const struct sq_table *t, unsigned id, const char *what);

/* Reads one integer from statement @id of @t, one row and no parameters. */
int sq__int(struct store *s, const struct sq_table *t, unsigned id, const char *what,
	    int64_t *out);

/* BEGIN IMMEDIATE, COMMIT, and a rollback of the open transaction (if any)
 * that keeps the earlier error message. */
int sq__begin(struct store *s);
int sq__commit(struct store *s);
void sq__rollback(struct store *s);

/* A write transaction for one operation: BEGIN IMMEDIATE on its own, or a
 * savepoint inside the caller's batch, so that a failing operation undoes
 * its own writes and nothing of the batch before it. The store remembers
 * which it opened, for the matching commit or rollback (levels nest, up to
 * 32). The rollback keeps the earlier message. */
int sq__tx_begin(struct store *s);
int sq__tx_commit(struct store *s);
void sq__tx_rollback(struct store *s);

/* Ends what sq__tx_begin() (sq__begin()) opened: commits when @rc is 0,
 * rolls back when it is not or the commit fails; returns the outcome. */
int sq__tx_end(struct store *s, int rc);
int sq__end(struct store *s, int rc);

/* Steps a bound statement to its end and resets it. If it returns a row,
 * sets *val to the row's first column; -ENOENT if it returns none. @val may
 * be NULL for a statement that returns no rows (then 0 on success). A NULL
 * @st (sq_bound() failed) returns sq_of(s)->bind_rc. */
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
 * is -ENOENT. Resets the statement. A NULL @st (sq_bound() failed) returns
 * sq_of(s)->bind_rc. */
int sq__one(struct store *s, sqlite3_stmt *st, const char *what,
	    int (*row)(struct store *s, sqlite3_stmt *st, void *out), void *out);

/* The tenant_ensure operation, for use inside another operation's transaction. */
int sq__tenant_ensure(struct store *s, const char *name, int64_t now);

/* The errno closest to SQLite result code @rc on @db (NULL: none open). */
int sq__errno(sqlite3 *db, int rc);

/* Makes room for element @len of *v, elements of @size bytes, *alloc allocated. */
int sq__grow(struct store *s, void **v, size_t *alloc, size_t len, size_t size,
	     const char *what);

/* Each operation file fills its part of the SQLite store_ops table
 * (sqlite.c builds the table once, from all of them): it lists its
 * operations as an X-macro, OPS(X) X(key_insert) ..., where X(name) is the
 * file's static sq__name, and writes SQ_OPS_FILL(part, OPS). */
#define SQ__OP_SET(name) o->name = sq__##name;
#define SQ_OPS_FILL(part, list) \
	void sq__##part##_ops(struct store_ops *o) \
	{ \
		list(SQ__OP_SET) \
	}
void sq__keys_ops(struct store_ops *o);
void sq__executions_ops(struct store_ops *o);
void sq__functions_ops(struct store_ops *o);
void sq__packages_ops(struct store_ops *o);
void sq__sessions_ops(struct store_ops *o);

#endif
