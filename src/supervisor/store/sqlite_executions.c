/* store/sqlite_executions — the record of each execution (001_init.sql),
 * written in batches by the supervisor and pruned by age and count. */
#include "supervisor/store/sqlite_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*        id                 sql */
#define EXECS_SQL(X) \
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
			     "ORDER BY started_at DESC, rowid DESC LIMIT -1 OFFSET ?1)")

SQ_TABLE(execs, SQ_T_EXECS, EXECS_SQL)


static int sq__execution_put(struct store *s, const struct store_execution *e)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_EXEC_PUT, &st, "tttiffitd", e->id, e->tenant, e->status, (int64_t)e->started_at, (double)e->wall_ms, (double)e->cpu_ms, (int64_t)e->peak_memory_bytes, e->logs, e->logs_truncated ? 1 : 0);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = sq__fail(s, rc, "cannot record an execution");
	else
		rc = sqlite3_changes(q->db) ? 0 : -ENOENT; /* no such tenant */
	sq_done(st);
	return rc;
}

static int execution_row(struct store *s, sqlite3_stmt *st, void *elem)
{
	struct store_execution *out = elem;
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
	return out->logs ? 0 : store__fail(s, -ENOMEM, "cannot read execution '%s': %s", out->id,
					   strerror(ENOMEM));
}

static int sq__execution_get(struct store *s, const char *id, struct store_execution *out)
{
	return sq_one(s, SQ_EXEC_GET, "cannot read an execution", execution_row, out, "t", id);
}

/* Runs prune statement @id with its one parameter, adding to *removed. */
static int prune(struct store *s, enum execs_id id, int64_t arg, uint64_t *removed)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, id, &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		*removed += (uint64_t)sqlite3_changes64(sq_of(s)->db);
	rc = rc == SQLITE_DONE ? 0 : sq__fail(s, rc, "cannot prune executions");
	sq_done(st);
	return rc;
}

static int sq__executions_prune(struct store *s, int64_t before, uint64_t max_rows,
				uint64_t *removed)
{
	*removed = 0;
	int rc = sq__begin(s);
	if (rc)
		return rc;
	if (before > 0)
		rc = prune(s, SQ_EXEC_PRUNE_AGE, before, removed);
	if (!rc && max_rows > 0)
		rc = prune(s, SQ_EXEC_PRUNE_ROWS, (int64_t)max_rows, removed);
	rc = sq__end(s, rc);
	if (rc)
		*removed = 0;
	return rc;
}

/* The operations this file serves (see store_ops). */
#define OPS(X) X(execution_put) X(execution_get) X(executions_prune)
SQ_OPS_FILL(executions, OPS)
