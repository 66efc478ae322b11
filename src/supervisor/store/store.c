/* store — see store.h.
 *
 * This file is the half of the store that is the same for every backend:
 * it picks the implementation from the location's scheme, validates every
 * argument, and owns the key material. A key is drawn here (getrandom,
 * base62 by rejection sampling so every character is equally likely),
 * hashed here (SHA-256 through libcrypto's EVP API) and checked here: the
 * implementation is asked for the one row with the key's prefix and hands
 * back the stored hash, which is compared with CRYPTO_memcmp. The database
 * never searches on the secret part, so how long a lookup takes says
 * nothing about how much of a guess was right.
 *
 * SHA-256 without salt or stretching is enough because the keys are random
 * (about 143 secret bits after the 8-character prefix), not passwords: no
 * dictionary exists to try against a stolen hash.
 *
 * Functions, env and packages: the names, hashes, sizes and env pairs are
 * checked here, so an implementation never sees a name it would have to
 * quote or a hash that could climb out of a directory. Env values are
 * secrets: no message here or below ever contains one.
 *
 * Sessions: ids, kinds and figures are checked here, the history texts are
 * cut at a UTF-8 boundary here, and "now" is read here once per call, so
 * every backend judges expiry by the same clock. PII token values are
 * never put in a message. */
#include "supervisor/store/store.h"
#include "common/rand.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* A key's use is written back at most this often, so authenticating a
 * request is a read, not a write, on the hot path. */
#define STORE_TOUCH_INTERVAL_MS 60000

/* store_key_create() draws again when a prefix is taken; with 62^8 prefixes
 * this is rare enough that running out of tries means something else is wrong. */
#define STORE_KEY_TRIES 8

struct store_scheme {
	const char *prefix;
	const struct store_ops *(*ops)(void); /* NULL: known but not built yet */
	const char *why;
};

/* To add a backend, add its prefix here; nothing that calls store_open()
 * changes. */
static const struct store_scheme schemes[] = {
	{ "sqlite:", store_sqlite_ops, NULL },
	{ "postgres://", NULL, "PostgreSQL support comes in a later release; use sqlite:DIR or a directory" },
	{ "postgresql://", NULL, "PostgreSQL support comes in a later release; use sqlite:DIR or a directory" },
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts an operation: clears the last error and zeroes the caller's
 * result, @size bytes at @out (if not NULL), so a failure leaves no stale
 * one (the backends write a result only on success). Returns @out. */
static void *op_begin(struct store *s, void *out, size_t size)
{
	s->err[0] = '\0';
	if (out)
		memset(out, 0, size);
	return out;
}

const char *store_default_location(void)
{
	const char *d = getenv("CORRAL_DATA_DIR");
	return d && *d ? d : STORE_DEFAULT_DIR;
}

int store_open(const char *location, struct store **out, char err[STORE_ERR_LEN])
{
	*out = NULL;
	err[0] = '\0';
	if (!location || !*location) {
		snprintf(err, STORE_ERR_LEN, "store location is empty (set --data-dir or CORRAL_DATA_DIR)");
		return -EINVAL;
	}

	const struct store_ops *ops = store_sqlite_ops();
	const char *rest = location;
	bool matched = false;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncmp(location, schemes[i].prefix, n) != 0)
			continue;
		if (!schemes[i].ops) {
			snprintf(err, STORE_ERR_LEN, "cannot open store '%s': %s", location,
				 schemes[i].why);
			return -ENOTSUP;
		}
		ops = schemes[i].ops();
		rest = location + n;
		matched = true;
		break;
	}
	/* Anything else with a URL scheme is a mistake, not a directory named "x:". */
	if (!matched && strstr(location, "://")) {
		snprintf(err, STORE_ERR_LEN,
			 "cannot open store '%s': unknown scheme (use sqlite:DIR or a directory)", location);
		return -EINVAL;
	}
	if (!*rest) {
		snprintf(err, STORE_ERR_LEN, "cannot open store '%s': no directory given", location);
		return -EINVAL;
	}

	struct store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, STORE_ERR_LEN, "cannot open store '%s': %s", location, strerror(ENOMEM));
		return -ENOMEM;
	}
	s->ops = ops;
	int rc = ops->open(s, rest, err);
	if (rc) {
		ops->close(s);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s);
}

const char *store_last_error(const struct store *s)
{
	return s->err;
}

int store_schema_version(struct store *s, int *version)
{
	s->err[0] = '\0';
	return s->ops->schema_version(s, version);
}

bool store_tenant_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > STORE_TENANT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

static int check_tenant(struct store *s, const char *name)
{
	if (store_tenant_name_valid(name))
		return 0;
	return store__fail(s, -EINVAL, "bad tenant name '%.80s': a tenant name is %s",
			   name ? name : "", STORE_TENANT_RULE);
}

int store_tenant_ensure(struct store *s, const char *name)
{
	s->err[0] = '\0';
	int rc = check_tenant(s, name);
	if (rc)
		return rc;
	return s->ops->tenant_ensure(s, name, now_ms());
}

/* Writes "ck_" and 32 uniformly drawn base62 characters (rand_base62). */
static int key_generate(struct store *s, char key[STORE_KEY_LEN + 1])
{
	memcpy(key, STORE_KEY_TAG, 3);
	int rc = rand_base62(key + 3, STORE_KEY_LEN - 3);
	return rc ? store__fail(s, rc, "cannot draw a key: getrandom: %s", strerror(-rc)) : 0;
}

static int key_hash(struct store *s, const char *key, size_t n, uint8_t hash[32])
{
	unsigned int len = 0;
	if (EVP_Digest(key, n, hash, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return store__fail(s, -EIO, "cannot hash a key: SHA-256 failed in libcrypto");
	return 0;
}

/* true if @key has the form of a key: "ck_" and 32 base62 characters. */
static bool key_well_formed(const char *key)
{
	if (!key || strncmp(key, STORE_KEY_TAG, 3) != 0)
		return false;
	for (size_t i = 3; i < STORE_KEY_LEN; i++)
		if (!is_base62(key[i]))
			return false;
	return key[STORE_KEY_LEN] == '\0';
}

int store_key_create(struct store *s, const char *tenant, char key[STORE_KEY_LEN + 1],
		     int64_t *id)
{
	s->err[0] = '\0';
	key[0] = '\0';
	int rc = check_tenant(s, tenant);
	if (rc)
		return rc;
	for (int tries = 0; tries < STORE_KEY_TRIES; tries++) {
		uint8_t hash[32];
		char prefix[STORE_KEY_PREFIX_LEN + 1];
		int64_t new_id = 0;
		rc = key_generate(s, key);
		if (rc)
			break;
		rc = key_hash(s, key, STORE_KEY_LEN, hash);
		if (rc)
			break;
		memcpy(prefix, key + 3, STORE_KEY_PREFIX_LEN);
		prefix[STORE_KEY_PREFIX_LEN] = '\0';
		rc = s->ops->key_insert(s, tenant, prefix, hash, now_ms(), &new_id);
		if (rc == -EEXIST)
			continue;
		if (rc == -ENOENT)
			store__fail(s, rc, "no tenant '%s'", tenant);
		if (rc == 0 && id)
			*id = new_id;
		break;
	}
	if (rc == -EEXIST)
		store__fail(s, -EIO, "cannot create a key for tenant '%s': %d draws all hit a taken prefix",
			    tenant, STORE_KEY_TRIES);
	if (rc) {
		OPENSSL_cleanse(key, STORE_KEY_LEN + 1);
		return rc == -EEXIST ? -EIO : rc;
	}
	return 0;
}

int store_key_lookup(struct store *s, const char *key, struct store_key_match *out)
{
	/* Compared against when no row matches, so a miss costs what a hit does. */
	static const uint8_t dummy[32];
	op_begin(s, out, sizeof *out);
	if (!key_well_formed(key))
		return -ENOENT;

	uint8_t hash[32];
	int rc = key_hash(s, key, STORE_KEY_LEN, hash);
	if (rc)
		return rc;
	char prefix[STORE_KEY_PREFIX_LEN + 1];
	memcpy(prefix, key + 3, STORE_KEY_PREFIX_LEN);
	prefix[STORE_KEY_PREFIX_LEN] = '\0';

	struct store_key_row row;
	memset(&row, 0, sizeof row);
	rc = s->ops->key_by_prefix(s, prefix, &row);
	if (rc && rc != -ENOENT)
		return rc;
	bool found = rc == 0;
	bool same = CRYPTO_memcmp(found ? row.hash : dummy, hash, 32) == 0;
	if (!found || !same || row.revoked_at)
		return -ENOENT;

	out->id = row.id;
	memcpy(out->tenant, row.tenant, sizeof out->tenant);
	int64_t now = now_ms();
	if (now - row.last_used_at >= STORE_TOUCH_INTERVAL_MS) {
		/* Bookkeeping only: a failure here must not refuse a valid key. */
		s->ops->key_touch(s, row.id, now);
		s->err[0] = '\0';
	}
	return 0;
}

int store_key_list(struct store *s, const char *tenant, struct store_key **keys, size_t *n)
{
	s->err[0] = '\0';
	*keys = NULL;
	*n = 0;
	if (tenant) {
		int rc = check_tenant(s, tenant);
		if (rc)
			return rc;
	}
	return s->ops->key_list(s, tenant, keys, n);
}

int store_key_revoke(struct store *s, const char *which, int64_t *id)
{
	s->err[0] = '\0';
	if (id)
		*id = 0;
	const char *name = which ? which : "";
	if (strncmp(name, STORE_KEY_TAG, 3) == 0)
		name += 3;
	size_t n = strlen(name);
	bool tagged = name != which && which;
	bool as_prefix = n == STORE_KEY_PREFIX_LEN;
	for (size_t i = 0; as_prefix && i < n; i++)
		as_prefix = is_base62(name[i]);
	bool as_id = !tagged && all_digits(name, n) && n <= 18;
	if (!as_prefix && !as_id)
		return store__fail(s, -EINVAL,
				   "bad key name '%.80s': give a key id or its %d-character prefix",
				   which ? which : "", STORE_KEY_PREFIX_LEN);

	int64_t now = now_ms(), got = 0;
	int rc = -ENOENT;
	if (as_prefix)
		rc = s->ops->key_revoke(s, 0, name, now, &got);
	if (rc == -ENOENT && as_id) {
		int64_t v = strtoll(name, NULL, 10);
		rc = v > 0 ? s->ops->key_revoke(s, v, NULL, now, &got) : -ENOENT;
	}
	if (rc == -ENOENT)
		store__fail(s, rc, "no key '%s'", which);
	else if (rc == -EALREADY)
		store__fail(s, rc, "key '%s' was already revoked", which);
	if (id)
		*id = got;
	return rc;
}

int store_key_count(struct store *s, uint64_t *n)
{
	s->err[0] = '\0';
	*n = 0;
	return s->ops->key_count(s, n);
}

static bool exec_id_valid(const char *id)
{
	size_t n = strnlen(id, STORE_EXEC_ID_MAX + 1);
	if (n < 1 || n > STORE_EXEC_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_base62(id[i]) && id[i] != '_' && id[i] != '-')
			return false;
	return true;
}

static bool status_valid(const char *st)
{
	size_t n = strnlen(st, STORE_STATUS_MAX + 1);
	if (n < 1 || n > STORE_STATUS_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((st[i] >= 'a' && st[i] <= 'z') || st[i] == '_'))
			return false;
	return true;
}

/* The longest prefix of @p no longer than @max bytes that does not end
 * inside a UTF-8 sequence. */
static size_t utf8_cut(const char *p, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int store_batch_begin(struct store *s)
{
	s->err[0] = '\0';
	return s->ops->batch_begin ? s->ops->batch_begin(s) : 0;
}

int store_batch_commit(struct store *s)
{
	s->err[0] = '\0';
	return s->ops->batch_commit ? s->ops->batch_commit(s) : 0;
}

int store_execution_record(struct store *s, const struct store_execution *e)
{
	s->err[0] = '\0';
	if (!exec_id_valid(e->id))
		return store__fail(s, -EINVAL, "bad execution id '%.80s'", e->id);
	int rc = check_tenant(s, e->tenant);
	if (rc)
		return rc;
	if (!status_valid(e->status))
		return store__fail(s, -EINVAL, "bad status '%.40s' for execution '%s'",
				   e->status, e->id);
	if (!isfinite(e->wall_ms) || e->wall_ms < 0 || !isfinite(e->cpu_ms) || e->cpu_ms < 0 ||
	    e->peak_memory_bytes > INT64_MAX || e->started_at < 0)
		return store__fail(s, -EINVAL, "bad usage figures for execution '%s'", e->id);

	struct store_execution row = *e;
	const char *logs = e->logs ? e->logs : "";
	size_t len = strlen(logs);
	size_t keep = utf8_cut(logs, len, STORE_EXEC_LOGS_MAX);
	char *copy = NULL;
	if (keep < len) {
		copy = strndup(logs, keep);
		if (!copy)
			return store__fail(s, -ENOMEM, "cannot record execution '%s': %s", e->id,
					   strerror(ENOMEM));
		row.logs = copy;
		row.logs_truncated = true;
	} else {
		row.logs = (char *)logs;
	}
	if (!row.started_at)
		row.started_at = now_ms();
	rc = s->ops->execution_put(s, &row);
	if (rc == -ENOENT)
		store__fail(s, rc, "cannot record execution '%s': no tenant '%s'", e->id, e->tenant);
	free(copy);
	return rc;
}

int store_execution_get(struct store *s, const char *id, struct store_execution *out)
{
	op_begin(s, out, sizeof *out);
	if (!id || !exec_id_valid(id))
		return -ENOENT;
	return s->ops->execution_get(s, id, out);
}

void store_execution_release(struct store_execution *e)
{
	if (!e)
		return;
	free(e->logs);
	memset(e, 0, sizeof *e);
}

int store_executions_prune(struct store *s, uint64_t max_age_s, uint64_t max_rows,
			   uint64_t *removed)
{
	s->err[0] = '\0';
	if (removed)
		*removed = 0;
	int64_t before = 0;
	if (max_age_s) {
		int64_t now = now_ms();
		int64_t age = max_age_s > (uint64_t)(now / 1000) ? now : (int64_t)max_age_s * 1000;
		before = now - age;
	}
	if (max_rows > INT64_MAX)
		max_rows = 0;
	if (!before && !max_rows)
		return 0;
	uint64_t dummy;
	return s->ops->executions_prune(s, before, max_rows, removed ? removed : &dummy);
}

/* ---- Functions ------------------------------------------------------ */

bool store_function_name_valid(const char *name)
{
	/* The same alphabet and bounds as tenants, so far. */
	return store_tenant_name_valid(name);
}

/* Checks @tenant, then that @name, a @what, was @valid: "a @what is @rule". */
static int check_named(struct store *s, const char *tenant, bool valid, const char *what,
		       const char *name, const char *rule)
{
	int rc = check_tenant(s, tenant);
	if (rc || valid)
		return rc;
	return store__fail(s, -EINVAL, "bad %s '%.80s': a %s is %s", what, name ? name : "", what,
			   rule);
}

static int check_function(struct store *s, const char *tenant, const char *name)
{
	return check_named(s, tenant, store_function_name_valid(name), "function name", name,
			   STORE_FUNCTION_NAME_RULE);
}

/* Sets the message of a -ENOENT from an operation on function @name. */
static int no_function(struct store *s, const char *tenant, const char *name)
{
	return store__fail(s, -ENOENT, "no function '%s' for tenant '%s'", name, tenant);
}

/* The message of a -ENOENT that may mean "no function" or "no version". */
static int no_function_or_version(struct store *s, const char *tenant, const char *name,
				  int version)
{
	struct store_function f;
	int rc = s->ops->function_get(s, tenant, name, &f);
	if (rc == -ENOENT)
		return no_function(s, tenant, name);
	if (rc)
		return store__fail(s, -ENOENT, "no function '%s' or no version %d of it for tenant '%s'",
				   name, version, tenant);
	if (version == 0)
		return store__fail(s, -ENOENT, "function '%s' of tenant '%s' has no latest version",
				   name, tenant);
	return store__fail(s, -ENOENT, "no version %d of function '%s' for tenant '%s'", version,
			   name, tenant);
}

int store_function_publish(struct store *s, const char *tenant, const char *name,
			   const char *package_hash, uint64_t files, uint64_t bytes,
			   uint64_t timeout_ms, uint64_t memory_mb, struct store_version *out)
{
	out = op_begin(s, out ? out : &(struct store_version){ 0 }, sizeof *out);
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	if (!store_package_hash_valid(package_hash))
		return store__fail(s, -EINVAL,
				   "bad package hash '%.80s' for function '%s': want %d lowercase hex characters",
				   package_hash ? package_hash : "", name, STORE_PACKAGE_HASH_LEN);
	if (files > INT64_MAX || bytes > INT64_MAX || timeout_ms > INT64_MAX || memory_mb > INT64_MAX)
		return store__fail(s, -EINVAL, "bad figures for function '%s': out of range", name);
	rc = s->ops->function_publish(s, tenant, name, package_hash, files, bytes, timeout_ms,
				      memory_mb, now_ms(), out);
	if (rc == -ENOENT)
		return store__fail(s, rc, "cannot deploy function '%s': no tenant '%s'", name, tenant);
	return rc;
}

int store_function_get(struct store *s, const char *tenant, const char *name,
		       struct store_function *out)
{
	op_begin(s, out, sizeof *out);
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	rc = s->ops->function_get(s, tenant, name, out);
	return rc == -ENOENT ? no_function(s, tenant, name) : rc;
}

int store_function_list(struct store *s, const char *tenant, struct store_function **out,
			size_t *n)
{
	s->err[0] = '\0';
	*out = NULL;
	*n = 0;
	int rc = check_tenant(s, tenant);
	if (rc)
		return rc;
	return s->ops->function_list(s, tenant, out, n);
}

int store_function_versions(struct store *s, const char *tenant, const char *name,
			    struct store_version **out, size_t *n)
{
	s->err[0] = '\0';
	*out = NULL;
	*n = 0;
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	rc = s->ops->function_versions(s, tenant, name, out, n);
	return rc == -ENOENT ? no_function(s, tenant, name) : rc;
}

int store_function_version(struct store *s, const char *tenant, const char *name, int version,
			   struct store_version *out)
{
	op_begin(s, out, sizeof *out);
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	if (version < 0)
		return store__fail(s, -EINVAL, "bad version %d of function '%s'", version, name);
	rc = s->ops->function_version(s, tenant, name, version, out);
	return rc == -ENOENT ? no_function_or_version(s, tenant, name, version) : rc;
}

int store_function_set_latest(struct store *s, const char *tenant, const char *name, int version)
{
	s->err[0] = '\0';
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	if (version < 1)
		return store__fail(s, -EINVAL, "bad version %d of function '%s': versions start at 1",
				   version, name);
	rc = s->ops->function_set_latest(s, tenant, name, version);
	return rc == -ENOENT ? no_function_or_version(s, tenant, name, version) : rc;
}

int store_function_delete(struct store *s, const char *tenant, const char *name)
{
	s->err[0] = '\0';
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	rc = s->ops->function_delete(s, tenant, name);
	return rc == -ENOENT ? no_function(s, tenant, name) : rc;
}

static bool env_name_valid(const char *name)
{
	size_t n = strnlen(name, STORE_ENV_NAME_MAX + 1);
	if (n < 1 || n > STORE_ENV_NAME_MAX || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_base62(name[i]) && name[i] != '_')
			return false;
	return true;
}

int store_function_env_set(struct store *s, const char *tenant, const char *name,
			   const char *const *names, const char *const *values, size_t n)
{
	s->err[0] = '\0';
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	if (n > STORE_ENV_MAX)
		return store__fail(s, -EINVAL, "too many env variables for function '%s': %zu, at most %d",
				   name, n, STORE_ENV_MAX);
	if (n && (!names || !values))
		return store__fail(s, -EINVAL, "no env given for function '%s'", name);
	for (size_t i = 0; i < n; i++) {
		if (!names[i] || !env_name_valid(names[i]))
			return store__fail(s, -EINVAL,
					   "bad env name '%.80s' for function '%s': an env name is %s",
					   names[i] ? names[i] : "", name, STORE_ENV_NAME_RULE);
		if (!values[i])
			return store__fail(s, -EINVAL, "env '%s' of function '%s' has no value",
					   names[i], name);
		if (strnlen(values[i], STORE_ENV_VALUE_MAX + 1) > STORE_ENV_VALUE_MAX)
			return store__fail(s, -EINVAL,
					   "env '%s' of function '%s' is too long: at most %u bytes",
					   names[i], name, STORE_ENV_VALUE_MAX);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[i], names[j]))
				return store__fail(s, -EINVAL,
						   "env '%s' of function '%s' is given twice",
						   names[i], name);
	}
	rc = s->ops->function_env_set(s, tenant, name, names, values, n);
	return rc == -ENOENT ? no_function(s, tenant, name) : rc;
}

static int env_get(struct store *s, const char *tenant, const char *name, bool pairs,
		   char ***out, size_t *n)
{
	s->err[0] = '\0';
	*out = NULL;
	*n = 0;
	int rc = check_function(s, tenant, name);
	if (rc)
		return rc;
	rc = s->ops->function_env_get(s, tenant, name, pairs, out, n);
	return rc == -ENOENT ? no_function(s, tenant, name) : rc;
}

int store_function_env_names(struct store *s, const char *tenant, const char *name,
			     char ***names, size_t *n)
{
	return env_get(s, tenant, name, false, names, n);
}

int store_function_env_pairs(struct store *s, const char *tenant, const char *name,
			     char ***pairs, size_t *n)
{
	return env_get(s, tenant, name, true, pairs, n);
}

/* ---- Packages ------------------------------------------------------- */

static int check_hash(struct store *s, const char *hash)
{
	if (store_package_hash_valid(hash))
		return 0;
	return store__fail(s, -EINVAL, "bad package hash '%.80s': want %d lowercase hex characters",
			   hash ? hash : "", STORE_PACKAGE_HASH_LEN);
}

int store_package_put(struct store *s, const char *hash, const void *blob, size_t len)
{
	s->err[0] = '\0';
	int rc = check_hash(s, hash);
	if (rc)
		return rc;
	if (!blob && len)
		return store__fail(s, -EINVAL, "no bytes given for package '%s'", hash);
	return s->ops->package_put(s, hash, blob ? blob : "", len);
}

int store_package_get(struct store *s, const char *hash, void **blob, size_t *len)
{
	s->err[0] = '\0';
	*blob = NULL;
	*len = 0;
	int rc = check_hash(s, hash);
	if (rc)
		return rc;
	rc = s->ops->package_get(s, hash, blob, len);
	if (rc == -ENOENT)
		store__fail(s, rc, "no package '%s'", hash);
	return rc;
}

int store_packages_gc(struct store *s, uint64_t *removed)
{
	s->err[0] = '\0';
	uint64_t dummy;
	if (!removed)
		removed = &dummy;
	*removed = 0;
	return s->ops->packages_gc(s, now_ms() - STORE_PACKAGE_GC_GRACE_MS, removed);
}

/* ---- Sessions ------------------------------------------------------- */

/* The latest time a caller may give: far beyond any clock, and low enough
 * that adding a ttl (at most STORE_SESSION_TTL_MAX) cannot overflow. */
#define STORE_TIME_LIMIT (INT64_MAX / 4)

static bool session_id_valid(const char *id)
{
	return id && exec_id_valid(id);
}

static int check_session(struct store *s, const char *tenant, const char *id)
{
	return check_named(s, tenant, session_id_valid(id), "session id", id,
			   "1-64 characters of A-Z, a-z, 0-9, '_' and '-'");
}

static int no_session(struct store *s, const char *tenant, const char *id)
{
	return store__fail(s, -ENOENT, "no session '%s' for tenant '%s'", id, tenant);
}

void store_session_release(struct store_session *ss)
{
	if (!ss)
		return;
	free(ss->state);
	free(ss->secrets);
	memset(ss, 0, sizeof *ss);
}

int store_session_create(struct store *s, const char *tenant, const char *id, int64_t ttl_ms,
			 bool pii, unsigned max_live, struct store_session *out)
{
	out = op_begin(s, out ? out : &(struct store_session){ 0 }, sizeof *out);
	int rc = check_session(s, tenant, id);
	if (rc)
		return rc;
	if (ttl_ms < 1 || ttl_ms > STORE_SESSION_TTL_MAX)
		return store__fail(s, -EINVAL, "bad ttl %lld ms for session '%s'", (long long)ttl_ms,
				   id);
	rc = s->ops->session_create(s, tenant, id, now_ms(), ttl_ms, pii, max_live, out);
	if (rc == -EDQUOT)
		store__fail(s, rc, "tenant '%s' has %u live sessions already, the most it may have",
			    tenant, max_live);
	else if (rc == -EEXIST)
		store__fail(s, rc, "session '%s' exists already", id);
	return rc;
}

int store_session_get(struct store *s, const char *tenant, const char *id, bool with_state,
		      struct store_session *out)
{
	op_begin(s, out, sizeof *out);
	if (!store_tenant_name_valid(tenant) || !session_id_valid(id))
		return -ENOENT;
	int rc = s->ops->session_get(s, tenant, id, now_ms(), with_state, out);
	return rc == -ENOENT ? no_session(s, tenant, id) : rc;
}

int store_session_delete(struct store *s, const char *tenant, const char *id)
{
	s->err[0] = '\0';
	int rc = check_session(s, tenant, id);
	if (rc)
		return rc;
	rc = s->ops->session_delete(s, tenant, id, now_ms());
	return rc == -ENOENT ? no_session(s, tenant, id) : rc;
}

/* Cuts text @name (@p, @len) of a history row to STORE_HISTORY_TEXT_MAX,
 * setting *truncated when it does. A NULL @p with a length is refused. */
static int history_text(struct store *s, const char *exec_id, const char *name, const char *p,
			size_t *len, bool *truncated)
{
	if (!p && *len)
		return store__fail(s, -EINVAL, "no %s given for execution '%s' (length %zu)", name,
				   exec_id, *len);
	size_t keep = p ? utf8_cut(p, *len, STORE_HISTORY_TEXT_MAX) : 0;
	if (keep < *len) {
		*len = keep;
		*truncated = true;
	}
	return 0;
}

int store_session_commit(struct store *s, const struct store_session_exec *e, unsigned keep,
			 uint64_t *seq_out)
{
	s->err[0] = '\0';
	if (seq_out)
		*seq_out = 0;
	int rc = check_session(s, e->tenant, e->session_id);
	if (rc)
		return rc;
	if (!e->exec_id || !exec_id_valid(e->exec_id))
		return store__fail(s, -EINVAL, "bad execution id '%.80s'",
				   e->exec_id ? e->exec_id : "");
	if (!e->status || !status_valid(e->status))
		return store__fail(s, -EINVAL, "bad status '%.40s' for execution '%s'",
				   e->status ? e->status : "", e->exec_id);
	if (!isfinite(e->wall_ms) || e->wall_ms < 0 || !isfinite(e->cpu_ms) || e->cpu_ms < 0 ||
	    e->peak_memory_bytes > INT64_MAX || e->started_at < 0 ||
	    e->started_at > STORE_TIME_LIMIT || e->finished_at < 0 ||
	    e->finished_at > STORE_TIME_LIMIT)
		return store__fail(s, -EINVAL, "bad usage figures for execution '%s'", e->exec_id);
	if (!e->state && e->state_len)
		return store__fail(s, -EINVAL, "no state given for execution '%s' (length %zu)",
				   e->exec_id, e->state_len);

	struct store_session_exec row = *e;
	rc = history_text(s, e->exec_id, "code", row.code, &row.code_len, &row.truncated);
	if (!rc)
		rc = history_text(s, e->exec_id, "result", row.result, &row.result_len,
				  &row.truncated);
	if (!rc)
		rc = history_text(s, e->exec_id, "stdout", row.out, &row.out_len, &row.truncated);
	if (!rc)
		rc = history_text(s, e->exec_id, "stderr", row.err, &row.err_len, &row.truncated);
	if (!rc)
		rc = history_text(s, e->exec_id, "error", row.error, &row.error_len,
				  &row.truncated);
	if (rc)
		return rc;
	int64_t now = now_ms();
	if (!row.finished_at)
		row.finished_at = now;
	if (!row.started_at)
		row.started_at = now;

	uint64_t seq = 0;
	rc = s->ops->session_commit(s, &row, now, keep, &seq);
	if (rc == -ENOENT)
		no_session(s, e->tenant, e->session_id);
	else if (rc == -EEXIST)
		store__fail(s, rc, "execution '%s' is in a session's history already", e->exec_id);
	if (rc == 0 && seq_out)
		*seq_out = seq;
	return rc;
}

int store_session_history(struct store *s, const char *tenant, const char *id, unsigned limit,
			  struct store_history_row **rows, size_t *n)
{
	s->err[0] = '\0';
	*rows = NULL;
	*n = 0;
	if (!store_tenant_name_valid(tenant) || !session_id_valid(id))
		return -ENOENT;
	int rc = s->ops->session_history(s, tenant, id, now_ms(), limit, rows, n);
	return rc == -ENOENT ? no_session(s, tenant, id) : rc;
}

int store_sessions_expire(struct store *s, int64_t now)
{
	s->err[0] = '\0';
	uint64_t removed = 0;
	int rc = s->ops->sessions_expire(s, now, &removed);
	if (rc)
		return rc;
	return removed > INT_MAX ? INT_MAX : (int)removed;
}

int store_sessions_count(struct store *s, uint64_t *n)
{
	s->err[0] = '\0';
	*n = 0;
	return s->ops->sessions_count(s, now_ms(), n);
}

static bool token_kind_valid(const char *kind)
{
	size_t n = kind ? strnlen(kind, STORE_TOKEN_KIND_MAX + 1) : 0;
	if (n < 1 || n > STORE_TOKEN_KIND_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (kind[i] < 'A' || kind[i] > 'Z')
			return false;
	return true;
}

static int check_token(struct store *s, const char *session_id, const char *kind)
{
	if (!session_id_valid(session_id))
		return store__fail(s, -EINVAL, "bad session id '%.80s'",
				   session_id ? session_id : "");
	if (!token_kind_valid(kind))
		return store__fail(s, -EINVAL,
				   "bad token kind '%.40s': a kind is 1-%d characters of A-Z",
				   kind ? kind : "", STORE_TOKEN_KIND_MAX);
	return 0;
}

int store_session_token(struct store *s, const char *session_id, const char *kind,
			const char *value, size_t n, unsigned *num)
{
	s->err[0] = '\0';
	*num = 0;
	int rc = check_token(s, session_id, kind);
	if (rc)
		return rc;
	/* No message shows the value: it is the PII being hidden. */
	if (!value || n < 1 || n > STORE_TOKEN_VALUE_MAX || memchr(value, '\0', n))
		return store__fail(s, -EINVAL,
				   "bad %s token value for session '%s': want 1-%d bytes without NUL",
				   kind, session_id, STORE_TOKEN_VALUE_MAX);
	rc = s->ops->session_token(s, session_id, kind, value, n, num);
	if (rc == -ENOENT)
		store__fail(s, rc, "no session '%s'", session_id);
	return rc;
}

int store_session_token_value(struct store *s, const char *session_id, const char *kind,
			      unsigned num, char **value)
{
	s->err[0] = '\0';
	*value = NULL;
	if (!session_id_valid(session_id) || !token_kind_valid(kind) || num < 1)
		return -ENOENT;
	int rc = s->ops->session_token_value(s, session_id, kind, num, value);
	if (rc == -ENOENT)
		store__fail(s, rc, "no token %s_%u in session '%s'", kind, num, session_id);
	return rc;
}

/* ---- Tenant settings ------------------------------------------------ */

int store_tenant_settings_get(struct store *s, const char *tenant, char **json)
{
	s->err[0] = '\0';
	*json = NULL;
	int rc = check_tenant(s, tenant);
	if (rc)
		return rc;
	rc = s->ops->tenant_settings_get(s, tenant, json);
	if (rc == -ENOENT) {
		*json = strdup("{}");
		rc = *json ? 0 : store__fail(s, -ENOMEM, "cannot read the settings of tenant '%s': %s",
					     tenant, strerror(ENOMEM));
	}
	return rc;
}

int store_tenant_settings_set(struct store *s, const char *tenant, const char *json)
{
	s->err[0] = '\0';
	int rc = check_tenant(s, tenant);
	if (rc)
		return rc;
	/* Only the form is checked here; the implementation refuses what is not a
	 * JSON object (-EINVAL). */
	size_t n = json ? strnlen(json, STORE_SETTINGS_MAX + 1) : 0;
	const char *p = json;
	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (!p || *p != '{' || n > STORE_SETTINGS_MAX)
		return store__fail(s, -EINVAL,
				   "bad settings for tenant '%s': want a JSON object of at most %u bytes",
				   tenant, STORE_SETTINGS_MAX);
	rc = s->ops->tenant_settings_set(s, tenant, json, now_ms());
	if (rc == -EINVAL)
		store__fail(s, rc, "bad settings for tenant '%s': not a JSON object", tenant);
	return rc;
}
