/* store/sqlite_keys — API keys in SQLite (001_init.sql). The key material
 * (drawing, hashing, comparing) is store.c's; this file keeps rows: a
 * key's prefix, its SHA-256, its tenant and its times. */
#include "supervisor/store/sqlite_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*        id                 sql */
#define KEYS_SQL(X) \
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
	X(KEY_COUNT,         "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL")

SQ_TABLE(keys, SQ_T_KEYS, KEYS_SQL)


static int sq__key_insert(struct store *s, const char *tenant, const char *prefix,
			  const uint8_t hash[32], int64_t now, int64_t *id)
{
	struct sq *q = sq_of(s);
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_KEY_INSERT, &st, "tt", tenant, prefix);
	if (rc)
		return rc;
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

static int key_row(struct store *s, sqlite3_stmt *st, void *elem)
{
	struct store_key_row *row = elem;
	row->id = sqlite3_column_int64(st, 0);
	sq_copy_text(row->tenant, sizeof row->tenant, st, 1);
	const void *h = sqlite3_column_blob(st, 2);
	if (h && sqlite3_column_bytes(st, 2) == 32)
		memcpy(row->hash, h, 32);
	else
		memset(row->hash, 0, 32); /* matches no key's SHA-256 in practice */
	row->last_used_at = sqlite3_column_int64(st, 3);
	row->revoked_at = sqlite3_column_int64(st, 4);
	return 0;
}

static int sq__key_by_prefix(struct store *s, const char *prefix, struct store_key_row *row)
{
	return sq_one(s, SQ_KEY_BY_PREFIX, "cannot look up a key", key_row, row, "t", prefix);
}

static int sq__key_touch(struct store *s, int64_t id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_bind(s, SQ_KEY_TOUCH, &st, "ii", (int64_t)id, (int64_t)now);
	if (rc)
		return rc;
	return sq__step(s, st, "cannot record a key's use", NULL);
}

static int key_elem(struct store *s, sqlite3_stmt *st, void *elem)
{
	struct store_key *k = elem;
	k->id = sqlite3_column_int64(st, 0);
	sq_copy_text(k->tenant, sizeof k->tenant, st, 1);
	sq_copy_text(k->prefix, sizeof k->prefix, st, 2);
	k->created_at = sqlite3_column_int64(st, 3);
	k->last_used_at = sqlite3_column_int64(st, 4);
	k->revoked_at = sqlite3_column_int64(st, 5);
	return 0;
}

static int sq__key_list(struct store *s, const char *tenant, struct store_key **keys, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_LIST, &st);
	if (rc)
		return rc;
	if (tenant)
		sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
	return sq__collect(s, st, "cannot list keys", sizeof **keys, SIZE_MAX, false, key_elem,
			   NULL, (void **)keys, n);
}

/* Binds the key a revoke names: ?1 its id (when > 0), ?2 its prefix. */
static void bind_which(sqlite3_stmt *st, int64_t id, const char *prefix)
{
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	if (prefix)
		sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
}

static int sq__key_revoke(struct store *s, int64_t id, const char *prefix, int64_t now,
			  int64_t *revoked_id)
{
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt(s, SQ_KEY_REVOKE, &st);
	if (rc)
		return rc;
	bind_which(st, id, prefix);
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
	bind_which(st, id, prefix);
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

static int sq__key_count(struct store *s, uint64_t *n)
{
	int64_t v = 0;
	int rc = sq__int(s, &keys, SQ_KEY_COUNT, "cannot count keys", &v);
	if (!rc)
		*n = (uint64_t)v;
	return rc;
}

/* The operations this file serves (see store_ops). */
#define OPS(X) X(key_insert) X(key_by_prefix) X(key_touch) X(key_list) X(key_revoke) \
	X(key_count)
SQ_OPS_FILL(keys, OPS)
