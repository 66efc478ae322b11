/* store — durable state behind one operations table.
 *
 * Everything corral keeps across restarts (tenants, API keys, recent
 * executions, functions with their versions, env and packages, sessions
 * and tenant settings) goes through this interface, so nothing outside
 * src/store/ speaks SQL. A `struct store` is an operations table plus the implementation's private
 * state, the way curl's vtls and SQLite's VFS are built: store.c picks the
 * implementation from the location given to store_open() and holds the code
 * that is the same for every backend (validation, key generation and hashing,
 * the constant-time key check, clocks, truncation); an implementation
 * (sqlite.c now, pg.c later) only moves rows.
 *
 * Locations: "sqlite:DIR" or a plain directory path is SQLite with its file
 * at DIR/corral.db; "postgres://..." or "postgresql://..." is PostgreSQL,
 * which answers -ENOTSUP until its implementation lands.
 *
 * Threads: a store is used from one thread at a time (the supervisor's event
 * loop). Implementations need no locking of their own.
 *
 * Errors: every fallible function returns 0 or a negative errno. Those that
 * reach the database also leave a message naming the subject in the store
 * (store_last_error()), so the caller can log it once. -ENOENT means "no such
 * row" (an unknown key, tenant, execution, function, version, package,
 * session, token), never a broken database.
 *
 * Times are Unix time in milliseconds (int64_t); 0 stands for "never" (a key
 * never used, never revoked). */
#ifndef CORRAL_STORE_H
#define CORRAL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ERR_LEN 256

/* Tenant names: 1..64 characters of [a-z0-9_-]. */
#define STORE_TENANT_MAX 64
#define STORE_TENANT_RULE "1-64 characters of a-z, 0-9, '_' and '-'"

/* API keys: "ck_" and 32 base62 characters (about 190 random bits). Only
 * their SHA-256 hash is stored, with the first 8 characters after "ck_" as a
 * non-secret prefix that names the key in listings and `keys revoke`. */
#define STORE_KEY_TAG "ck_"
#define STORE_KEY_LEN 35
#define STORE_KEY_PREFIX_LEN 8

/* Execution ids: 1..64 characters of [A-Za-z0-9_-] (the service uses "x_..."). */
#define STORE_EXEC_ID_MAX 64
/* Status: 1..31 characters of [a-z_] (an outcome name, see outcome.h). */
#define STORE_STATUS_MAX 31
/* The most bytes of logs kept per execution; longer logs are cut at a UTF-8
 * character boundary and flagged logs_truncated. */
#define STORE_EXEC_LOGS_MAX (64u << 10)

/* Function names: 1..64 characters of [a-z0-9_-], like tenants. */
#define STORE_FUNCTION_NAME_MAX 64
#define STORE_FUNCTION_NAME_RULE "1-64 characters of a-z, 0-9, '_' and '-'"

/* Package hashes: SHA-256 in lowercase hex (package.h), 64 characters. A
 * hash names a blob; it is validated, never used as a path as given. */
#define STORE_PACKAGE_HASH_LEN 64

/* store_packages_gc() leaves a blob alone for this long after it was put
 * (or put again), so a blob written by one process and not yet published
 * is not collected by another process's gc in between. */
#define STORE_PACKAGE_GC_GRACE_MS (15 * 60 * 1000)

/* Env of a function: at most 256 variables; names [A-Za-z_][A-Za-z0-9_]*,
 * 1..256 characters; values NUL-terminated, at most 64 KiB. */
#define STORE_ENV_MAX 256
#define STORE_ENV_NAME_MAX 256
#define STORE_ENV_VALUE_MAX (64u << 10)
#define STORE_ENV_NAME_RULE "1-256 characters of A-Z, a-z, 0-9 and '_', not starting with a digit"

/* Default location: $CORRAL_DATA_DIR if set and not empty, else "./data". */
#define STORE_DEFAULT_DIR "./data"

struct store_ops;

struct store {
	const struct store_ops *ops;
	void *impl;                /* the implementation's own state */
	char err[STORE_ERR_LEN];   /* the last failure's message, "" if none */
};

/* One API key as listed. It holds no key material: neither the key nor its hash. */
struct store_key {
	int64_t id;
	char tenant[STORE_TENANT_MAX + 1];
	char prefix[STORE_KEY_PREFIX_LEN + 1];
	int64_t created_at;
	int64_t last_used_at;      /* 0: never used; updated at most once a minute */
	int64_t revoked_at;        /* 0: active */
};

/* A key that matched in store_key_lookup(). */
struct store_key_match {
	int64_t id;
	char tenant[STORE_TENANT_MAX + 1];
};

/* One execution as recorded. In store_execution_record() the caller keeps
 * ownership of logs; store_execution_get() fills logs with a string the
 * caller releases with store_execution_release(). */
struct store_execution {
	char id[STORE_EXEC_ID_MAX + 1];
	char tenant[STORE_TENANT_MAX + 1];
	char status[STORE_STATUS_MAX + 1];
	int64_t started_at;        /* 0 in store_execution_record(): now */
	double wall_ms;
	double cpu_ms;
	uint64_t peak_memory_bytes;
	char *logs;                /* NUL-terminated; NULL is stored as "" */
	bool logs_truncated;
};

/* A deployed function. Its versions are immutable and numbered from 1;
 * latest_version is the "latest" alias (the newest version, or an older one
 * after store_function_set_latest()). id is never reused, so (id, version)
 * names one package even across a delete and a new deploy of the same name. */
struct store_function {
	int64_t id;
	char tenant[STORE_TENANT_MAX + 1];
	char name[STORE_FUNCTION_NAME_MAX + 1];
	int64_t created_at;
	int latest_version;
	uint64_t timeout_ms;       /* 0: the service's default */
	uint64_t memory_mb;        /* 0: the service's default */
};

/* One version of a function. */
struct store_version {
	int version;
	char package_hash[STORE_PACKAGE_HASH_LEN + 1];
	uint64_t files;            /* as counted by the caller (package.c) */
	uint64_t bytes;
	int64_t created_at;
};

/* The location to use when none is given: $CORRAL_DATA_DIR, else "./data".
 * Returns a borrowed string. */
const char *store_default_location(void);

/* Opens the store at @location (see the top of this file), creating it if
 * missing, and brings its schema up to date: every embedded migration newer
 * than the database's version is applied, each in its own transaction. A
 * database whose version is newer than this binary's is refused (-EPROTO).
 * On failure writes a message naming the location into @err.
 * Returns 0 and sets *out, or -errno. Caller frees *out with store_close(). */
int store_open(const char *location, struct store **out, char err[STORE_ERR_LEN]);

/* Closes the store and frees it. store_close(NULL) is a no-op. */
void store_close(struct store *s);

/* The message of the last failure on @s ("" if none). Borrowed, valid until
 * the next call on @s. */
const char *store_last_error(const struct store *s);

/* The schema version of the open database, and the newest this binary knows. */
int store_schema_version(struct store *s, int *version);
int store_schema_latest(void);

/* true if @name follows STORE_TENANT_RULE. */
bool store_tenant_name_valid(const char *name);

/* Creates tenant @name unless it exists. -EINVAL for a bad name. */
int store_tenant_ensure(struct store *s, const char *name);

/* Creates an API key for the existing tenant @tenant (-ENOENT if there is
 * none; see store_tenant_ensure()). Writes the key, NUL-terminated, into
 * @key: it exists nowhere else, so the caller shows it once and then wipes
 * it. Sets *id if @id is not NULL. */
int store_key_create(struct store *s, const char *tenant, char key[STORE_KEY_LEN + 1],
		     int64_t *id);

/* Finds the active key @key as presented by a client. The key's SHA-256 is
 * compared in constant time with the stored hash. Returns 0 and fills @out,
 * or -ENOENT for a malformed, unknown or revoked key. Records the use
 * (last_used_at), at most once a minute per key. */
int store_key_lookup(struct store *s, const char *key, struct store_key_match *out);

/* Lists every key, or those of @tenant if it is not NULL, oldest first.
 * Sets *keys to an array of *n entries (NULL if none). Caller frees *keys with free(). */
int store_key_list(struct store *s, const char *tenant, struct store_key **keys, size_t *n);

/* Revokes the key named by @which: its id in decimal, or its prefix (with or
 * without "ck_"). An 8-character name that could be both is tried as a
 * prefix first. Sets *id if @id is not NULL. Returns 0, -ENOENT if no key is
 * named so, -EALREADY if it was revoked before (*id is still set). */
int store_key_revoke(struct store *s, const char *which, int64_t *id);

/* Sets *n to the number of active (unrevoked) keys of all tenants. With none,
 * the service may run in dev mode (API.md). */
int store_key_count(struct store *s, uint64_t *n);

/* Records execution @e, replacing any earlier record with the same id (so an
 * execution may be recorded when it starts and again when it ends). The
 * tenant must exist (-ENOENT). Logs longer than STORE_EXEC_LOGS_MAX are cut. */
int store_execution_record(struct store *s, const struct store_execution *e);

/* Groups the writes between them into one transaction (the service records
 * a loop iteration's executions together: one commit instead of many).
 * Batches do not nest. */
int store_batch_begin(struct store *s);
int store_batch_commit(struct store *s);

/* Fills @out with execution @id, or returns -ENOENT. On success the caller
 * releases @out with store_execution_release(). */
int store_execution_get(struct store *s, const char *id, struct store_execution *out);

/* Frees the logs of @e and clears it. */
void store_execution_release(struct store_execution *e);

/* Deletes executions that started more than @max_age_s seconds ago, then all
 * but the @max_rows most recent ones; 0 turns either rule off. Sets *removed
 * if it is not NULL. */
int store_executions_prune(struct store *s, uint64_t max_age_s, uint64_t max_rows,
			   uint64_t *removed);

/* ---- Functions ---------------------------------------------------------
 *
 * A function is named by its tenant and its name; every call below refuses
 * a bad tenant or function name with -EINVAL (the message states the rule)
 * and answers -ENOENT, with a message naming it, for a function (or
 * version) that does not exist, including one of another tenant. */

/* true if @name follows STORE_FUNCTION_NAME_RULE. */
bool store_function_name_valid(const char *name);

/* Deploys a version: creates function @name of @tenant if it does not exist
 * (the tenant must: -ENOENT), appends a version numbered one past the
 * highest so far with package @package_hash (see store_package_put(); not
 * checked here) and makes it the latest, and sets the function's defaults
 * to @timeout_ms and @memory_mb where they are not 0 (0 keeps the old ones,
 * or the service's for a new function). One transaction: all of it or
 * nothing. Fills @out with the new version if it is not NULL. */
int store_function_publish(struct store *s, const char *tenant, const char *name,
			   const char *package_hash, uint64_t files, uint64_t bytes,
			   uint64_t timeout_ms, uint64_t memory_mb, struct store_version *out);

/* Fills @out with function @name of @tenant. */
int store_function_get(struct store *s, const char *tenant, const char *name,
		       struct store_function *out);

/* Lists the functions of @tenant, sorted by name. Sets *out to an array of
 * *n entries (NULL if none; an unknown tenant has none). Caller frees *out
 * with free(). */
int store_function_list(struct store *s, const char *tenant, struct store_function **out,
			size_t *n);

/* Lists the versions of a function, newest first. Sets *out to an array of
 * *n entries. Caller frees *out with free(). */
int store_function_versions(struct store *s, const char *tenant, const char *name,
			    struct store_version **out, size_t *n);

/* Fills @out with version @version of a function, or with its latest
 * version if @version is 0. -ENOENT for no such function or version,
 * -EINVAL for a negative version. */
int store_function_version(struct store *s, const char *tenant, const char *name, int version,
			   struct store_version *out);

/* Points the function's "latest" alias at its existing version @version
 * (>= 1): a rollback, or forward again. The next publish still appends
 * after the highest version. */
int store_function_set_latest(struct store *s, const char *tenant, const char *name, int version);

/* Deletes the function with its versions and env. Package blobs stay (they
 * are content-addressed and may be shared); store_packages_gc() removes the
 * ones no version references any more. */
int store_function_delete(struct store *s, const char *tenant, const char *name);

/* Replaces the whole env of a function with the @n pairs @names[i] =
 * @values[i] (n = 0 clears it), in one transaction. -EINVAL, naming the
 * variable but never showing a value, for more than STORE_ENV_MAX pairs, a
 * name against STORE_ENV_NAME_RULE, a name given twice, a NULL value or a
 * value over STORE_ENV_VALUE_MAX bytes. The caller keeps ownership of all. */
int store_function_env_set(struct store *s, const char *tenant, const char *name,
			   const char *const *names, const char *const *values, size_t n);

/* The names of a function's env, sorted: what clients may read. Sets *names
 * to an array of *n strings (NULL if none). Caller frees it with
 * store_strings_free(). */
int store_function_env_names(struct store *s, const char *tenant, const char *name,
			     char ***names, size_t *n);

/* The env of a function as "NAME=value" strings, sorted by name: for the
 * worker that runs it only, never for a client or a log. Caller frees it
 * with store_strings_free(), which wipes the values. */
int store_function_env_pairs(struct store *s, const char *tenant, const char *name,
			     char ***pairs, size_t *n);

/* Wipes and frees the @n strings of @v, then @v. (NULL, 0) is a no-op. */
void store_strings_free(char **v, size_t n);

/* ---- Packages ----------------------------------------------------------
 *
 * Package blobs, content-addressed by their package hash. The store keeps
 * the bytes as given and does not check them against the hash (package.c
 * computes it over a canonical listing, not over the blob). SQLite mode
 * keeps a blob as the file DIR/packages/<hash> (mode 0600, in a directory
 * created 0700): written to a temporary file, fsync'd, renamed into place,
 * the directory fsync'd; PostgreSQL mode will keep blobs in a table.
 * A bad hash (not 64 lowercase hex characters) is -EINVAL. */

/* true if @hash is STORE_PACKAGE_HASH_LEN lowercase hex characters. */
bool store_package_hash_valid(const char *hash);

/* Stores @len bytes at @blob under @hash. A hash already stored keeps its
 * bytes (the call only restarts its gc grace period). The caller keeps
 * ownership of @blob. */
int store_package_put(struct store *s, const char *hash, const void *blob, size_t len);

/* Reads the blob @hash into a new buffer: sets *blob and *len. -ENOENT if
 * there is none. Caller frees *blob with free(). */
int store_package_get(struct store *s, const char *hash, void **blob, size_t *len);

/* Removes the blobs that no version references and that were put more than
 * STORE_PACKAGE_GC_GRACE_MS ago (and temporary files left by a crash as
 * old). Sets *removed to the number of blobs removed if it is not NULL. */
int store_packages_gc(struct store *s, uint64_t *removed);

/* ---- Sessions ----------------------------------------------------------
 *
 * A session keeps a program's JavaScript bindings between executions: its
 * state (JSON text made by the worker), a short history of its executions
 * and the numbers of the PII tokens given out in it. A session belongs to
 * one tenant and lives until its expires_at, which each execution pushes to
 * its end + ttl_ms. An expired session is gone for every call below (they
 * answer -ENOENT) even before store_sessions_expire() deletes its row; a
 * session of another tenant is answered the same way as none.
 *
 * Session ids and execution ids follow STORE_EXEC_ID_MAX's rule ([A-Za-z0-9_-],
 * 1..64); a bad one is -EINVAL for a write and -ENOENT for a read. */

#define STORE_SESSION_ID_MAX 64
/* code, result, stdout, stderr and error of a history row are each cut to
 * this many bytes at a UTF-8 character boundary, and the row is flagged
 * truncated. A cut result or error is no longer whole JSON: a reader of a
 * truncated row must be ready for that. */
#define STORE_HISTORY_TEXT_MAX (64u << 10)
/* The largest ttl_ms, about 100 years: enough to mean "forever" without
 * letting expires_at overflow. */
#define STORE_SESSION_TTL_MAX ((int64_t)100 * 366 * 86400 * 1000)
/* PII token kinds: 1..16 characters of [A-Z] ("EMAIL", "PHONE", "CARD",
 * "IBAN", ...); values: 1..4096 bytes without NUL. */
#define STORE_TOKEN_KIND_MAX 16
#define STORE_TOKEN_VALUE_MAX 4096
/* Tenant settings: a JSON object of at most 64 KiB. */
#define STORE_SETTINGS_MAX (64u << 10)

/* A session as read. state is set only when asked for and the session has
 * one; the caller then frees it with store_session_release(). */
struct store_session {
	char id[STORE_SESSION_ID_MAX + 1];
	char tenant[STORE_TENANT_MAX + 1];
	int64_t created_at;
	int64_t last_activity;     /* the end of the last execution, or created_at */
	int64_t expires_at;        /* last_activity + ttl_ms */
	int64_t ttl_ms;
	uint64_t execution_count;  /* executions committed so far: the last seq */
	uint64_t ctx_seq;          /* of those, the ones that ran in a worker */
	bool pii;                  /* the session's default for PII filtering */
	char *state;               /* NUL-terminated JSON text, or NULL */
	size_t state_len;
	char *secrets;             /* "NAME=value" lines the session was given, or NULL */
};

/* Frees the state of @s and clears it. store_session_release(NULL) is a no-op. */
void store_session_release(struct store_session *s);

/* Creates session @id for @tenant (creating the tenant if it is missing),
 * expiring @ttl_ms (1..STORE_SESSION_TTL_MAX) from now, with @pii as its
 * filtering default. With @max_live > 0 it refuses with -EDQUOT when the
 * tenant already has @max_live unexpired sessions; the count and the insert
 * are one transaction. -EEXIST if a live session has that id (an expired
 * one is deleted, with its history, to make room). Fills @out (without
 * state) if it is not NULL. */
int store_session_create(struct store *st, const char *tenant, const char *id, int64_t ttl_ms,
			 bool pii, unsigned max_live, struct store_session *out);

/* Fills @out with session @id if it exists, belongs to @tenant and has not
 * expired (expires_at > now), else returns -ENOENT. With @with_state it also
 * loads the state, which the caller then releases with
 * store_session_release(). One indexed read: this runs before every
 * execution of a session. */
int store_session_get(struct store *st, const char *tenant, const char *id, bool with_state,
		      struct store_session *out);

/* Deletes session @id of @tenant with its history and tokens. -ENOENT if
 * there is none (an expired one is deleted all the same). */
int store_session_delete(struct store *st, const char *tenant, const char *id);

/* One finished execution of a session, for store_session_commit(). The
 * caller keeps ownership of every pointer. Texts are (pointer, length): a
 * NULL pointer with length 0 is an empty code/out/err and a NULL
 * result/error (stored as NULL). */
struct store_session_exec {
	const char *session_id, *tenant, *exec_id;
	const char *code; size_t code_len;
	const char *status;                      /* as for store_execution */
	const char *result; size_t result_len;   /* JSON text or NULL */
	const char *out; size_t out_len;         /* stdout */
	const char *err; size_t err_len;         /* stderr */
	const char *error; size_t error_len;     /* JSON text or NULL */
	double wall_ms, cpu_ms;
	uint64_t peak_memory_bytes;
	int64_t started_at, finished_at;         /* 0: now */
	bool truncated;                          /* cut before it got here */
	const char *state; size_t state_len;     /* NULL: keep the stored state */
	const char *secrets;                     /* NULL: keep the stored secrets */
	bool not_run;                            /* refused before a worker saw it (ctx_seq stays) */
};

/* Records execution @e of a session in one transaction (a savepoint inside
 * an open batch, so a failure undoes only its own writes): inserts the
 * history row with seq = execution_count + 1; increments execution_count;
 * sets last_activity to finished_at and expires_at to that + ttl_ms;
 * replaces the state with @e->state when it is not NULL; and, when @keep >
 * 0, deletes the session's history rows beyond the @keep newest (0 keeps
 * all). Texts over STORE_HISTORY_TEXT_MAX are cut and the row flagged
 * truncated. -ENOENT when the session is gone, expired or another tenant's
 * (nothing is written); -EEXIST when @e->exec_id was used before. Sets
 * *seq_out to the seq used if it is not NULL. */
int store_session_commit(struct store *st, const struct store_session_exec *e, unsigned keep,
			 uint64_t *seq_out);

/* One row of a session's history. Every string is NUL-terminated and owned
 * by the array; code, out and err are never NULL, result and error are NULL
 * when none was recorded. */
struct store_history_row {
	char id[STORE_EXEC_ID_MAX + 1];
	uint64_t seq;
	char status[STORE_STATUS_MAX + 1];
	char *code, *result, *out, *err, *error;
	double wall_ms, cpu_ms;
	uint64_t peak_memory_bytes;
	int64_t started_at, finished_at;
	bool truncated;
};

/* The history of session @id of @tenant, newest first, at most @limit rows
 * (0: none, but the session's existence is still checked). -ENOENT as for
 * store_session_get(). Sets *rows to an array of *n rows (NULL if none).
 * Caller frees it with store_history_free(). */
int store_session_history(struct store *st, const char *tenant, const char *id, unsigned limit,
			  struct store_history_row **rows, size_t *n);

/* Frees @n rows and their strings. (NULL, 0) is a no-op. */
void store_history_free(struct store_history_row *rows, size_t n);

/* Deletes every session expired at @now (expires_at <= @now), their
 * history and tokens with them. Returns the number deleted (at most
 * INT_MAX counted) or -errno. */
int store_sessions_expire(struct store *st, int64_t now);

/* Sets *n to the number of unexpired sessions of all tenants (a gauge). */
int store_sessions_count(struct store *st, uint64_t *n);

/* The number of PII token (@kind, @value[0..@n)) in session @session_id:
 * the one given before, or one past the highest of that kind in the
 * session (from 1) when the value is new, assigned atomically. -ENOENT if
 * the session does not exist; -EINVAL for a kind against
 * STORE_TOKEN_KIND_MAX's rule or a value that is empty, longer than
 * STORE_TOKEN_VALUE_MAX or holds a NUL. Sets *num. */
int store_session_token(struct store *st, const char *session_id, const char *kind,
			const char *value, size_t n, unsigned *num);

/* The value of token (@kind, @num) of session @session_id, -ENOENT if none.
 * Sets *value to a NUL-terminated string; caller frees it with free(). */
int store_session_token_value(struct store *st, const char *session_id, const char *kind,
			      unsigned num, char **value);

/* ---- Tenant settings ---------------------------------------------------
 *
 * A tenant's settings are one JSON object (text), replaced as a whole. The
 * service decides what it holds; the store keeps it an object of at most
 * STORE_SETTINGS_MAX bytes (-EINVAL otherwise). */

/* Sets *json to the settings of @tenant: "{}" when the tenant or its
 * settings are unknown. Caller frees *json with free(). */
int store_tenant_settings_get(struct store *st, const char *tenant, char **json);

/* Replaces the settings of @tenant with @json, creating the tenant if it is
 * missing. The caller keeps ownership of @json. */
int store_tenant_settings_set(struct store *st, const char *tenant, const char *json);

/* ------------------------------------------------------------------------
 * For implementations only: the operations table and what store.c hands an
 * implementation. Callers use the functions above.
 *
 * store.c has already validated every argument (names, lengths, formats) and
 * computed every value (times, hashes) before it calls an operation, so an
 * operation only moves rows. Each returns 0 or -errno, sets s->err on
 * failure with store__fail(), and maps "no such row" to -ENOENT and a
 * uniqueness conflict to -EEXIST. Adding a table means adding operations at
 * the end of this struct and a wrapper above; callers never see the ops.
 */

/* The stored form of a key, read back for the constant-time check. */
struct store_key_row {
	int64_t id;
	char tenant[STORE_TENANT_MAX + 1];
	uint8_t hash[32];
	int64_t last_used_at;
	int64_t revoked_at;
};

struct store_ops {
	const char *name;          /* "sqlite", "postgres" */

	/* Opens @location (the part after the scheme, e.g. a directory) into
	 * s->impl and applies migrations. Writes a message into @err on failure. */
	int (*open)(struct store *s, const char *location, char err[STORE_ERR_LEN]);
	/* Frees s->impl; must accept a half-opened store. */
	void (*close)(struct store *s);

	int (*schema_version)(struct store *s, int *version);

	int (*tenant_ensure)(struct store *s, const char *name, int64_t now);

	/* -EEXIST if @prefix is taken (store.c then draws a new key), -ENOENT
	 * if the tenant does not exist. */
	int (*key_insert)(struct store *s, const char *tenant, const char *prefix,
			  const uint8_t hash[32], int64_t now, int64_t *id);
	/* Fills @row with the key whose prefix is @prefix, revoked or not. */
	int (*key_by_prefix)(struct store *s, const char *prefix, struct store_key_row *row);
	int (*key_touch)(struct store *s, int64_t id, int64_t now);
	int (*key_list)(struct store *s, const char *tenant, struct store_key **keys, size_t *n);
	/* Exactly one of @id (> 0) and @prefix (not NULL) names the key. */
	int (*key_revoke)(struct store *s, int64_t id, const char *prefix, int64_t now,
			  int64_t *revoked_id);
	int (*key_count)(struct store *s, uint64_t *n);

	/* @e->logs is not NULL and at most STORE_EXEC_LOGS_MAX bytes. */
	int (*execution_put)(struct store *s, const struct store_execution *e);
	int (*execution_get)(struct store *s, const char *id, struct store_execution *out);
	/* Deletes rows with started_at < @before (if @before > 0), then all
	 * but the @max_rows newest (if @max_rows > 0). */
	int (*executions_prune)(struct store *s, int64_t before, uint64_t max_rows,
				uint64_t *removed);

	int (*batch_begin)(struct store *s);
	int (*batch_commit)(struct store *s);

	/* Functions (002_functions.sql). Those that write run in one
	 * transaction of their own, or inside the caller's batch undo only
	 * their own writes on failure. */
	/* Creates the function unless it exists (-ENOENT: no tenant), inserts
	 * version max + 1 (created at @now) and makes it the latest; 0 in
	 * @timeout_ms or @memory_mb keeps the stored value. Fills @out. */
	int (*function_publish)(struct store *s, const char *tenant, const char *name,
				const char *package_hash, uint64_t files, uint64_t bytes,
				uint64_t timeout_ms, uint64_t memory_mb, int64_t now,
				struct store_version *out);
	int (*function_get)(struct store *s, const char *tenant, const char *name,
			    struct store_function *out);
	int (*function_list)(struct store *s, const char *tenant, struct store_function **out,
			     size_t *n);
	int (*function_versions)(struct store *s, const char *tenant, const char *name,
				 struct store_version **out, size_t *n);
	/* @version 0: the latest. -ENOENT for no such function or version. */
	int (*function_version)(struct store *s, const char *tenant, const char *name,
				int version, struct store_version *out);
	/* -ENOENT for no such function or version. */
	int (*function_set_latest)(struct store *s, const char *tenant, const char *name,
				   int version);
	int (*function_delete)(struct store *s, const char *tenant, const char *name);
	/* The names are distinct. */
	int (*function_env_set)(struct store *s, const char *tenant, const char *name,
				const char *const *names, const char *const *values, size_t n);
	/* Names, or "NAME=value" strings if @pairs, sorted by name; *out is
	 * NULL if there are none. */
	int (*function_env_get)(struct store *s, const char *tenant, const char *name, bool pairs,
				char ***out, size_t *n);

	/* Package blobs, by a valid hash. */
	int (*package_put)(struct store *s, const char *hash, const void *blob, size_t len);
	int (*package_get)(struct store *s, const char *hash, void **blob, size_t *len);
	/* Removes unreferenced blobs last put before @before (Unix ms). */
	int (*packages_gc)(struct store *s, int64_t before, uint64_t *removed);

	/* Sessions (003_sessions.sql). @now is the current time from store.c;
	 * a session with expires_at <= @now counts as none (-ENOENT). Writes
	 * run in one transaction of their own, or a savepoint inside the
	 * caller's batch. */
	/* Ensures the tenant, deletes an expired session @id, and inserts the
	 * session unless the tenant has @max_live (> 0) live ones (-EDQUOT).
	 * -EEXIST for a live session with that id. Fills @out (no state). */
	int (*session_create)(struct store *s, const char *tenant, const char *id, int64_t now,
			      int64_t ttl_ms, bool pii, unsigned max_live,
			      struct store_session *out);
	int (*session_get)(struct store *s, const char *tenant, const char *id, int64_t now,
			   bool with_state, struct store_session *out);
	/* Deletes the session, expired or not; -ENOENT if there was no live one. */
	int (*session_delete)(struct store *s, const char *tenant, const char *id, int64_t now);
	/* @e is validated, its texts cut, started_at and finished_at set;
	 * @keep 0: keep all history. */
	int (*session_commit)(struct store *s, const struct store_session_exec *e, int64_t now,
			      unsigned keep, uint64_t *seq);
	/* @limit 0: no rows, but -ENOENT still answers for a missing session. */
	int (*session_history)(struct store *s, const char *tenant, const char *id, int64_t now,
			       unsigned limit, struct store_history_row **rows, size_t *n);
	int (*sessions_expire)(struct store *s, int64_t now, uint64_t *removed);
	int (*sessions_count)(struct store *s, int64_t now, uint64_t *n);
	int (*session_token)(struct store *s, const char *session_id, const char *kind,
			     const char *value, size_t n, unsigned *num);
	int (*session_token_value)(struct store *s, const char *session_id, const char *kind,
				   unsigned num, char **value);
	/* -ENOENT: no such tenant. */
	int (*tenant_settings_get)(struct store *s, const char *tenant, char **json);
	/* Creates the tenant (at @now) if it is missing. */
	int (*tenant_settings_set)(struct store *s, const char *tenant, const char *json,
				   int64_t now);
};

/* One numbered migration, embedded at build time from
 * src/store/migrations/NNN_name.sql (store_migrations.c, generated). They are
 * numbered 1..store_migrations_count without gaps, in order. */
struct store_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

/* The SQLite backend's operations (built on first use). */
const struct store_ops *store_sqlite_ops(void);

/* Sets s->err from a printf format and returns @rc, for "return store__fail(...)". */
int store__fail(struct store *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
