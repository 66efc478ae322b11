-- 001_init: tenants, API keys, recent executions.
--
-- SQLite dialect (PostgreSQL gets its own files with the same numbers when
-- pg.c lands). Times are Unix milliseconds; NULL means "never". Tables are
-- STRICT so a wrongly typed value is an error, not a silent conversion.
-- The runner in sqlite.c wraps this file in a transaction and records it in
-- schema_migrations; do not add BEGIN/COMMIT here.

-- A tenant owns keys, executions and (later) functions and sessions. The
-- name rule is also checked in C (store_tenant_name_valid); the CHECK keeps a
-- hand-edited row from breaking it.
CREATE TABLE tenants (
	id          INTEGER PRIMARY KEY,
	name        TEXT    NOT NULL UNIQUE
	            CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^a-z0-9_-]*'),
	created_at  INTEGER NOT NULL
) STRICT;

-- API keys, stored as the SHA-256 of the whole key ("ck_" + 32 base62) and
-- a non-secret 8-character prefix. The prefix is unique, so it names one key
-- (`corral keys revoke PREFIX`) and finds the row whose hash a presented key
-- is compared against. AUTOINCREMENT: an id is never reused, so a revoked
-- key's id never comes to name a newer key.
CREATE TABLE api_keys (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	prefix        TEXT    NOT NULL UNIQUE
	              CHECK (length(prefix) = 8 AND prefix NOT GLOB '*[^A-Za-z0-9]*'),
	hash          BLOB    NOT NULL CHECK (length(hash) = 32),
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER,
	revoked_at    INTEGER
) STRICT;
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

-- Recent executions, for GET /v1/executions/{id} and audit. Pruned by age
-- and count (store_executions_prune), so this is a window, not a history.
CREATE TABLE executions (
	id                 TEXT    PRIMARY KEY
	                   CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^A-Za-z0-9_-]*'),
	tenant_id          INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	status             TEXT    NOT NULL CHECK (length(status) BETWEEN 1 AND 31),
	started_at         INTEGER NOT NULL,
	wall_ms            REAL    NOT NULL,
	cpu_ms             REAL    NOT NULL,
	peak_memory_bytes  INTEGER NOT NULL CHECK (peak_memory_bytes >= 0),
	logs               TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(logs AS BLOB)) <= 65536),
	logs_truncated     INTEGER NOT NULL DEFAULT 0 CHECK (logs_truncated IN (0, 1))
) STRICT;
CREATE INDEX executions_started ON executions(started_at);
CREATE INDEX executions_tenant ON executions(tenant_id, started_at);
