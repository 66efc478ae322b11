/* store/sqlite — the store in one SQLite file, DIR/corral.db.
 *
 * Theory of operation. The supervisor owns one connection, opened at start
 * and used only from its single event-loop thread, so the connection is
 * opened SQLITE_OPEN_NOMUTEX and nothing here locks. Other processes (a
 * second `corral serve`, `corral keys` run by an operator) may hold their own
 * connections to the same file at the same time: the journal is WAL, so
 * readers never block the writer, and busy_timeout makes a writer wait for
 * another writer's transaction instead of failing at once.
 *
 * Every statement is prepared once, on first use, and kept on the handle
 * (SQLITE_PREPARE_PERSISTENT) until close; a use binds, steps and resets.
 *
 * Sessions, their history and tokens, and tenant settings are in
 * sqlite_sessions.c, with their own statement table; what the two files
 * share (the handle, transactions, statement helpers) is declared in
 * sqlite_internal.h.
 *
 * Migrations. Opening brings the schema up to date: schema_migrations holds
 * one row per applied migration, and each embedded migration with a higher
 * number runs in its own BEGIN IMMEDIATE transaction together with its row.
 * The current version is read again inside that transaction, so two
 * processes opening a fresh database at once apply each migration once. A
 * database already at a higher version than the newest embedded migration
 * was written by a newer corral and is refused rather than guessed at.
 *
 * Files. The data dir is created 0700 if missing and the database file is
 * created 0600 before SQLite opens it; SQLite gives its -wal and -shm files
 * the database file's mode and opens every fd O_CLOEXEC, so a worker's exec
 * inherits none of them.
 *
 * Packages. A blob is the file DIR/packages/<hash> (the directory created
 * 0700 on the first put), never in the database: a package may be tens of
 * megabytes, and the database stays small enough to back up by copying. A
 * put writes a temporary file ".tmp-<hash>-XXXXXX" in the same directory
 * (0600), fsyncs it, renames it into place and fsyncs the directory, so a
 * blob under its final name is always whole. Two processes putting the same
 * hash at once both succeed: the second rename replaces identical bytes.
 * Garbage collection races with deploys in other processes; it is safe
 * because (1) gc holds the database's write lock while it judges and
 * unlinks, so no publish commits a reference in between; (2) it spares
 * blobs younger than a grace period (store.c), which covers the gap between
 * a put and its publish, a gap no lock spans; and (3) a put of a blob that
 * is stored already renews its mtime under the same write lock, so gc sees
 * either the new time or, having run first, no file, and the put writes it
 * anew. */
#include "supervisor/store/sqlite_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SQ_BUSY_TIMEOUT_MS 5000
#define SQ_DB_FILE "corral.db"
#define SQ_PKG_DIR "packages"
#define SQ_PKG_TMP ".tmp-"

/*        id                 sql */
#define SQ_STMTS(X) \
	X(BEGIN,             "BEGIN IMMEDIATE") \
	X(COMMIT,            "COMMIT") \
	X(ROLLBACK,          "ROLLBACK") \
	X(SCHEMA_VERSION,    "SELECT coalesce(max(version), 0) FROM schema_migrations") \
	X(MIGRATION_DONE,    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)") \
	X(TENANT_ENSURE,     "INSERT INTO tenants(name, created_at) VALUES (?1, ?2) " \
			     "ON CONFLICT(name) DO NOTHING") \
	X(KEY_INSERT,        "INSERT INTO api_keys(tenant_id, prefix, hash, created_at) " \
			     "SELECT id, ?2, ?3, ?4 FROM tenants WHERE name = ?1") \
	X(KEY_BY_PREFIX,     "SELECT k.id, t.name, k.hash, coalesce(k.last_used_at, 0), " \
			     "coalesce(k.revoked_at, 0) FROM api_keys k " \
			     "JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = ?1") \
	X(KEY_TOUCH,         "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1") \
	X(KEY_LIST,          "SELECT k.id, t.name, k.prefix, k.created_at, coalesce(k.last_used_at, 0), " \
			     "coalesce(k.revoked_at, 0) FROM api_keys k " \
			     "JOIN tenants t ON t.id = k.tenant_id " \
			     "WHERE ?1 IS NULL OR t.name = ?1 ORDER BY k.id") \
	X(KEY_REVOKE,        "UPDATE api_keys SET revoked_at = ?3 " \
			     "WHERE (id = ?1 OR prefix = ?2) AND revoked_at IS NULL RETURNING id") \
	X(KEY_FIND,          "SELECT id FROM api_keys WHERE id = ?1 OR prefix = ?2") \
	X(KEY_COUNT,         "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL") \
	X(EXEC_PUT,          "INSERT INTO executions(id, tenant_id, status, started_at, wall_ms, " \
			     "cpu_ms, peak_memory_bytes, logs, logs_truncated) " \
			     "SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM tenants WHERE name = ?2 " \
			     "ON CONFLICT(id) DO UPDATE SET tenant_id = excluded.tenant_id, " \
			     "status = excluded.status, started_at = excluded.started_at, " \
			     "wall_ms = excluded.wall_ms, cpu_ms = excluded.cpu_ms, " \
			     "peak_memory_bytes = excluded.peak_memory_bytes, logs = excluded.logs, " \
			     "logs_truncated = excluded.logs_truncated") \
	X(EXEC_GET,          "SELECT e.id, t.name, e.status, e.started_at, e.wall_ms, e.cpu_ms, " \
			     "e.peak_memory_bytes, e.logs, e.logs_truncated FROM executions e " \
			     "JOIN tenants t ON t.id = e.tenant_id WHERE e.id = ?1") \
	X(EXEC_PRUNE_AGE,    "DELETE FROM executions WHERE started_at < ?1") \
	X(EXEC_PRUNE_ROWS,   "DELETE FROM executions WHERE rowid IN (SELECT rowid FROM executions " \
			     "ORDER BY started_at DESC, rowid DESC LIMIT -1 OFFSET ?1)") \
	X(SAVEPOINT,         "SAVEPOINT sq_op") \
	X(RELEASE,           "RELEASE sq_op") \
	X(ROLLBACK_TO,       "ROLLBACK TO sq_op") \
	X(FN_UPSERT,         "INSERT INTO functions(tenant_id, name, created_at, latest_version, " \
			     "timeout_ms, memory_mb) SELECT id, ?2, ?3, 0, ?4, ?5 FROM tenants " \
			     "WHERE name = ?1 ON CONFLICT(tenant_id, name) DO UPDATE SET " \
			     "timeout_ms = CASE WHEN excluded.timeout_ms > 0 THEN excluded.timeout_ms " \
			     "ELSE functions.timeout_ms END, " \
			     "memory_mb = CASE WHEN excluded.memory_mb > 0 THEN excluded.memory_mb " \
			     "ELSE functions.memory_mb END RETURNING id") \
	X(VER_INSERT,        "INSERT INTO versions(function_id, version, package_hash, files, bytes, " \
			     "created_at) SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4, ?5 " \
			     "FROM versions WHERE function_id = ?1 RETURNING version") \
	X(FN_LATEST_BY_ID,   "UPDATE functions SET latest_version = ?2 WHERE id = ?1") \
	X(FN_GET,            "SELECT f.id, t.name, f.name, f.created_at, f.latest_version, " \
			     "f.timeout_ms, f.memory_mb FROM functions f " \
			     "JOIN tenants t ON t.id = f.tenant_id WHERE t.name = ?1 AND f.name = ?2") \
	X(FN_LIST,           "SELECT f.id, t.name, f.name, f.created_at, f.latest_version, " \
			     "f.timeout_ms, f.memory_mb FROM functions f " \
			     "JOIN tenants t ON t.id = f.tenant_id WHERE t.name = ?1 ORDER BY f.name") \
	X(FN_VERSIONS,       "SELECT v.version, v.package_hash, v.files, v.bytes, v.created_at " \
			     "FROM functions f JOIN tenants t ON t.id = f.tenant_id " \
			     "LEFT JOIN versions v ON v.function_id = f.id " \
			     "WHERE t.name = ?1 AND f.name = ?2 ORDER BY v.version DESC") \
	X(FN_VERSION,        "SELECT v.version, v.package_hash, v.files, v.bytes, v.created_at " \
			     "FROM functions f JOIN tenants t ON t.id = f.tenant_id " \
			     "JOIN versions v ON v.function_id = f.id AND v.version = " \
			     "CASE ?3 WHEN 0 THEN f.latest_version ELSE ?3 END " \
			     "WHERE t.name = ?1 AND f.name = ?2") \
	X(FN_SET_LATEST,     "UPDATE functions SET latest_version = ?3 WHERE name = ?2 " \
			     "AND tenant_id = (SELECT id FROM tenants WHERE name = ?1) " \
			     "AND EXISTS (SELECT 1 FROM versions v " \
			     "WHERE v.function_id = functions.id AND v.version = ?3)") \
	X(FN_DELETE,         "DELETE FROM functions WHERE name = ?2 " \
			     "AND tenant_id = (SELECT id FROM tenants WHERE name = ?1)") \
	X(FN_ID,             "SELECT f.id FROM functions f JOIN tenants t ON t.id = f.tenant_id " \
			     "WHERE t.name = ?1 AND f.name = ?2") \
	X(ENV_CLEAR,         "DELETE FROM function_env WHERE function_id = ?1") \
	X(ENV_INSERT,        "INSERT INTO function_env(function_id, name, value) VALUES (?1, ?2, ?3)") \
	X(ENV_GET,           "SELECT CASE WHEN ?3 THEN e.name || '=' || e.value ELSE e.name END " \
			     "FROM functions f JOIN tenants t ON t.id = f.tenant_id " \
			     "LEFT JOIN function_env e ON e.function_id = f.id " \
			     "WHERE t.name = ?1 AND f.name = ?2 ORDER BY e.name") \
	X(PKG_REFERENCED,    "SELECT EXISTS (SELECT 1 FROM versions WHERE package_hash = ?1)")

enum sq_stmt_id {
#define SQ_ENUM(id, sql) SQ_##id,
	SQ_STMTS(SQ_ENUM)
#undef SQ_ENUM
	SQ__COUNT
};

static const char *const sq_sql[SQ__COUNT] = {
#define SQ_TEXT(id, sql) [SQ_##id] = sql,
	SQ_STMTS(SQ_TEXT)
#undef SQ_TEXT
};

/* The errno closest to a SQLite result code. */
static int sq_errno(sqlite3 *db, int rc)
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
	return store__fail(s, sq_errno(q->db, rc), "%s in '%s': %s", what, q->path,
			   sqlite3_errmsg(q->db));
}

int sq__prepare(struct store *s, sqlite3_stmt **slot, const char *sql, sqlite3_stmt **out)
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

static int sq_stmt(struct store *s, enum sq_stmt_id id, sqlite3_stmt **out)
{
	return sq__prepare(s, &sq_of(s)->stmt[id], sq_sql[id], out);
}

/* Runs a statement that returns no rows. */
static int sq_run(struct store *s, enum sq_stmt_id id, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, id, &st);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = sq__fail(s, rc, what);
		sq_done(st);
		return rc;
	}
	sq_done(st);
	return 0;
}

static int sq_begin(struct store *s)
{
	return sq_run(s, SQ_BEGIN, "cannot begin a transaction");
}

static int sq_commit(struct store *s)
{
	return sq_run(s, SQ_COMMIT, "cannot commit");
}

/* Undoes the open transaction, if any, keeping the earlier error message. */
static void sq_rollback(struct store *s)
{
	struct sq *q = sq_of(s);
	if (sqlite3_get_autocommit(q->db))
		return;
	char keep[STORE_ERR_LEN];
	memcpy(keep, s->err, sizeof keep);
	sq_run(s, SQ_ROLLBACK, "cannot roll back");
	memcpy(s->err, keep, sizeof keep);
}

/* Reads one integer from a one-row statement with no parameters. */
static int sq_int(struct store *s, enum sq_stmt_id id, const char *what, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, id, &st);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sq__fail(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, what);
		sq_done(st);
		return rc;
	}
	*out = sqlite3_column_int64(st, 0);
	sq_done(st);
	return 0;
}

/* Creates @dir and its missing parents, the ones it creates with mode 0700. */
static int mkdir_p(char *dir)
{
	struct stat sb;
	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	if (errno != ENOENT)
		return -errno;
	char *slash = strrchr(dir, '/');
	while (slash && slash > dir && slash[-1] == '/')
		slash--;
	if (slash && slash != dir) {
		*slash = '\0';
		int rc = mkdir_p(dir);
		*slash = '/';
		if (rc)
			return rc;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int sq_pragma(struct store *s, const char *sql, char err[STORE_ERR_LEN])
{
	struct sq *q = sq_of(s);
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, STORE_ERR_LEN, "cannot set up '%s' (%s): %s", q->path, sql,
			 sqlite3_errmsg(q->db));
		return sq_errno(q->db, rc);
	}
	return 0;
}

/* WAL cannot be turned on everywhere (some network file systems); the
 * pragma then answers with the mode it kept, which is refused here.
 * Switching a new database to WAL takes an exclusive lock, and SQLite
 * answers SQLITE_BUSY at once, without its busy handler, when another
 * connection is doing the same (two processes opening a fresh data dir):
 * hence the retry, within the busy timeout. */
static int sq_wal(struct store *s, char err[STORE_ERR_LEN])
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	for (int waited = 0; rc == SQLITE_OK;) {
		rc = sqlite3_step(st);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= SQ_BUSY_TIMEOUT_MS)
			break;
		sqlite3_reset(st);
		waited += sqlite3_sleep(10);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_ROW) {
		snprintf(err, STORE_ERR_LEN, "cannot turn on WAL in '%s': %s", q->path,
			 sqlite3_errmsg(q->db));
		sqlite3_finalize(st);
		return sq_errno(q->db, rc);
	}
	const char *mode = (const char *)sqlite3_column_text(st, 0);
	bool wal = mode && strcmp(mode, "wal") == 0;
	if (!wal)
		snprintf(err, STORE_ERR_LEN,
			 "cannot turn on WAL in '%s': the file system kept journal mode '%s' "
			 "(put the data dir on a local file system)", q->path, mode ? mode : "?");
	sqlite3_finalize(st);
	return wal ? 0 : -ENOTSUP;
}

static int sq_schema_version(struct store *s, int *version)
{
	int64_t v = 0;
	int rc = sq_int(s, SQ_SCHEMA_VERSION, "cannot read the schema version", &v);
	if (rc)
		return rc;
	*version = (int)v;
	return 0;
}

static int64_t sq_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies migration @m unless another connection did first. */
static int sq_apply(struct store *s, const struct store_migration *m)
{
	struct sq *q = sq_of(s);
	int rc = sq_begin(s);
	if (rc)
		return rc;
	int cur = 0;
	rc = sq_schema_version(s, &cur);
	if (rc)
		goto fail;
	if (cur >= m->version)
		return sq_commit(s);

	char *msg = NULL;
	int src = sqlite3_exec(q->db, m->sql, NULL, NULL, &msg);
	if (src != SQLITE_OK) {
		rc = store__fail(s, sq_errno(q->db, src), "cannot apply migration %03d_%s to '%s': %s",
				 m->version, m->name, q->path, msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		goto fail;
	}
	sqlite3_stmt *st = NULL;
	rc = sq_stmt(s, SQ_MIGRATION_DONE, &st);
	if (rc)
		goto fail;
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, sq_now_ms());
	src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = sq__fail(s, src, "cannot record a migration");
	sq_done(st);
	if (rc)
		goto fail;
	rc = sq_commit(s);
	if (rc)
		goto fail;
	return 0;
fail:
	sq_rollback(s);
	return rc;
}

static int sq_migrate(struct store *s, char err[STORE_ERR_LEN])
{
	struct sq *q = sq_of(s);
	int rc = sq_pragma(s,
			   "CREATE TABLE IF NOT EXISTS schema_migrations ("
			   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
			   "applied_at INTEGER NOT NULL) STRICT", err);
	if (rc)
		return rc;
	int cur = 0, latest = store_schema_latest();
	rc = sq_schema_version(s, &cur);
	if (rc)
		goto fail;
	if (cur > latest) {
		snprintf(err, STORE_ERR_LEN,
			 "cannot use '%s': its schema version %d is newer than this corral's %d "
			 "(run the newer corral that wrote it, or restore a backup)",
			 q->path, cur, latest);
		return -EPROTO;
	}
	for (size_t i = 0; i < store_migrations_count; i++) {
		if (store_migrations[i].version <= cur)
			continue;
		rc = sq_apply(s, &store_migrations[i]);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, STORE_ERR_LEN, "%s", s->err);
	return rc;
}

static int sq_open(struct store *s, const char *dir, char err[STORE_ERR_LEN])
{
	struct sq *q = calloc(1, sizeof *q);
	if (!q) {
		snprintf(err, STORE_ERR_LEN, "cannot open store '%s': %s", dir, strerror(ENOMEM));
		return -ENOMEM;
	}
	s->impl = q;
	q->stmt = calloc(SQ__COUNT, sizeof *q->stmt);
	if (!q->stmt) {
		snprintf(err, STORE_ERR_LEN, "cannot open store '%s': %s", dir, strerror(ENOMEM));
		return -ENOMEM;
	}

	size_t n = strlen(dir);
	if (n + sizeof "/" SQ_DB_FILE > PATH_MAX) {
		snprintf(err, STORE_ERR_LEN, "cannot open data dir '%.200s...': path too long", dir);
		return -ENAMETOOLONG;
	}
	char *d = strdup(dir);
	const char *sep = dir[n - 1] == '/' ? "" : "/";
	q->dir = strdup(dir);
	if (asprintf(&q->path, "%s%s%s", dir, sep, SQ_DB_FILE) < 0)
		q->path = NULL;
	if (asprintf(&q->pkgdir, "%s%s%s", dir, sep, SQ_PKG_DIR) < 0)
		q->pkgdir = NULL;
	if (!d || !q->dir || !q->path || !q->pkgdir) {
		free(d);
		snprintf(err, STORE_ERR_LEN, "cannot open store '%s': %s", dir, strerror(ENOMEM));
		return -ENOMEM;
	}
	int rc = mkdir_p(d);
	free(d);
	if (rc) {
		snprintf(err, STORE_ERR_LEN, "cannot create data dir '%s': %s", dir, strerror(-rc));
		return rc;
	}

	int fd = open(q->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, STORE_ERR_LEN, "cannot open '%s': %s", q->path, strerror(-rc));
		return rc;
	}
	close(fd);

	rc = sqlite3_open_v2(q->path, &q->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				     SQLITE_OPEN_EXRESCODE,
			     NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, STORE_ERR_LEN, "cannot open '%s': %s", q->path,
			 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		return q->db ? sq_errno(q->db, rc) : -ENOMEM;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, SQ_BUSY_TIMEOUT_MS);
	/* No schema trick (writable_schema, shadow-table writes) and no
	 * functions run from schema definitions: the file is data, not code. */
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

	rc = sq_wal(s, err);
	if (rc)
		return rc;
	/* NORMAL is durable in WAL mode except for the last commits before a
	 * power loss; it never corrupts. */
	rc = sq_pragma(s, "PRAGMA synchronous=NORMAL", err);
	if (!rc)
		rc = sq_pragma(s, "PRAGMA foreign_keys=ON", err);
	if (rc)
		return rc;
	rc = sq_migrate(s, err);
	q->ready = rc == 0;
	return rc;
}

static void sq_close(struct store *s)
{
	struct sq *q = sq_of(s);
	if (!q)
		return;
	for (int i = 0; q->stmt && i < SQ__COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	free(q->stmt);
	sq__sessions_close(q);
	/* Cheap when nothing changed; keeps the planner's statistics fresh.
	 * Not on a database we refused: it is not ours to write. */
	if (q->ready)
		sqlite3_exec(q->db, "PRAGMA optimize", NULL, NULL, NULL);
	sqlite3_close(q->db);
	free(q->path);
	free(q->dir);
	free(q->pkgdir);
	free(q);
	s->impl = NULL;
}

int sq__tenant_ensure(struct store *s, const char *name, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_TENANT_ENSURE, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : sq__fail(s, rc, "cannot create a tenant");
	sq_done(st);
	return rc;
}

static int sq_key_insert(struct store *s, const char *tenant, const char *prefix,
			 const uint8_t hash[32], int64_t now, int64_t *id)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_INSERT, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = sq__fail(s, rc, "cannot create a key");
	} else if (sqlite3_changes(q->db) == 0) {
		rc = -ENOENT; /* no such tenant */
	} else {
		*id = sqlite3_last_insert_rowid(q->db);
		rc = 0;
	}
	sq_done(st);
	return rc;
}

static int sq_key_by_prefix(struct store *s, const char *prefix, struct store_key_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_BY_PREFIX, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row->id = sqlite3_column_int64(st, 0);
		sq_copy_text(row->tenant, sizeof row->tenant, st, 1);
		const void *h = sqlite3_column_blob(st, 2);
		if (h && sqlite3_column_bytes(st, 2) == 32)
			memcpy(row->hash, h, 32);
		else
			memset(row->hash, 0, 32); /* matches no key's SHA-256 in practice */
		row->last_used_at = sqlite3_column_int64(st, 3);
		row->revoked_at = sqlite3_column_int64(st, 4);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sq__fail(s, rc, "cannot look up a key");
	}
	sq_done(st);
	return rc;
}

static int sq_key_touch(struct store *s, int64_t id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_TOUCH, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : sq__fail(s, rc, "cannot record a key's use");
	sq_done(st);
	return rc;
}

static int sq_key_list(struct store *s, const char *tenant, struct store_key **keys, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_LIST, &st);
	if (rc)
		return rc;
	if (tenant)
		sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
	struct store_key *v = NULL;
	size_t len = 0, alloc = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			struct store_key *nv = realloc(v, na * sizeof *nv);
			if (!nv) {
				rc = store__fail(s, -ENOMEM, "cannot list keys: %s", strerror(ENOMEM));
				goto fail;
			}
			v = nv;
			alloc = na;
		}
		struct store_key *k = &v[len++];
		memset(k, 0, sizeof *k);
		k->id = sqlite3_column_int64(st, 0);
		sq_copy_text(k->tenant, sizeof k->tenant, st, 1);
		sq_copy_text(k->prefix, sizeof k->prefix, st, 2);
		k->created_at = sqlite3_column_int64(st, 3);
		k->last_used_at = sqlite3_column_int64(st, 4);
		k->revoked_at = sqlite3_column_int64(st, 5);
	}
	if (rc != SQLITE_DONE) {
		rc = sq__fail(s, rc, "cannot list keys");
		goto fail;
	}
	sq_done(st);
	*keys = v;
	*n = len;
	return 0;
fail:
	sq_done(st);
	free(v);
	return rc;
}

static int sq_key_revoke(struct store *s, int64_t id, const char *prefix, int64_t now,
			 int64_t *revoked_id)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_REVOKE, &st);
	if (rc)
		return rc;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	if (prefix)
		sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*revoked_id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st); /* finishes the UPDATE */
		rc = rc == SQLITE_DONE ? 0 : sq__fail(s, rc, "cannot revoke a key");
		sq_done(st);
		return rc;
	}
	rc = rc == SQLITE_DONE ? -ENOENT : sq__fail(s, rc, "cannot revoke a key");
	sq_done(st);
	if (rc != -ENOENT)
		return rc;

	/* Nothing active matched: tell "already revoked" from "no such key". */
	rc = sq_stmt(s, SQ_KEY_FIND, &st);
	if (rc)
		return rc;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	if (prefix)
		sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*revoked_id = sqlite3_column_int64(st, 0);
		rc = -EALREADY;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : sq__fail(s, rc, "cannot look up a key");
	}
	sq_done(st);
	return rc;
}

static int sq_key_count(struct store *s, uint64_t *n)
{
	int64_t v = 0;
	int rc = sq_int(s, SQ_KEY_COUNT, "cannot count keys", &v);
	if (!rc)
		*n = (uint64_t)v;
	return rc;
}

static int sq_execution_put(struct store *s, const struct store_execution *e)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_EXEC_PUT, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e->tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->started_at);
	sqlite3_bind_double(st, 5, e->wall_ms);
	sqlite3_bind_double(st, 6, e->cpu_ms);
	sqlite3_bind_int64(st, 7, (int64_t)e->peak_memory_bytes);
	sqlite3_bind_text(st, 8, e->logs, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, e->logs_truncated ? 1 : 0);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = sq__fail(s, rc, "cannot record an execution");
	else
		rc = sqlite3_changes(q->db) ? 0 : -ENOENT; /* no such tenant */
	sq_done(st);
	return rc;
}

static int sq_execution_get(struct store *s, const char *id, struct store_execution *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_EXEC_GET, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sq_copy_text(out->id, sizeof out->id, st, 0);
		sq_copy_text(out->tenant, sizeof out->tenant, st, 1);
		sq_copy_text(out->status, sizeof out->status, st, 2);
		out->started_at = sqlite3_column_int64(st, 3);
		out->wall_ms = sqlite3_column_double(st, 4);
		out->cpu_ms = sqlite3_column_double(st, 5);
		out->peak_memory_bytes = (uint64_t)sqlite3_column_int64(st, 6);
		const char *logs = (const char *)sqlite3_column_text(st, 7);
		out->logs = strdup(logs ? logs : "");
		out->logs_truncated = sqlite3_column_int(st, 8) != 0;
		rc = out->logs ? 0 : store__fail(s, -ENOMEM, "cannot read execution '%s': %s",
						 id, strerror(ENOMEM));
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sq__fail(s, rc, "cannot read an execution");
	}
	sq_done(st);
	return rc;
}

static int sq_executions_prune(struct store *s, int64_t before, uint64_t max_rows,
			       uint64_t *removed)
{
	struct sq *q = sq_of(s);
	*removed = 0;
	int rc = sq_begin(s);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	if (before > 0) {
		rc = sq_stmt(s, SQ_EXEC_PRUNE_AGE, &st);
		if (rc)
			goto fail;
		sqlite3_bind_int64(st, 1, before);
		int src = sqlite3_step(st);
		if (src == SQLITE_DONE)
			*removed += (uint64_t)sqlite3_changes64(q->db);
		else
			rc = sq__fail(s, src, "cannot prune executions");
		sq_done(st);
		if (rc)
			goto fail;
	}
	if (max_rows > 0) {
		rc = sq_stmt(s, SQ_EXEC_PRUNE_ROWS, &st);
		if (rc)
			goto fail;
		sqlite3_bind_int64(st, 1, (int64_t)max_rows);
		int src = sqlite3_step(st);
		if (src == SQLITE_DONE)
			*removed += (uint64_t)sqlite3_changes64(q->db);
		else
			rc = sq__fail(s, src, "cannot prune executions");
		sq_done(st);
		if (rc)
			goto fail;
	}
	rc = sq_commit(s);
	if (rc)
		goto fail;
	return 0;
fail:
	sq_rollback(s);
	*removed = 0;
	return rc;
}

/* ---- Functions ------------------------------------------------------ */

int sq__tx_begin(struct store *s, bool *nested)
{
	*nested = !sqlite3_get_autocommit(sq_of(s)->db);
	return *nested ? sq_run(s, SQ_SAVEPOINT, "cannot begin a savepoint") : sq_begin(s);
}

int sq__tx_commit(struct store *s, bool nested)
{
	return nested ? sq_run(s, SQ_RELEASE, "cannot release a savepoint") : sq_commit(s);
}

/* Keeps the earlier error message, like sq_rollback(). */
void sq__tx_rollback(struct store *s, bool nested)
{
	if (!nested) {
		sq_rollback(s);
		return;
	}
	char keep[STORE_ERR_LEN];
	memcpy(keep, s->err, sizeof keep);
	sq_run(s, SQ_ROLLBACK_TO, "cannot roll back to a savepoint");
	sq_run(s, SQ_RELEASE, "cannot release a savepoint");
	memcpy(s->err, keep, sizeof keep);
}

int sq__step(struct store *s, sqlite3_stmt *st, const char *what, int64_t *val)
{
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

/* Binds the (tenant, function name) pair every function statement starts with. */
static int sq_fn_stmt(struct store *s, enum sq_stmt_id id, const char *tenant, const char *name,
		      sqlite3_stmt **st)
{
	int rc = sq_stmt(s, id, st);
	if (rc)
		return rc;
	sqlite3_bind_text(*st, 1, tenant, -1, SQLITE_STATIC);
	sqlite3_bind_text(*st, 2, name, -1, SQLITE_STATIC);
	return 0;
}

/* Makes room for element @len of *v, elements of @size bytes, *alloc allocated. */
static int sq_grow(struct store *s, void **v, size_t *alloc, size_t len, size_t size,
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
		rc = sq_grow(s, &v, &alloc, len, size, what);
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

static void sq_function_row(sqlite3_stmt *st, struct store_function *f)
{
	memset(f, 0, sizeof *f);
	f->id = sqlite3_column_int64(st, 0);
	sq_copy_text(f->tenant, sizeof f->tenant, st, 1);
	sq_copy_text(f->name, sizeof f->name, st, 2);
	f->created_at = sqlite3_column_int64(st, 3);
	f->latest_version = sqlite3_column_int(st, 4);
	f->timeout_ms = (uint64_t)sqlite3_column_int64(st, 5);
	f->memory_mb = (uint64_t)sqlite3_column_int64(st, 6);
}

static void sq_version_row(sqlite3_stmt *st, struct store_version *v)
{
	memset(v, 0, sizeof *v);
	v->version = sqlite3_column_int(st, 0);
	sq_copy_text(v->package_hash, sizeof v->package_hash, st, 1);
	v->files = (uint64_t)sqlite3_column_int64(st, 2);
	v->bytes = (uint64_t)sqlite3_column_int64(st, 3);
	v->created_at = sqlite3_column_int64(st, 4);
}

static int sq_version_elem(struct store *s, sqlite3_stmt *st, void *elem)
{
	sq_version_row(st, elem);
	return 0;
}

static int sq_function_elem(struct store *s, sqlite3_stmt *st, void *elem)
{
	sq_function_row(st, elem);
	return 0;
}

static int sq_function_publish(struct store *s, const char *tenant, const char *name,
			       const char *package_hash, uint64_t files, uint64_t bytes,
			       uint64_t timeout_ms, uint64_t memory_mb, int64_t now,
			       struct store_version *out)
{
	const char *what = "cannot deploy a function";
	bool nested;
	int rc = sq__tx_begin(s, &nested);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	int64_t id = 0, version = 0;
	rc = sq_fn_stmt(s, SQ_FN_UPSERT, tenant, name, &st);
	if (rc)
		goto fail;
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, (int64_t)timeout_ms);
	sqlite3_bind_int64(st, 5, (int64_t)memory_mb);
	rc = sq__step(s, st, what, &id); /* no row: no such tenant */
	if (rc)
		goto fail;

	rc = sq_stmt(s, SQ_VER_INSERT, &st);
	if (rc)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, package_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)files);
	sqlite3_bind_int64(st, 4, (int64_t)bytes);
	sqlite3_bind_int64(st, 5, now);
	rc = sq__step(s, st, what, &version);
	if (rc == 0 && (version < 1 || version > INT_MAX))
		rc = store__fail(s, -EOVERFLOW, "cannot deploy function '%s': no version number left",
				 name);
	if (rc)
		goto fail;

	rc = sq_stmt(s, SQ_FN_LATEST_BY_ID, &st);
	if (rc)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, version);
	rc = sq__step(s, st, what, NULL);
	if (rc)
		goto fail;
	rc = sq__tx_commit(s, nested);
	if (rc)
		goto fail;

	memset(out, 0, sizeof *out);
	out->version = (int)version;
	snprintf(out->package_hash, sizeof out->package_hash, "%s", package_hash);
	out->files = files;
	out->bytes = bytes;
	out->created_at = now;
	return 0;
fail:
	sq__tx_rollback(s, nested);
	return rc;
}

static int sq_function_get(struct store *s, const char *tenant, const char *name,
			   struct store_function *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_fn_stmt(s, SQ_FN_GET, tenant, name, &st);
	if (rc)
		return rc;
	return sq__one(s, st, "cannot read a function", sq_function_elem, out);
}


static int sq_function_list(struct store *s, const char *tenant, struct store_function **out,
			    size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_FN_LIST, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
	return sq__collect(s, st, "cannot list functions", sizeof **out, SIZE_MAX, false, sq_function_elem, NULL,
			   (void **)out, n);
}


static int sq_function_versions(struct store *s, const char *tenant, const char *name,
				struct store_version **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_fn_stmt(s, SQ_FN_VERSIONS, tenant, name, &st);
	if (rc)
		return rc;
	/* need_parent: the function, even with no version (a LEFT JOIN of NULLs). */
	return sq__collect(s, st, "cannot list versions", sizeof **out, SIZE_MAX, true, sq_version_elem, NULL,
			   (void **)out, n);
}

static int sq_function_version(struct store *s, const char *tenant, const char *name,
			       int version, struct store_version *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_fn_stmt(s, SQ_FN_VERSION, tenant, name, &st);
	if (rc)
		return rc;
	sqlite3_bind_int(st, 3, version);
	return sq__one(s, st, "cannot read a version", sq_version_elem, out);
}

static int sq_function_set_latest(struct store *s, const char *tenant, const char *name,
				  int version)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_fn_stmt(s, SQ_FN_SET_LATEST, tenant, name, &st);
	if (rc)
		return rc;
	sqlite3_bind_int(st, 3, version);
	rc = sq__step(s, st, "cannot set a function's latest version", NULL);
	if (rc == 0 && sqlite3_changes(sq_of(s)->db) == 0)
		rc = -ENOENT;
	return rc;
}

static int sq_function_delete(struct store *s, const char *tenant, const char *name)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_fn_stmt(s, SQ_FN_DELETE, tenant, name, &st);
	if (rc)
		return rc;
	/* Versions and env go with it: ON DELETE CASCADE, foreign_keys=ON. */
	rc = sq__step(s, st, "cannot delete a function", NULL);
	if (rc == 0 && sqlite3_changes(sq_of(s)->db) == 0)
		rc = -ENOENT;
	return rc;
}

static int sq_function_env_set(struct store *s, const char *tenant, const char *name,
			       const char *const *names, const char *const *values, size_t n)
{
	const char *what = "cannot set a function's env";
	bool nested;
	int rc = sq__tx_begin(s, &nested);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	rc = sq_fn_stmt(s, SQ_FN_ID, tenant, name, &st);
	if (rc)
		goto fail;
	rc = sq__step(s, st, what, &id);
	if (rc)
		goto fail;
	rc = sq_stmt(s, SQ_ENV_CLEAR, &st);
	if (rc)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	rc = sq__step(s, st, what, NULL);
	if (rc)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		rc = sq_stmt(s, SQ_ENV_INSERT, &st);
		if (rc)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, names[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, values[i], -1, SQLITE_STATIC);
		rc = sq__step(s, st, what, NULL);
		if (rc)
			goto fail;
	}
	rc = sq__tx_commit(s, nested);
	if (rc)
		goto fail;
	return 0;
fail:
	sq__tx_rollback(s, nested);
	return rc;
}

static void sq_strings_release(void *v, size_t n)
{
	store_strings_free(v, n);
}

static int sq_string_elem(struct store *s, sqlite3_stmt *st, void *elem)
{
	const char *t = (const char *)sqlite3_column_text(st, 0);
	size_t tl = (size_t)sqlite3_column_bytes(st, 0);
	char *copy = malloc(tl + 1);
	if (!copy)
		return store__fail(s, -ENOMEM, "cannot read a function's env: %s", strerror(ENOMEM));
	memcpy(copy, t, tl);
	copy[tl] = '\0';
	*(char **)elem = copy;
	return 0;
}

static int sq_function_env_get(struct store *s, const char *tenant, const char *name, bool pairs,
			       char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_fn_stmt(s, SQ_ENV_GET, tenant, name, &st);
	if (rc)
		return rc;
	sqlite3_bind_int(st, 3, pairs ? 1 : 0);
	/* need_parent: the function, even with no env (a LEFT JOIN of NULLs). */
	return sq__collect(s, st, "cannot read a function's env", sizeof **out, SIZE_MAX, true, sq_string_elem,
			   sq_strings_release, (void **)out, n);
}

/* ---- Packages ------------------------------------------------------- */

/* Writes "DIR/packages/@name" into @buf. */
static int sq_pkg_path(struct store *s, char buf[PATH_MAX], const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", sq_of(s)->pkgdir, name);
	if (n < 0 || n >= PATH_MAX)
		return store__fail(s, -ENAMETOOLONG, "cannot keep packages in '%s': path too long",
				   sq_of(s)->pkgdir);
	return 0;
}

/* Makes the entries of directory @dir durable: a created, renamed or
 * removed name survives a crash once this returns 0. */
static int sq_fsync_dir(struct store *s, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return store__fail(s, -errno, "cannot open '%s': %s", dir, strerror(errno));
	int rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	if (rc)
		return store__fail(s, rc, "cannot sync '%s': %s", dir, strerror(-rc));
	return 0;
}

/* Creates DIR/packages (0700) unless it exists. */
static int sq_pkgdir_ensure(struct store *s)
{
	struct sq *q = sq_of(s);
	if (mkdir(q->pkgdir, 0700) == 0)
		return sq_fsync_dir(s, q->dir);
	if (errno != EEXIST)
		return store__fail(s, -errno, "cannot create '%s': %s", q->pkgdir, strerror(errno));
	struct stat sb;
	if (lstat(q->pkgdir, &sb) != 0)
		return store__fail(s, -errno, "cannot use '%s': %s", q->pkgdir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return store__fail(s, -ENOTDIR, "cannot use '%s': not a directory", q->pkgdir);
	return 0;
}

static int sq_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int sq_package_put(struct store *s, const char *hash, const void *blob, size_t len)
{
	struct sq *q = sq_of(s);
	char path[PATH_MAX], tmp[PATH_MAX];
	int rc = sq_pkgdir_ensure(s);
	if (!rc)
		rc = sq_pkg_path(s, path, hash);
	if (rc)
		return rc;

	/* Stored already: a new mtime restarts the gc grace period. Under the
	 * write lock, so a gc runs wholly before (and the blob is then written
	 * anew) or wholly after (and sees the new time). */
	bool nested;
	rc = sq__tx_begin(s, &nested);
	if (rc)
		return rc;
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			rc = store__fail(s, -EIO, "cannot use package '%s': not a regular file", path);
		else if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) != 0)
			rc = store__fail(s, -errno, "cannot touch package '%s': %s", path,
					 strerror(errno));
	} else {
		rc = errno == ENOENT ? -ENOENT
				     : store__fail(s, -errno, "cannot look at package '%s': %s", path,
						   strerror(errno));
	}
	if (rc == 0 || rc == -ENOENT) {
		int crc = sq__tx_commit(s, nested);
		rc = crc ? crc : rc;
	} else {
		sq__tx_rollback(s, nested);
	}
	if (rc != -ENOENT)
		return rc;

	int n = snprintf(tmp, sizeof tmp, "%s/" SQ_PKG_TMP "%s-XXXXXX", q->pkgdir, hash);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return store__fail(s, -ENAMETOOLONG, "cannot keep packages in '%s': path too long",
				   q->pkgdir);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return store__fail(s, -errno, "cannot create a file in '%s': %s", q->pkgdir,
				   strerror(errno));
	/* mkostemp asks for 0600 but the umask could take more away. */
	if (fchmod(fd, 0600) != 0) {
		rc = store__fail(s, -errno, "cannot chmod '%s': %s", tmp, strerror(errno));
		goto fail_fd;
	}
	rc = sq_write_all(fd, blob, len);
	if (rc) {
		store__fail(s, rc, "cannot write '%s': %s", tmp, strerror(-rc));
		goto fail_fd;
	}
	if (fsync(fd) != 0) {
		rc = store__fail(s, -errno, "cannot sync '%s': %s", tmp, strerror(errno));
		goto fail_fd;
	}
	if (close(fd) != 0) {
		rc = store__fail(s, -errno, "cannot write '%s': %s", tmp, strerror(errno));
		goto fail_tmp;
	}
	/* No lock needed: the file was just written, so no gc takes it. */
	if (rename(tmp, path) != 0) {
		rc = store__fail(s, -errno, "cannot rename '%s' to '%s': %s", tmp, path,
				 strerror(errno));
		goto fail_tmp;
	}
	return sq_fsync_dir(s, q->pkgdir);

fail_fd:
	close(fd);
fail_tmp:
	unlink(tmp);
	return rc;
}

static int sq_package_get(struct store *s, const char *hash, void **blob, size_t *len)
{
	char path[PATH_MAX];
	int rc = sq_pkg_path(s, path, hash);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return store__fail(s, -errno, "cannot open package '%s': %s", path, strerror(errno));
	}
	struct stat sb;
	char *buf = NULL;
	if (fstat(fd, &sb) != 0) {
		rc = store__fail(s, -errno, "cannot stat package '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = store__fail(s, -EIO, "cannot read package '%s': not a regular file", path);
		goto out;
	}
	if ((uint64_t)sb.st_size >= SIZE_MAX) {
		rc = store__fail(s, -EFBIG, "cannot read package '%s': too big", path);
		goto out;
	}
	size_t size = (size_t)sb.st_size, got = 0;
	buf = malloc(size ? size : 1);
	if (!buf) {
		rc = store__fail(s, -ENOMEM, "cannot read package '%s': %s", path, strerror(ENOMEM));
		goto out;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			store__fail(s, rc, "cannot read package '%s': %s", path,
				    r < 0 ? strerror(-rc) : "shorter than its size");
			goto out;
		}
		got += (size_t)r;
	}
	*blob = buf;
	*len = size;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int64_t sq_mtime_ms(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

static int sq_packages_gc(struct store *s, int64_t before, uint64_t *removed)
{
	struct sq *q = sq_of(s);
	DIR *d = opendir(q->pkgdir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* nothing was ever put */
		return store__fail(s, -errno, "cannot open '%s': %s", q->pkgdir, strerror(errno));
	}
	/* The write lock: no publish commits while blobs are judged and removed. */
	bool nested;
	int rc = sq__tx_begin(s, &nested);
	if (rc)
		goto out;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno)
				rc = store__fail(s, -errno, "cannot read '%s': %s", q->pkgdir,
						 strerror(errno));
			break;
		}
		bool blob = store_package_hash_valid(e->d_name);
		bool tmp = !blob && !strncmp(e->d_name, SQ_PKG_TMP, strlen(SQ_PKG_TMP));
		struct stat sb;
		if (!blob && !tmp)
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode) || sq_mtime_ms(&sb) >= before)
			continue;
		if (blob) {
			sqlite3_stmt *st = NULL;
			int64_t used = 1;
			rc = sq_stmt(s, SQ_PKG_REFERENCED, &st);
			if (rc)
				break;
			sqlite3_bind_text(st, 1, e->d_name, -1, SQLITE_STATIC);
			rc = sq__step(s, st, "cannot collect packages", &used);
			if (rc)
				break;
			if (used)
				continue;
		}
		if (unlinkat(dirfd(d), e->d_name, 0) != 0) {
			if (errno == ENOENT)
				continue; /* another process's gc */
			rc = store__fail(s, -errno, "cannot remove '%s/%s': %s", q->pkgdir, e->d_name,
					 strerror(errno));
			break;
		}
		if (blob)
			(*removed)++;
	}
	if (rc)
		sq__tx_rollback(s, nested);
	else
		rc = sq__tx_commit(s, nested);
out:
	closedir(d);
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.tenant_ensure = sq__tenant_ensure,
	.key_insert = sq_key_insert,
	.key_by_prefix = sq_key_by_prefix,
	.key_touch = sq_key_touch,
	.key_list = sq_key_list,
	.key_revoke = sq_key_revoke,
	.key_count = sq_key_count,
	.execution_put = sq_execution_put,
	.batch_begin = sq_begin,
	.batch_commit = sq_commit,
	.execution_get = sq_execution_get,
	.executions_prune = sq_executions_prune,
	.function_publish = sq_function_publish,
	.function_get = sq_function_get,
	.function_list = sq_function_list,
	.function_versions = sq_function_versions,
	.function_version = sq_function_version,
	.function_set_latest = sq_function_set_latest,
	.function_delete = sq_function_delete,
	.function_env_set = sq_function_env_set,
	.function_env_get = sq_function_env_get,
	.package_put = sq_package_put,
	.package_get = sq_package_get,
	.packages_gc = sq_packages_gc,
	.session_create = sq__session_create,
	.session_get = sq__session_get,
	.session_delete = sq__session_delete,
	.session_commit = sq__session_commit,
	.session_history = sq__session_history,
	.sessions_expire = sq__sessions_expire,
	.sessions_count = sq__sessions_count,
	.session_token = sq__session_token,
	.session_token_value = sq__session_token_value,
	.tenant_settings_get = sq__tenant_settings_get,
	.tenant_settings_set = sq__tenant_settings_set,
};
