-- 002_functions: deployed functions, their immutable versions, their env.
--
-- Same conventions as 001_init.sql: SQLite dialect, STRICT tables, Unix
-- milliseconds, no BEGIN/COMMIT (the runner wraps this file). Package bytes
-- are not in the database: SQLite mode keeps them as files
-- DIR/packages/<package_hash>, named by the hash stored in versions.

-- A function belongs to a tenant; its name is unique within the tenant only.
-- AUTOINCREMENT: an id is never reused, so (id, version) names one package
-- for good even after the function is deleted and deployed again (versions
-- then start over at 1). latest_version is the "latest" alias: the newest
-- version after a deploy, an older one after a rollback. timeout_ms and
-- memory_mb are the function's defaults, 0 for the service's.
CREATE TABLE functions (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	name            TEXT    NOT NULL
	                CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^a-z0-9_-]*'),
	created_at      INTEGER NOT NULL,
	latest_version  INTEGER NOT NULL CHECK (latest_version >= 0),
	timeout_ms      INTEGER NOT NULL DEFAULT 0 CHECK (timeout_ms >= 0),
	memory_mb       INTEGER NOT NULL DEFAULT 0 CHECK (memory_mb >= 0),
	UNIQUE (tenant_id, name)
) STRICT;

-- Versions are numbered 1, 2, 3... per function and never change once
-- written. Two versions may share a package (the same upload twice).
CREATE TABLE versions (
	function_id   INTEGER NOT NULL REFERENCES functions(id) ON DELETE CASCADE,
	version       INTEGER NOT NULL CHECK (version >= 1),
	package_hash  TEXT    NOT NULL
	              CHECK (length(package_hash) = 64 AND package_hash NOT GLOB '*[^0-9a-f]*'),
	files         INTEGER NOT NULL CHECK (files >= 0),
	bytes         INTEGER NOT NULL CHECK (bytes >= 0),
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (function_id, version)
) STRICT, WITHOUT ROWID;
-- For the package garbage collector: is this hash still referenced?
CREATE INDEX versions_package ON versions(package_hash);

-- Env of a function, replaced as a whole by each PUT .../env. Values are
-- stored as given (no key to encrypt them with yet, see
-- docs/internals/store.md) and leave the store only toward a worker.
CREATE TABLE function_env (
	function_id  INTEGER NOT NULL REFERENCES functions(id) ON DELETE CASCADE,
	name         TEXT    NOT NULL
	             CHECK (length(name) BETWEEN 1 AND 256 AND name NOT GLOB '*[^A-Za-z0-9_]*'
	                    AND name NOT GLOB '[0-9]*'),
	value        TEXT    NOT NULL CHECK (length(CAST(value AS BLOB)) <= 65536),
	PRIMARY KEY (function_id, name)
) STRICT, WITHOUT ROWID;
