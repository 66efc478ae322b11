-- 003_sessions: durable sessions, their execution history and PII tokens;
-- tenant settings.
--
-- Same conventions as 001_init.sql: SQLite dialect, STRICT tables, Unix
-- milliseconds, no BEGIN/COMMIT (the runner wraps this file).

-- A tenant's settings: one JSON object, replaced as a whole. The service
-- validates what it means; the statement that writes it (sqlite_sessions.c)
-- refuses anything but an object. Not a CHECK here: with trusted_schema off
-- (sqlite.c) SQLite 3.40 does not allow the JSON functions in the schema.
ALTER TABLE tenants ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'
	CHECK (length(CAST(settings AS BLOB)) <= 65536);

-- A session keeps JavaScript bindings (state: JSON made by the worker, NULL
-- before the first execution that saved any) between executions. It lives
-- until expires_at, which every execution pushes to its end + ttl_ms; a
-- session whose expires_at has passed is gone for every reader even before
-- store_sessions_expire() deletes its row. pii is the session's default for
-- PII filtering, chosen when it is created. secrets is the env ("NAME=value"
-- lines) the session's executions were given: a binding can keep a secret
-- past the request that brought it, so every later execution's output is
-- filtered for all of them.
CREATE TABLE sessions (
	id               TEXT    PRIMARY KEY
	                 CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^A-Za-z0-9_-]*'),
	tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	created_at       INTEGER NOT NULL,
	last_activity    INTEGER NOT NULL,
	expires_at       INTEGER NOT NULL,
	ttl_ms           INTEGER NOT NULL CHECK (ttl_ms >= 1),
	execution_count  INTEGER NOT NULL DEFAULT 0 CHECK (execution_count >= 0),
	ctx_seq          INTEGER NOT NULL DEFAULT 0 CHECK (ctx_seq >= 0),
	state            TEXT,
	pii              INTEGER NOT NULL DEFAULT 0 CHECK (pii IN (0, 1)),
	secrets          TEXT
) STRICT;
-- Counting a tenant's live sessions (max_live) and the expiry sweep.
CREATE INDEX sessions_tenant ON sessions(tenant_id, expires_at);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- The executions of a session, numbered 1, 2, 3... (seq) in the order they
-- were committed; only the newest few are kept. Texts are cut to 64 KiB at a
-- UTF-8 boundary before they get here (truncated says so). result and error
-- are JSON text or NULL.
CREATE TABLE session_history (
	id                 TEXT    PRIMARY KEY
	                   CHECK (length(id) BETWEEN 1 AND 64 AND id NOT GLOB '*[^A-Za-z0-9_-]*'),
	session_id         TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq                INTEGER NOT NULL CHECK (seq >= 1),
	code               TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(code AS BLOB)) <= 65536),
	status             TEXT    NOT NULL CHECK (length(status) BETWEEN 1 AND 31),
	result             TEXT    CHECK (length(CAST(result AS BLOB)) <= 65536),
	stdout             TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(stdout AS BLOB)) <= 65536),
	stderr             TEXT    NOT NULL DEFAULT '' CHECK (length(CAST(stderr AS BLOB)) <= 65536),
	error              TEXT    CHECK (length(CAST(error AS BLOB)) <= 65536),
	wall_ms            REAL    NOT NULL CHECK (wall_ms >= 0),
	cpu_ms             REAL    NOT NULL CHECK (cpu_ms >= 0),
	peak_memory_bytes  INTEGER NOT NULL CHECK (peak_memory_bytes >= 0),
	started_at         INTEGER NOT NULL,
	finished_at        INTEGER NOT NULL,
	truncated          INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1))
) STRICT;
-- Newest first for a session, pruning by seq, and the cascade from sessions.
CREATE UNIQUE INDEX session_history_seq ON session_history(session_id, seq);

-- PII tokens: a value the filter replaced (an e-mail address, a card number)
-- and the number it was given, so the same value reads as the same token
-- (EMAIL_1) in every execution of the session. Numbers run 1, 2, 3... per
-- (session, kind).
CREATE TABLE session_tokens (
	session_id  TEXT    NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	kind        TEXT    NOT NULL
	            CHECK (length(kind) BETWEEN 1 AND 16 AND kind NOT GLOB '*[^A-Z]*'),
	num         INTEGER NOT NULL CHECK (num >= 1),
	value       TEXT    NOT NULL CHECK (length(CAST(value AS BLOB)) BETWEEN 1 AND 4096),
	PRIMARY KEY (session_id, kind, num),
	UNIQUE (session_id, kind, value)
) STRICT, WITHOUT ROWID;
