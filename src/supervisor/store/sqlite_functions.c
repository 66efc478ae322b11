/* store/sqlite_functions — functions, their numbered versions and their
 * env (002_functions.sql). A version names its package by hash; the blob
 * itself is sqlite_packages.c's. */
#include "supervisor/store/sqlite_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*        id                 sql */
#define FNS_SQL(X) \
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
			     "WHERE t.name = ?1 AND f.name = ?2 ORDER BY e.name")

SQ_TABLE(fns, SQ_T_FNS, FNS_SQL)

/* Binds the (tenant, function name) pair every function statement starts with. */
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

static int sq__function_publish(struct store *s, const char *tenant, const char *name,
				const char *package_hash, uint64_t files, uint64_t bytes,
				uint64_t timeout_ms, uint64_t memory_mb, int64_t now,
				struct store_version *out)
{
	const char *what = "cannot deploy a function";
	int rc = sq__tx_begin(s);
	if (rc)
		return rc;
	int64_t id = 0, version = 0;
	/* No row: no such tenant. */
	rc = sq_exec(s, SQ_FN_UPSERT, what, &id, "ttiii", tenant, name, now, (int64_t)timeout_ms,
		     (int64_t)memory_mb);
	if (rc)
		goto fail;

	rc = sq_exec(s, SQ_VER_INSERT, what, &version, "itiii", (int64_t)id, package_hash,
		     (int64_t)files, (int64_t)bytes, (int64_t)now);
	if (rc == 0 && (version < 1 || version > INT_MAX))
		rc = store__fail(s, -EOVERFLOW, "cannot deploy function '%s': no version number left",
				 name);
	if (rc)
		goto fail;

	rc = sq_exec(s, SQ_FN_LATEST_BY_ID, what, NULL, "ii", (int64_t)id, (int64_t)version);
fail:
	rc = sq__tx_end(s, rc);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	out->version = (int)version;
	snprintf(out->package_hash, sizeof out->package_hash, "%s", package_hash);
	out->files = files;
	out->bytes = bytes;
	out->created_at = now;
	return 0;
}

static int sq__function_get(struct store *s, const char *tenant, const char *name,
			    struct store_function *out)
{
	return sq_one(s, SQ_FN_GET, "cannot read a function", sq_function_elem, out, "tt", tenant,
		      name);
}


static int sq__function_list(struct store *s, const char *tenant, struct store_function **out,
			     size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_FN_LIST, &st, "t", tenant);
	if (rc)
		return rc;
	return sq__collect(s, st, "cannot list functions", sizeof **out, SIZE_MAX, false, sq_function_elem, NULL,
			   (void **)out, n);
}


static int sq__function_versions(struct store *s, const char *tenant, const char *name,
				 struct store_version **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_FN_VERSIONS, &st, "tt", tenant, name);
	if (rc)
		return rc;
	/* need_parent: the function, even with no version (a LEFT JOIN of NULLs). */
	return sq__collect(s, st, "cannot list versions", sizeof **out, SIZE_MAX, true, sq_version_elem, NULL,
			   (void **)out, n);
}

static int sq__function_version(struct store *s, const char *tenant, const char *name,
				int version, struct store_version *out)
{
	return sq_one(s, SQ_FN_VERSION, "cannot read a version", sq_version_elem, out, "ttd", tenant,
		      name, version);
}

static int sq__function_set_latest(struct store *s, const char *tenant, const char *name,
				   int version)
{
	int rc = sq_exec(s, SQ_FN_SET_LATEST, "cannot set a function's latest version", NULL, "ttd",
			 tenant, name, version);
	if (rc == 0 && sqlite3_changes(sq_of(s)->db) == 0)
		rc = -ENOENT;
	return rc;
}

static int sq__function_delete(struct store *s, const char *tenant, const char *name)
{
	/* Versions and env go with it: ON DELETE CASCADE, foreign_keys=ON. */
	int rc = sq_exec(s, SQ_FN_DELETE, "cannot delete a function", NULL, "tt", tenant, name);
	if (rc == 0 && sqlite3_changes(sq_of(s)->db) == 0)
		rc = -ENOENT;
	return rc;
}

static int sq__function_env_set(struct store *s, const char *tenant, const char *name,
				const char *const *names, const char *const *values, size_t n)
{
	const char *what = "cannot set a function's env";
	int rc = sq__tx_begin(s);
	if (rc)
		return rc;
	int64_t id = 0;
	rc = sq_exec(s, SQ_FN_ID, what, &id, "tt", tenant, name);
	if (rc)
		goto end;
	rc = sq_exec(s, SQ_ENV_CLEAR, what, NULL, "i", (int64_t)id);
	if (rc)
		goto end;
	for (size_t i = 0; i < n; i++) {
		rc = sq_exec(s, SQ_ENV_INSERT, what, NULL, "itt", (int64_t)id, names[i], values[i]);
		if (rc)
			goto end;
	}
end:
	return sq__tx_end(s, rc);
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

static int sq__function_env_get(struct store *s, const char *tenant, const char *name, bool pairs,
				char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_ENV_GET, &st, "ttd", tenant, name, pairs ? 1 : 0);
	if (rc)
		return rc;
	/* need_parent: the function, even with no env (a LEFT JOIN of NULLs). */
	return sq__collect(s, st, "cannot read a function's env", sizeof **out, SIZE_MAX, true, sq_string_elem,
			   sq_strings_release, (void **)out, n);
}

/* The operations this file serves (see store_ops). */
#define OPS(X) X(function_publish) X(function_get) X(function_list) X(function_versions) \
	X(function_version) X(function_set_latest) X(function_delete) X(function_env_set) \
	X(function_env_get)
SQ_OPS_FILL(functions, OPS)
