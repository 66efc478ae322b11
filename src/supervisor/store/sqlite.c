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
 * This file opens, migrates and closes the database and holds the table of
 * operations; each concern's operations are in their own file and what the
 * files share is declared in sqlite_internal.h.
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
 * */
#include "supervisor/store/sqlite_internal.h"

#include <errno.h>
#include <pthread.h>
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

/*        id                 sql */
#define SCHEMA_SQL(X) \
	X(SCHEMA_VERSION,    "SELECT coalesce(max(version), 0) FROM schema_migrations") \
	X(MIGRATION_DONE,    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?1, ?2, ?3)")

SQ_TABLE(schema, SQ_T_SCHEMA, SCHEMA_SQL)

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
		return sq__errno(q->db, rc);
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
		return sq__errno(q->db, rc);
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
	int rc = sq__int(s, &schema, SQ_SCHEMA_VERSION, "cannot read the schema version", &v);
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
	int rc = sq__begin(s);
	if (rc)
		return rc;
	int cur = 0;
	rc = sq_schema_version(s, &cur);
	if (rc)
		goto end;
	if (cur >= m->version)
		return sq__commit(s);

	char *msg = NULL;
	int src = sqlite3_exec(q->db, m->sql, NULL, NULL, &msg);
	if (src != SQLITE_OK) {
		rc = store__fail(s, sq__errno(q->db, src), "cannot apply migration %03d_%s to '%s': %s",
				 m->version, m->name, q->path, msg ? msg : sqlite3_errmsg(q->db));
		sqlite3_free(msg);
		goto end;
	}
	sqlite3_stmt *st = NULL;
	rc = sq_bind(s, SQ_MIGRATION_DONE, &st, "dti", m->version, m->name, (int64_t)(sq_now_ms()));
	if (rc)
		goto end;
	src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = sq__fail(s, src, "cannot record a migration");
	sq_done(st);
end:
	return sq__end(s, rc);
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
		return q->db ? sq__errno(q->db, rc) : -ENOMEM;
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
	sq__stmts_close(q);
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

static struct store_ops sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.tenant_ensure = sq__tenant_ensure,
	.batch_begin = sq__begin,
	.batch_commit = sq__commit,
};

static void sqlite_ops_fill(void)
{
	sq__keys_ops(&sqlite_ops);
	sq__executions_ops(&sqlite_ops);
	sq__functions_ops(&sqlite_ops);
	sq__packages_ops(&sqlite_ops);
	sq__sessions_ops(&sqlite_ops);
}

const struct store_ops *store_sqlite_ops(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_ops_fill);
	return &sqlite_ops;
}
