/* test-store — the store on SQLite, and `corral keys` over it.
 *
 * Each group opens a store in a fresh temporary directory (removed at the
 * end). What is checked: opening creates the data dir 0700 and the database
 * 0600 in WAL mode; migrations applied again are a no-op; a database from a
 * newer corral is refused; tenants and their name rule; a key is "ck_" + 32
 * base62, found by itself and by nothing else, not found once revoked, and
 * never present (nor its hash) in a listing; execution record, get and
 * prune; two handles, and two processes, on one database at once; the
 * location schemes; the `corral keys` command line end to end; functions
 * (publish, versions, the latest alias and rollback, list, delete with its
 * cascade, tenant isolation, publish inside a batch); env (replace, names,
 * pairs, every refusal); package blobs (round trip, modes, idempotent put,
 * bad hashes, gc with its grace period); and migration 002 applied to a
 * database that only 001 made.
 *
 * The test reads the database directly with SQLite where it must look
 * behind the interface (journal mode, schema_migrations, a forged newer
 * version, an old schema, cascades), and backdates blob files to stand for
 * time passing; corral itself never does outside src/store/. */
#include "supervisor/store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "supervisor/keys.h"
#include "tap.h"
#include "store_test_util.h"

static char root[160];  /* this run's temporary directory */
static int dir_seq;

/* A new, not yet existing directory path under root. */
static const char *new_dir(char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/d%d/data", root, ++dir_seq);
	return buf;
}

static bool key_shaped(const char *k)
{
	if (strlen(k) != STORE_KEY_LEN || strncmp(k, "ck_", 3) != 0)
		return false;
	for (size_t i = 3; i < STORE_KEY_LEN; i++) {
		char c = k[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

static void test_open(void)
{
	char dir[256];
	new_dir(dir, sizeof dir);
	struct store *s = open_ok(dir);
	ok(s != NULL, "open creates a store in a missing nested dir");
	if (!s)
		return;
	struct stat sb;
	ok(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
	   "data dir is created with mode 0700");
	char path[512];
	snprintf(path, sizeof path, "%s/corral.db", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "corral.db is mode 0600");

	int v = -1;
	int rc = store_schema_version(s, &v);
	ok(rc == 0 && v == store_schema_latest() && v >= 1, "schema is at the newest version (%d)", v);
	ok(store_migrations_count >= 1 && store_migrations[0].version == 1,
	   "migrations are embedded, numbered from 1");

	char got[64];
	peek(dir, "PRAGMA journal_mode", got, sizeof got);
	is_str(got, "wal", "journal mode is WAL");
	ok(!strcmp(s->ops->name, "sqlite"), "a directory path selects SQLite");
	store_close(s);
	store_close(NULL);
	ok(1, "store_close(NULL) is a no-op");
}

static void test_migrations_idempotent(void)
{
	char dir[256], got[64], want[64];
	new_dir(dir, sizeof dir);
	struct store *s = open_ok(dir);
	if (!s) {
		ok(0, "open");
		return;
	}
	store_tenant_ensure(s, "acme");
	store_close(s);

	peek(dir, "SELECT group_concat(applied_at) FROM schema_migrations", want, sizeof want);
	s = open_ok(dir);
	ok(s != NULL, "reopen succeeds");
	store_close(s);
	s = open_ok(dir);
	ok(s != NULL, "a third open succeeds");

	peek(dir, "SELECT count(*) FROM schema_migrations", got, sizeof got);
	char n[16];
	snprintf(n, sizeof n, "%zu", store_migrations_count);
	is_str(got, n, "each migration is recorded once after three opens");
	peek(dir, "SELECT group_concat(applied_at) FROM schema_migrations", got, sizeof got);
	is_str(got, want, "reopening applied nothing again");
	peek(dir, "SELECT count(*) FROM tenants WHERE name = 'acme'", got, sizeof got);
	is_str(got, "1", "data survives reopening");
	store_close(s);
}

static void test_newer_schema_refused(void)
{
	char dir[256], sql[128];
	new_dir(dir, sizeof dir);
	struct store *s = open_ok(dir);
	store_close(s);
	snprintf(sql, sizeof sql,
		 "INSERT INTO schema_migrations(version, name, applied_at) VALUES (%d, 'future', 0)",
		 store_schema_latest() + 1);
	ok(peek(dir, sql, NULL, 0) == SQLITE_OK, "forged a newer schema version");

	char err[STORE_ERR_LEN] = "";
	s = NULL;
	int rc = store_open(dir, &s, err);
	is_int(rc, -EPROTO, "a database newer than the binary is refused");
	ok(s == NULL, "no store is returned");
	ok(strstr(err, "newer") && strstr(err, "corral.db"), "the message says why and names the file");
	diag("%s", err);
}

static void test_locations(void)
{
	char err[STORE_ERR_LEN];
	struct store *s = (struct store *)1;
	int rc = store_open("postgres://u@localhost/corral", &s, err);
	is_int(rc, -ENOTSUP, "postgres:// is not supported yet");
	ok(s == NULL && strstr(err, "PostgreSQL"), "with a message that says so");
	rc = store_open("postgresql://localhost/corral", &s, err);
	is_int(rc, -ENOTSUP, "postgresql:// too");
	rc = store_open("mysql://localhost/x", &s, err);
	is_int(rc, -EINVAL, "an unknown scheme is refused");
	rc = store_open("", &s, err);
	is_int(rc, -EINVAL, "an empty location is refused");
	rc = store_open("sqlite:", &s, err);
	is_int(rc, -EINVAL, "sqlite: without a directory is refused");

	char dir[256], url[300];
	new_dir(dir, sizeof dir);
	snprintf(url, sizeof url, "sqlite:%s", dir);
	s = open_ok(url);
	ok(s != NULL && !strcmp(s->ops->name, "sqlite"), "sqlite:DIR opens SQLite");
	store_close(s);
	char path[512];
	snprintf(path, sizeof path, "%s/corral.db", dir);
	ok(access(path, F_OK) == 0, "sqlite:DIR puts the database at DIR/corral.db");

	/* A file where the data dir should be. */
	char file[256];
	snprintf(file, sizeof file, "%s/plainfile", root);
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	rc = store_open(file, &s, err);
	is_int(rc, -ENOTDIR, "a file as the data dir is refused");
	ok(strstr(err, file) != NULL, "naming the path: %s", err);

	setenv("CORRAL_DATA_DIR", "/srv/corral", 1);
	is_str(store_default_location(), "/srv/corral", "CORRAL_DATA_DIR is the default location");
	setenv("CORRAL_DATA_DIR", "", 1);
	is_str(store_default_location(), "./data", "an empty CORRAL_DATA_DIR means ./data");
	unsetenv("CORRAL_DATA_DIR");
	is_str(store_default_location(), "./data", "without CORRAL_DATA_DIR, ./data");
}

static void test_tenants(struct store *s)
{
	is_int(store_tenant_ensure(s, "acme"), 0, "tenant acme is created");
	is_int(store_tenant_ensure(s, "acme"), 0, "ensuring it again is fine");
	char longest[STORE_TENANT_MAX + 2];
	memset(longest, 'a', STORE_TENANT_MAX);
	longest[STORE_TENANT_MAX] = '\0';
	is_int(store_tenant_ensure(s, longest), 0, "a 64-character name is accepted");
	longest[STORE_TENANT_MAX] = 'a';
	longest[STORE_TENANT_MAX + 1] = '\0';
	is_int(store_tenant_ensure(s, longest), -EINVAL, "a 65-character name is refused");
	ok(strstr(store_last_error(s), STORE_TENANT_RULE) != NULL, "the message states the rule");
	static const char *bad[] = { "", "Acme", "a b", "a/b", "a.b", "ü", "a\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(store_tenant_ensure(s, bad[i]), -EINVAL, "bad tenant name #%zu refused", i);
	ok(store_tenant_name_valid("team_1-x") && !store_tenant_name_valid(NULL),
	   "[a-z0-9_-] is the alphabet; NULL is not a name");
}

static void test_keys(struct store *s)
{
	char key[STORE_KEY_LEN + 1], key2[STORE_KEY_LEN + 1];
	int64_t id = 0, id2 = 0;
	uint64_t n = 99;

	is_int(store_key_count(s, &n), 0, "count works on an empty table");
	is_int(n, 0, "no keys yet");
	is_int(store_key_create(s, "nobody", key, &id), -ENOENT, "a key for a missing tenant: ENOENT");
	is_int(store_key_create(s, "Bad Name", key, &id), -EINVAL, "a key for a bad tenant name: EINVAL");

	is_int(store_key_create(s, "acme", key, &id), 0, "a key is created");
	ok(key_shaped(key), "it is ck_ + 32 base62 characters (%.11s...)", key);
	ok(id > 0, "it has an id");
	store_tenant_ensure(s, "globex");
	is_int(store_key_create(s, "globex", key2, &id2), 0, "a second key, other tenant");
	ok(strcmp(key, key2) != 0 && id2 != id, "keys and ids differ");
	store_key_count(s, &n);
	is_int(n, 2, "two active keys");

	/* Lookup: the key finds its tenant; nothing else does. */
	struct store_key_match m;
	is_int(store_key_lookup(s, key, &m), 0, "lookup by the key works");
	ok(m.id == id && !strcmp(m.tenant, "acme"), "and gives its id and tenant");
	is_int(store_key_lookup(s, key2, &m), 0, "the second key works");
	is_str(m.tenant, "globex", "for its own tenant");

	char wrong[STORE_KEY_LEN + 1];
	memcpy(wrong, key, sizeof wrong);
	wrong[STORE_KEY_LEN - 1] = wrong[STORE_KEY_LEN - 1] == 'a' ? 'b' : 'a';
	is_int(store_key_lookup(s, wrong, &m), -ENOENT, "the right prefix with a wrong secret fails");
	ok(m.id == 0 && m.tenant[0] == '\0', "and fills nothing in");
	memcpy(wrong, key, sizeof wrong);
	wrong[3] = wrong[3] == 'a' ? 'b' : 'a';
	is_int(store_key_lookup(s, wrong, &m), -ENOENT, "an unknown prefix fails");
	char longer[STORE_KEY_LEN + 2];
	snprintf(longer, sizeof longer, "%sx", key);
	is_int(store_key_lookup(s, longer, &m), -ENOENT, "the key plus a character fails");
	is_int(store_key_lookup(s, "", &m), -ENOENT, "an empty key fails");
	is_int(store_key_lookup(s, "ck_", &m), -ENOENT, "a bare tag fails");
	char untagged[STORE_KEY_LEN + 1];
	memcpy(untagged, key, sizeof untagged);
	untagged[0] = 'x';
	is_int(store_key_lookup(s, untagged, &m), -ENOENT, "the secret under another tag fails");

	/* Listing: prefix and times, never the key nor its hash. */
	struct store_key *keys = NULL;
	size_t nk = 0;
	is_int(store_key_list(s, NULL, &keys, &nk), 0, "list works");
	is_int(nk, 2, "it lists both keys");
	if (nk == 2) {
		ok(keys[0].id == id && !strcmp(keys[0].tenant, "acme"), "oldest first, with its tenant");
		ok(!strncmp(keys[0].prefix, key + 3, STORE_KEY_PREFIX_LEN) &&
			   strlen(keys[0].prefix) == STORE_KEY_PREFIX_LEN,
		   "the prefix is the 8 characters after ck_");
		ok(keys[0].created_at > 0 && keys[0].created_at <= now_ms(), "created_at is set");
		ok(keys[0].last_used_at > 0, "last_used_at is set by the lookup");
		is_int(keys[0].revoked_at, 0, "not revoked");
		uint8_t hash[32];
		unsigned int hl = 0;
		EVP_Digest(key, STORE_KEY_LEN, hash, &hl, EVP_sha256(), NULL);
		size_t bytes = nk * sizeof *keys;
		ok(!memmem(keys, bytes, key + 3 + STORE_KEY_PREFIX_LEN, 8) &&
			   !memmem(keys, bytes, key, STORE_KEY_LEN) && !memmem(keys, bytes, hash, 8),
		   "the listing holds neither the secret part nor the hash");
	}
	free(keys);
	is_int(store_key_list(s, "globex", &keys, &nk), 0, "list by tenant works");
	ok(nk == 1 && keys[0].id == id2, "and lists only that tenant's key");
	free(keys);
	is_int(store_key_list(s, "nobody", &keys, &nk), 0, "an unknown tenant lists nothing");
	ok(nk == 0 && keys == NULL, "an empty list is NULL, 0");

	/* Revocation. */
	char prefix[STORE_KEY_PREFIX_LEN + 1];
	memcpy(prefix, key + 3, STORE_KEY_PREFIX_LEN);
	prefix[STORE_KEY_PREFIX_LEN] = '\0';
	int64_t rid = 0;
	is_int(store_key_revoke(s, prefix, &rid), 0, "revoke by prefix");
	is_int(rid, id, "it names the revoked key's id");
	is_int(store_key_lookup(s, key, &m), -ENOENT, "a revoked key is not found");
	store_key_count(s, &n);
	is_int(n, 1, "one active key left");
	is_int(store_key_revoke(s, prefix, &rid), -EALREADY, "revoking it again: EALREADY");
	is_int(rid, id, "still naming it");
	store_key_list(s, "acme", &keys, &nk);
	ok(nk == 1 && keys[0].revoked_at > 0, "the listing shows when it was revoked");
	free(keys);

	char idstr[32];
	snprintf(idstr, sizeof idstr, "%lld", (long long)id2);
	is_int(store_key_revoke(s, idstr, &rid), 0, "revoke by id");
	is_int(store_key_lookup(s, key2, &m), -ENOENT, "that key is not found either");
	store_key_count(s, &n);
	is_int(n, 0, "no active keys: dev mode is possible");

	char key3[STORE_KEY_LEN + 1], tagged[16];
	store_key_create(s, "acme", key3, NULL);
	snprintf(tagged, sizeof tagged, "ck_%.8s", key3 + 3);
	is_int(store_key_revoke(s, tagged, NULL), 0, "revoke by ck_ and the prefix, as listed");
	is_int(store_key_revoke(s, "99999", NULL), -ENOENT, "revoking an unknown id: ENOENT");
	is_int(store_key_revoke(s, "ZZZZZZZZ", NULL), -ENOENT, "revoking an unknown prefix: ENOENT");
	is_int(store_key_revoke(s, "bad!", NULL), -EINVAL, "a name that is neither: EINVAL");
	is_int(store_key_revoke(s, "ck_123", NULL), -EINVAL, "ck_ and a short prefix: EINVAL");

	/* Many keys: all well formed and distinct. */
	bool shaped = true, distinct = true;
	char seen[64][STORE_KEY_LEN + 1];
	for (int i = 0; i < 64; i++) {
		if (store_key_create(s, "acme", seen[i], NULL) || !key_shaped(seen[i]))
			shaped = false;
		for (int j = 0; j < i; j++)
			if (!strcmp(seen[i], seen[j]))
				distinct = false;
	}
	ok(shaped && distinct, "64 more keys are well formed and distinct");
}

static void test_key_storage(const char *dir, struct store *s)
{
	char key[STORE_KEY_LEN + 1], got[128], sql[200], want[65];
	int64_t id;
	store_key_create(s, "acme", key, &id);
	uint8_t hash[32];
	unsigned int hl = 0;
	EVP_Digest(key, STORE_KEY_LEN, hash, &hl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(want + 2 * i, "%02X", hash[i]);
	snprintf(sql, sizeof sql, "SELECT hex(hash) FROM api_keys WHERE id = %lld", (long long)id);
	peek(dir, sql, got, sizeof got);
	is_str(got, want, "the database holds the key's SHA-256");
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM api_keys WHERE instr(CAST(hash AS TEXT), '%s') "
		 "OR instr(prefix, '%s')", key + 11, key + 11);
	peek(dir, sql, got, sizeof got);
	is_str(got, "0", "and not the key itself");
}

static void test_executions(struct store *s)
{
	int64_t now = now_ms();
	struct store_execution e = { 0 };
	snprintf(e.id, sizeof e.id, "x_first");
	snprintf(e.tenant, sizeof e.tenant, "acme");
	snprintf(e.status, sizeof e.status, "ok");
	e.started_at = now;
	e.wall_ms = 1.25;
	e.cpu_ms = 0.5;
	e.peak_memory_bytes = 1843200;
	e.logs = "hi\n";
	is_int(store_execution_record(s, &e), 0, "an execution is recorded");

	struct store_execution g;
	is_int(store_execution_get(s, "x_first", &g), 0, "and read back");
	ok(!strcmp(g.id, "x_first") && !strcmp(g.tenant, "acme") && !strcmp(g.status, "ok") &&
		   g.started_at == now && g.wall_ms == 1.25 && g.cpu_ms == 0.5 &&
		   g.peak_memory_bytes == 1843200 && !g.logs_truncated,
	   "with every field as recorded");
	is_str(g.logs, "hi\n", "and its logs");
	store_execution_release(&g);
	ok(g.logs == NULL, "release clears it");

	snprintf(e.status, sizeof e.status, "timeout");
	e.logs = NULL;
	is_int(store_execution_record(s, &e), 0, "recording the same id again replaces it");
	store_execution_get(s, "x_first", &g);
	ok(!strcmp(g.status, "timeout") && g.logs && g.logs[0] == '\0', "NULL logs are stored as \"\"");
	store_execution_release(&g);

	is_int(store_execution_get(s, "x_none", &g), -ENOENT, "an unknown id: ENOENT");
	is_int(store_execution_get(s, "bad id!", &g), -ENOENT, "a malformed id: ENOENT");

	struct store_execution bad = e;
	snprintf(bad.tenant, sizeof bad.tenant, "nobody");
	is_int(store_execution_record(s, &bad), -ENOENT, "an unknown tenant: ENOENT");
	bad = e;
	snprintf(bad.id, sizeof bad.id, "no spaces");
	is_int(store_execution_record(s, &bad), -EINVAL, "a bad id: EINVAL");
	bad = e;
	snprintf(bad.status, sizeof bad.status, "OK!");
	is_int(store_execution_record(s, &bad), -EINVAL, "a bad status: EINVAL");
	bad = e;
	bad.wall_ms = -1;
	is_int(store_execution_record(s, &bad), -EINVAL, "a negative duration: EINVAL");

	/* Logs over the bound are cut at a character boundary. */
	size_t big = STORE_EXEC_LOGS_MAX + 100;
	char *logs = malloc(big + 1);
	memset(logs, 'a', big);
	/* A 3-byte character straddling the cut. */
	memcpy(logs + STORE_EXEC_LOGS_MAX - 1, "\xe2\x82\xac", 3);
	logs[big] = '\0';
	e.logs = logs;
	snprintf(e.id, sizeof e.id, "x_big");
	is_int(store_execution_record(s, &e), 0, "long logs are recorded");
	store_execution_get(s, "x_big", &g);
	ok(g.logs && strlen(g.logs) == STORE_EXEC_LOGS_MAX - 1 && g.logs_truncated,
	   "cut before the character that straddles the bound, and flagged");
	store_execution_release(&g);
	free(logs);
	e.logs = "x";

	/* Pruning: by age, then by count. */
	for (int i = 0; i < 6; i++) {
		snprintf(e.id, sizeof e.id, "x_old%d", i);
		e.started_at = now - 3600 * 1000 - i;
		store_execution_record(s, &e);
	}
	for (int i = 0; i < 5; i++) {
		snprintf(e.id, sizeof e.id, "x_new%d", i);
		e.started_at = now - 10 * 1000 + i;
		store_execution_record(s, &e);
	}
	uint64_t removed = 0;
	is_int(store_executions_prune(s, 600, 0, &removed), 0, "prune by age");
	is_int(removed, 6, "removes the six older than ten minutes");
	ok(store_execution_get(s, "x_old0", &g) == -ENOENT, "an old one is gone");
	ok(store_execution_get(s, "x_new0", &g) == 0, "a new one stays");
	store_execution_release(&g);

	/* Left: x_first, x_big (now) and x_new0..4 (ten seconds ago). */
	is_int(store_executions_prune(s, 0, 3, &removed), 0, "prune by count");
	is_int(removed, 4, "keeps the three most recent");
	ok(store_execution_get(s, "x_first", &g) == 0, "the newest stays");
	store_execution_release(&g);
	int kept = store_execution_get(s, "x_new4", &g);
	store_execution_release(&g);
	ok(kept == 0 && store_execution_get(s, "x_new3", &g) == -ENOENT, "the cut is by start time");
	is_int(store_executions_prune(s, 0, 0, &removed), 0, "prune with no rule");
	is_int(removed, 0, "removes nothing");
}

/* Two handles in one process, as `corral keys` beside `corral serve`. */
static void test_two_handles(void)
{
	char dir[256];
	new_dir(dir, sizeof dir);
	struct store *a = open_ok(dir), *b = open_ok(dir);
	ok(a && b, "two handles open one database");
	if (!a || !b) {
		store_close(a);
		store_close(b);
		return;
	}
	char key[STORE_KEY_LEN + 1];
	store_tenant_ensure(a, "acme");
	is_int(store_key_create(a, "acme", key, NULL), 0, "handle A creates a key");
	struct store_key_match m;
	is_int(store_key_lookup(b, key, &m), 0, "handle B finds it at once");

	struct store_execution e = { .tenant = "acme", .status = "ok", .logs = "" };
	snprintf(e.id, sizeof e.id, "x_b");
	is_int(store_execution_record(b, &e), 0, "B writes");
	struct store_execution g;
	is_int(store_execution_get(a, "x_b", &g), 0, "A reads what B wrote");
	store_execution_release(&g);
	is_int(store_key_revoke(b, "", NULL), -EINVAL, "an empty revoke name: EINVAL");
	char prefix[9];
	memcpy(prefix, key + 3, 8);
	prefix[8] = '\0';
	is_int(store_key_revoke(b, prefix, NULL), 0, "B revokes the key");
	is_int(store_key_lookup(a, key, &m), -ENOENT, "A no longer finds it");
	store_close(a);
	store_close(b);
}

/* Two processes writing at once: WAL plus busy_timeout, no lost writes. */
static void test_two_processes(void)
{
	char dir[256];
	new_dir(dir, sizeof dir);
	enum { PER = 40 };
	fflush(stdout);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			/* Both open a fresh database: migrations race too. */
			char err[STORE_ERR_LEN];
			struct store *s = NULL;
			if (store_open(dir, &s, err)) {
				printf("# child %d: %s\n", k, err);
				fflush(stdout);
				_exit(10);
			}
			if (store_tenant_ensure(s, "acme"))
				_exit(11);
			for (int i = 0; i < PER; i++) {
				char key[STORE_KEY_LEN + 1];
				struct store_key_match m;
				if (store_key_create(s, "acme", key, NULL))
					_exit(12);
				if (store_key_lookup(s, key, &m))
					_exit(13);
			}
			store_close(s);
			_exit(0);
		}
	}
	int bad = 0;
	for (int k = 0; k < 2; k++) {
		int st = 0;
		waitpid(kids[k], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			diag("child %d: status 0x%x", k, st);
			bad++;
		}
	}
	ok(bad == 0, "two processes open a fresh database and write keys at once");
	struct store *s = open_ok(dir);
	uint64_t n = 0;
	if (s)
		store_key_count(s, &n);
	is_int(n, 2 * PER, "no write was lost");
	char got[32], want[32];
	peek(dir, "SELECT count(*) FROM schema_migrations", got, sizeof got);
	snprintf(want, sizeof want, "%zu", store_migrations_count);
	is_str(got, want, "each migration was applied once");
	store_close(s);
}

/* Runs `corral keys ARGS...` in a child, stdout and stderr to files. */
static int run_keys(char *out, size_t out_cap, char *err, size_t err_cap, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;
	va_start(ap, err_cap);
	argv[argc++] = "keys";
	for (char *a; argc < 15 && (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	char po[300], pe[300];
	snprintf(po, sizeof po, "%s/cli.out", root);
	snprintf(pe, sizeof pe, "%s/cli.err", root);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		dup2(fo, 1);
		dup2(fe, 2);
		int code = keys_main(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(code);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	FILE *f = fopen(po, "re");
	size_t n = f ? fread(out, 1, out_cap - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	f = fopen(pe, "re");
	n = f ? fread(err, 1, err_cap - 1, f) : 0;
	err[n] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_cli(void)
{
	char dir[256], out[8192], err[4096];
	new_dir(dir, sizeof dir);

	int code = run_keys(out, sizeof out, err, sizeof err, "create", "--tenant", "acme",
			    "--data-dir", dir, NULL);
	is_int(code, 0, "keys create exits 0");
	char key[STORE_KEY_LEN + 1] = "";
	if (strlen(out) == STORE_KEY_LEN + 1 && out[STORE_KEY_LEN] == '\n')
		memcpy(key, out, STORE_KEY_LEN);
	ok(key_shaped(key), "stdout is the key and a newline, nothing else");
	ok(strstr(err, "only time") && strstr(err, "acme"), "stderr says it will not be shown again");

	struct store *s = open_ok(dir);
	struct store_key_match m = { 0 };
	ok(s && store_key_lookup(s, key, &m) == 0 && !strcmp(m.tenant, "acme"),
	   "the printed key authenticates as tenant acme");
	store_close(s);

	code = run_keys(out, sizeof out, err, sizeof err, "list", "--data-dir", dir, NULL);
	is_int(code, 0, "keys list exits 0");
	char tagged[16];
	snprintf(tagged, sizeof tagged, "ck_%.8s", key + 3);
	ok(strstr(out, "PREFIX") && strstr(out, "LAST USED") && strstr(out, tagged) &&
		   strstr(out, "acme"),
	   "the table shows the header, the tenant and the prefix");
	ok(!strstr(out, key) && !strstr(out, key + 11) && !strstr(err, key + 11),
	   "and never the key");

	setenv("CORRAL_DATA_DIR", dir, 1);
	code = run_keys(out, sizeof out, err, sizeof err, "list", NULL);
	unsetenv("CORRAL_DATA_DIR");
	ok(code == 0 && strstr(out, tagged), "CORRAL_DATA_DIR is used without --data-dir");

	code = run_keys(out, sizeof out, err, sizeof err, "create", "--tenant", "Bad!",
			"--data-dir", dir, NULL);
	is_int(code, 2, "a bad tenant name is a usage error (exit 2)");
	ok(strstr(err, "Bad!") && strstr(err, STORE_TENANT_RULE), "naming the name and the rule");
	code = run_keys(out, sizeof out, err, sizeof err, "create", "--data-dir", dir, NULL);
	is_int(code, 2, "create without --tenant: exit 2");
	code = run_keys(out, sizeof out, err, sizeof err, "frobnicate", NULL);
	is_int(code, 2, "an unknown command: exit 2");
	code = run_keys(out, sizeof out, err, sizeof err, "revoke", "--data-dir", dir, NULL);
	is_int(code, 2, "revoke without a name: exit 2");
	code = run_keys(out, sizeof out, err, sizeof err, "list", "--bogus", NULL);
	ok(code == 2 && strstr(err, "--bogus"), "an unknown option: exit 2, named");
	code = run_keys(out, sizeof out, err, sizeof err, "--help", NULL);
	ok(code == 0 && strstr(out, "usage: corral keys"), "--help prints the usage");

	/* Options after the operand work too. */
	code = run_keys(out, sizeof out, err, sizeof err, "revoke", tagged, "--data-dir", dir, NULL);
	is_int(code, 0, "keys revoke PREFIX --data-dir DIR exits 0");
	s = open_ok(dir);
	ok(s && store_key_lookup(s, key, &m) == -ENOENT, "the key no longer authenticates");
	store_close(s);
	code = run_keys(out, sizeof out, err, sizeof err, "revoke", "--data-dir", dir, "1", NULL);
	ok(code == 0 && strstr(err, "already"), "revoking it again says so and exits 0");
	code = run_keys(out, sizeof out, err, sizeof err, "revoke", "--data-dir", dir, "42", NULL);
	ok(code == 1 && strstr(err, "42"), "an unknown key: exit 1, named");

	char blocker[300];
	snprintf(blocker, sizeof blocker, "%s/blocker", root);
	close(open(blocker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	code = run_keys(out, sizeof out, err, sizeof err, "list", "--data-dir", blocker, NULL);
	ok(code == 1 && strstr(err, "cannot") && strstr(err, blocker),
	   "an unusable data dir: exit 1, naming it");
	code = run_keys(out, sizeof out, err, sizeof err, "list", "--data-dir",
			"postgres://localhost/x", NULL);
	ok(code == 1 && strstr(err, "PostgreSQL"), "a postgres:// store says it is not there yet");
}

/* ---- Functions, env, packages (002_functions) ------------------------ */

/* A valid package hash: the SHA-256 of @seed in lowercase hex. */
static const char *hash_of(char out[STORE_PACKAGE_HASH_LEN + 1], const char *seed)
{
	uint8_t h[32];
	unsigned int hl = 0;
	EVP_Digest(seed, strlen(seed), h, &hl, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
	return out;
}

/* Sets a file's times to @age_s seconds ago, as if it had been put then. */
static int backdate(const char *path, int64_t age_s)
{
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[1] = ts[0];
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static void test_functions(struct store *s)
{
	char h1[65], h2[65], h3[65];
	hash_of(h1, "one");
	hash_of(h2, "two");
	hash_of(h3, "three");
	struct store_version v;
	struct store_function f;

	ok(store_function_name_valid("hello") && store_function_name_valid("a_b-9") &&
		   !store_function_name_valid("Hello") && !store_function_name_valid("") &&
		   !store_function_name_valid("a/b") && !store_function_name_valid(NULL),
	   "function names follow the tenant rule");
	char longest[STORE_FUNCTION_NAME_MAX + 2];
	memset(longest, 'f', sizeof longest - 1);
	longest[STORE_FUNCTION_NAME_MAX] = '\0';
	ok(store_function_name_valid(longest), "a 64-character function name is fine");
	longest[STORE_FUNCTION_NAME_MAX] = 'f';
	longest[STORE_FUNCTION_NAME_MAX + 1] = '\0';
	is_int(store_function_publish(s, "acme", longest, h1, 1, 1, 0, 0, &v), -EINVAL,
	       "a 65-character function name is refused");
	ok(strstr(store_last_error(s), STORE_FUNCTION_NAME_RULE) != NULL, "stating the rule");

	is_int(store_function_publish(s, "nobody", "hello", h1, 1, 10, 0, 0, &v), -ENOENT,
	       "publishing for a missing tenant: ENOENT");
	ok(strstr(store_last_error(s), "nobody") != NULL, "naming the tenant: %s", store_last_error(s));
	is_int(store_function_publish(s, "acme", "Hello", h1, 1, 10, 0, 0, &v), -EINVAL,
	       "a bad function name: EINVAL");
	char upper[65];
	snprintf(upper, sizeof upper, "%s", h1);
	upper[0] = 'A';
	upper[1] = 'B';
	is_int(store_function_publish(s, "acme", "hello", upper, 1, 10, 0, 0, &v), -EINVAL,
	       "an uppercase package hash: EINVAL");
	is_int(store_function_publish(s, "acme", "hello", h1, 1, (uint64_t)INT64_MAX + 1, 0, 0, &v),
	       -EINVAL, "a size past INT64_MAX: EINVAL");
	is_int(store_function_get(s, "acme", "hello", &f), -ENOENT,
	       "a refused publish left no function behind");

	int64_t before = now_ms();
	is_int(store_function_publish(s, "acme", "hello", h1, 3, 120, 0, 0, &v), 0, "publish creates");
	ok(v.version == 1 && !strcmp(v.package_hash, h1) && v.files == 3 && v.bytes == 120 &&
		   v.created_at >= before && v.created_at <= now_ms(),
	   "version 1, with its package, sizes and time");
	is_int(store_function_get(s, "acme", "hello", &f), 0, "get finds it");
	ok(f.id > 0 && !strcmp(f.tenant, "acme") && !strcmp(f.name, "hello") &&
		   f.latest_version == 1 && f.timeout_ms == 0 && f.memory_mb == 0 &&
		   f.created_at == v.created_at,
	   "latest 1, service defaults (0)");
	int64_t id = f.id;

	is_int(store_function_publish(s, "acme", "hello", h1, 3, 120, 5000, 0, &v), 0,
	       "the same package again");
	ok(v.version == 2 && !strcmp(v.package_hash, h1), "is version 2 with the same hash");
	store_function_get(s, "acme", "hello", &f);
	ok(f.id == id && f.latest_version == 2 && f.timeout_ms == 5000 && f.memory_mb == 0,
	   "latest is 2; the timeout default is set, memory kept");
	is_int(store_function_publish(s, "acme", "hello", h2, 4, 200, 0, 128, &v), 0,
	       "a new package");
	is_int(v.version, 3, "is version 3");
	store_function_get(s, "acme", "hello", &f);
	ok(f.latest_version == 3 && f.timeout_ms == 5000 && f.memory_mb == 128,
	   "0 keeps the timeout; memory is set");

	struct store_version *vs = NULL;
	size_t n = 0;
	is_int(store_function_versions(s, "acme", "hello", &vs, &n), 0, "versions");
	ok(n == 3 && vs[0].version == 3 && vs[1].version == 2 && vs[2].version == 1,
	   "three, newest first");
	ok(n == 3 && !strcmp(vs[0].package_hash, h2) && !strcmp(vs[1].package_hash, h1) &&
		   !strcmp(vs[2].package_hash, h1) && vs[0].files == 4 && vs[0].bytes == 200,
	   "with their packages and sizes");
	free(vs);
	is_int(store_function_versions(s, "acme", "nope", &vs, &n), -ENOENT,
	       "versions of a missing function: ENOENT");
	ok(vs == NULL && n == 0, "and an empty result");

	is_int(store_function_version(s, "acme", "hello", 0, &v), 0, "version 0");
	ok(v.version == 3 && !strcmp(v.package_hash, h2), "is the latest");
	is_int(store_function_version(s, "acme", "hello", 1, &v), 0, "version 1 by number");
	ok(v.version == 1 && !strcmp(v.package_hash, h1), "is version 1");
	is_int(store_function_version(s, "acme", "hello", 4, &v), -ENOENT, "version 4: ENOENT");
	ok(strstr(store_last_error(s), "no version 4"), "saying so: %s", store_last_error(s));
	is_int(store_function_version(s, "acme", "nope", 0, &v), -ENOENT,
	       "a missing function's version: ENOENT");
	ok(strstr(store_last_error(s), "no function 'nope'"), "saying so: %s", store_last_error(s));
	is_int(store_function_version(s, "acme", "hello", -1, &v), -EINVAL, "version -1: EINVAL");

	/* Rollback, and a deploy after it. */
	is_int(store_function_set_latest(s, "acme", "hello", 1), 0, "set latest back to 1");
	store_function_version(s, "acme", "hello", 0, &v);
	ok(v.version == 1 && !strcmp(v.package_hash, h1), "version 0 is now version 1");
	store_function_get(s, "acme", "hello", &f);
	is_int(f.latest_version, 1, "and get says so");
	is_int(store_function_set_latest(s, "acme", "hello", 1), 0, "setting it again is fine");
	is_int(store_function_set_latest(s, "acme", "hello", 9), -ENOENT, "to a missing version: ENOENT");
	ok(strstr(store_last_error(s), "no version 9"), "saying so");
	is_int(store_function_set_latest(s, "acme", "nope", 1), -ENOENT, "of a missing function: ENOENT");
	is_int(store_function_set_latest(s, "acme", "hello", 0), -EINVAL, "to version 0: EINVAL");
	store_function_get(s, "acme", "hello", &f);
	is_int(f.latest_version, 1, "failed calls left latest alone");
	is_int(store_function_publish(s, "acme", "hello", h3, 1, 1, 0, 0, &v), 0, "deploy after a rollback");
	is_int(v.version, 4, "appends after the highest version, not after latest");
	store_function_get(s, "acme", "hello", &f);
	is_int(f.latest_version, 4, "and is the latest");

	/* Listing. */
	store_function_publish(s, "acme", "zeta", h1, 1, 1, 0, 0, NULL);
	store_function_publish(s, "acme", "alpha", h1, 1, 1, 0, 0, NULL);
	struct store_function *fs = NULL;
	is_int(store_function_list(s, "acme", &fs, &n), 0, "list");
	ok(n == 3 && !strcmp(fs[0].name, "alpha") && !strcmp(fs[1].name, "hello") &&
		   !strcmp(fs[2].name, "zeta"),
	   "sorted by name");
	ok(n == 3 && fs[1].latest_version == 4 && fs[1].id == id && fs[0].latest_version == 1,
	   "with each function's fields");
	free(fs);
	is_int(store_function_list(s, "nobody", &fs, &n), 0, "listing an unknown tenant");
	ok(fs == NULL && n == 0, "lists nothing");
	is_int(store_function_list(s, "Bad!", &fs, &n), -EINVAL, "a bad tenant name: EINVAL");
	is_int(store_function_get(s, "acme", "nope", &f), -ENOENT, "get of a missing function: ENOENT");
	ok(strstr(store_last_error(s), "nope") && strstr(store_last_error(s), "acme"),
	   "naming it and its tenant: %s", store_last_error(s));
	ok(f.id == 0 && f.name[0] == '\0', "and filling nothing in");
}

static void test_env(struct store *s)
{
	char h[65];
	hash_of(h, "env");
	store_function_publish(s, "acme", "envy", h, 1, 1, 0, 0, NULL);
	char **v = NULL;
	size_t n = 99;

	is_int(store_function_env_names(s, "acme", "envy", &v, &n), 0, "env of a new function");
	ok(v == NULL && n == 0, "is empty");
	const char *names[] = { "B_2", "A", "MULTI", "EMPTY" };
	const char *values[] = { "two", "1", "x=y\nz", "" };
	is_int(store_function_env_set(s, "acme", "envy", names, values, 4), 0, "env set");
	is_int(store_function_env_names(s, "acme", "envy", &v, &n), 0, "names");
	ok(n == 4 && !strcmp(v[0], "A") && !strcmp(v[1], "B_2") && !strcmp(v[2], "EMPTY") &&
		   !strcmp(v[3], "MULTI"),
	   "sorted, names only");
	store_strings_free(v, n);
	is_int(store_function_env_pairs(s, "acme", "envy", &v, &n), 0, "pairs");
	ok(n == 4 && !strcmp(v[0], "A=1") && !strcmp(v[1], "B_2=two") && !strcmp(v[2], "EMPTY=") &&
		   !strcmp(v[3], "MULTI=x=y\nz"),
	   "NAME=value, sorted, values as given");
	store_strings_free(v, n);
	store_strings_free(NULL, 0);

	const char *names2[] = { "C" };
	const char *values2[] = { "3" };
	is_int(store_function_env_set(s, "acme", "envy", names2, values2, 1), 0, "env set again");
	store_function_env_pairs(s, "acme", "envy", &v, &n);
	ok(n == 1 && !strcmp(v[0], "C=3"), "replaces the whole set");
	store_strings_free(v, n);

	/* Refusals leave the env as it was. */
	static const char *bad[] = { "", "1A", "A-B", "A B", "A.B", "\303\204B", "A=B" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *one[] = { bad[i] };
		is_int(store_function_env_set(s, "acme", "envy", one, values2, 1), -EINVAL,
		       "bad env name #%zu refused", i);
	}
	ok(strstr(store_last_error(s), STORE_ENV_NAME_RULE) != NULL, "stating the rule");
	char name[STORE_ENV_NAME_MAX + 2];
	memset(name, 'N', sizeof name - 1);
	name[STORE_ENV_NAME_MAX + 1] = '\0';
	const char *longname[] = { name };
	is_int(store_function_env_set(s, "acme", "envy", longname, values2, 1), -EINVAL,
	       "a 257-character name is refused");
	name[STORE_ENV_NAME_MAX] = '\0';
	const char *lname[] = { "_ok", name };
	const char *lvals[] = { "a", "b" };
	is_int(store_function_env_set(s, "acme", "envy", lname, lvals, 2), 0,
	       "a 256-character name and a leading '_' are fine");
	const char *dup[] = { "K", "L", "K" };
	const char *dupv[] = { "1", "2", "3" };
	is_int(store_function_env_set(s, "acme", "envy", dup, dupv, 3), -EINVAL, "a name twice: EINVAL");
	const char *nullv[] = { "K" };
	const char *nullvv[] = { NULL };
	is_int(store_function_env_set(s, "acme", "envy", nullv, nullvv, 1), -EINVAL,
	       "a NULL value: EINVAL");

	char *big = malloc(STORE_ENV_VALUE_MAX + 2);
	memset(big, 'S', STORE_ENV_VALUE_MAX + 1);
	memcpy(big, "SECRETVALUE", 11);
	big[STORE_ENV_VALUE_MAX + 1] = '\0';
	const char *bign[] = { "BIG" };
	const char *bigv[] = { big };
	is_int(store_function_env_set(s, "acme", "envy", bign, bigv, 1), -EINVAL,
	       "a value over 64 KiB: EINVAL");
	ok(strstr(store_last_error(s), "BIG") && !strstr(store_last_error(s), "SECRET"),
	   "the message names the variable, not its value: %s", store_last_error(s));
	big[STORE_ENV_VALUE_MAX] = '\0';
	is_int(store_function_env_set(s, "acme", "envy", bign, bigv, 1), 0, "a value of 64 KiB is fine");
	store_function_env_pairs(s, "acme", "envy", &v, &n);
	ok(n == 1 && strlen(v[0]) == 4 + STORE_ENV_VALUE_MAX && !strncmp(v[0], "BIG=SECRETVALUE", 15),
	   "and comes back whole");
	store_strings_free(v, n);
	free(big);

	char (*many)[16] = malloc((STORE_ENV_MAX + 1) * sizeof *many);
	const char **mn = malloc((STORE_ENV_MAX + 1) * sizeof *mn);
	const char **mv = malloc((STORE_ENV_MAX + 1) * sizeof *mv);
	for (int i = 0; i <= STORE_ENV_MAX; i++) {
		snprintf(many[i], sizeof many[i], "V%03d", i);
		mn[i] = many[i];
		mv[i] = many[i];
	}
	is_int(store_function_env_set(s, "acme", "envy", mn, mv, STORE_ENV_MAX + 1), -EINVAL,
	       "257 variables: EINVAL");
	store_function_env_names(s, "acme", "envy", &v, &n);
	ok(n == 1 && !strcmp(v[0], "BIG"), "refusals left the env as it was");
	store_strings_free(v, n);
	is_int(store_function_env_set(s, "acme", "envy", mn, mv, STORE_ENV_MAX), 0,
	       "256 variables are fine");
	store_function_env_names(s, "acme", "envy", &v, &n);
	ok(n == STORE_ENV_MAX && !strcmp(v[0], "V000") && !strcmp(v[n - 1], "V255"), "all 256 kept");
	store_strings_free(v, n);
	free(many);
	free(mn);
	free(mv);

	is_int(store_function_env_set(s, "acme", "envy", NULL, NULL, 0), 0, "n = 0 clears the env");
	store_function_env_names(s, "acme", "envy", &v, &n);
	ok(v == NULL && n == 0, "now empty");

	is_int(store_function_env_set(s, "acme", "nope", names2, values2, 1), -ENOENT,
	       "env of a missing function: ENOENT");
	is_int(store_function_env_names(s, "acme", "nope", &v, &n), -ENOENT, "names: ENOENT");
	is_int(store_function_env_pairs(s, "acme", "nope", &v, &n), -ENOENT, "pairs: ENOENT");
	ok(v == NULL && n == 0, "with an empty result");
}

static void test_function_delete(const char *dir, struct store *s)
{
	char h[65], sql[200], got[64];
	hash_of(h, "doomed");
	struct store_function f;
	store_function_publish(s, "acme", "doomed", h, 1, 1, 0, 0, NULL);
	store_function_publish(s, "acme", "doomed", h, 1, 1, 0, 0, NULL);
	store_function_publish(s, "acme", "kept", h, 1, 1, 0, 0, NULL);
	const char *names[] = { "K" };
	const char *values[] = { "v" };
	store_function_env_set(s, "acme", "doomed", names, values, 1);
	store_function_env_set(s, "acme", "kept", names, values, 1);
	store_function_get(s, "acme", "doomed", &f);
	int64_t id = f.id;

	is_int(store_function_delete(s, "acme", "doomed"), 0, "delete");
	is_int(store_function_get(s, "acme", "doomed", &f), -ENOENT, "the function is gone");
	struct store_version v;
	is_int(store_function_version(s, "acme", "doomed", 1, &v), -ENOENT, "and its versions");
	snprintf(sql, sizeof sql,
		 "SELECT (SELECT count(*) FROM versions WHERE function_id = %lld) + "
		 "(SELECT count(*) FROM function_env WHERE function_id = %lld)",
		 (long long)id, (long long)id);
	peek(dir, sql, got, sizeof got);
	is_str(got, "0", "no version or env row is left (cascade)");
	char **e = NULL;
	size_t n = 0;
	ok(store_function_get(s, "acme", "kept", &f) == 0 &&
		   store_function_env_names(s, "acme", "kept", &e, &n) == 0 && n == 1,
	   "the other function keeps its versions and env");
	store_strings_free(e, n);
	is_int(store_function_delete(s, "acme", "doomed"), -ENOENT, "deleting it again: ENOENT");
	ok(strstr(store_last_error(s), "doomed") != NULL, "naming it");

	store_function_publish(s, "acme", "doomed", h, 1, 1, 0, 0, &v);
	store_function_get(s, "acme", "doomed", &f);
	ok(v.version == 1 && f.id > id, "deployed again: version 1 under a new id");
	store_function_env_names(s, "acme", "doomed", &e, &n);
	ok(n == 0, "without the old env");
	store_strings_free(e, n);
}

static void test_function_isolation(struct store *s)
{
	char ha[65], hb[65];
	hash_of(ha, "tenant a");
	hash_of(hb, "tenant b");
	store_tenant_ensure(s, "globex");
	struct store_version v;
	struct store_function f;
	is_int(store_function_publish(s, "globex", "hello", hb, 1, 1, 0, 0, &v), 0,
	       "another tenant deploys a function of the same name");
	is_int(v.version, 1, "its own version 1");
	store_function_get(s, "acme", "hello", &f);
	int64_t acme_id = f.id;
	is_int(f.latest_version, 4, "acme's is untouched");
	store_function_get(s, "globex", "hello", &f);
	ok(f.id != acme_id && !strcmp(f.tenant, "globex"), "a function of its own");
	store_function_version(s, "globex", "hello", 0, &v);
	is_str(v.package_hash, hb, "with its own package");
	is_int(store_function_version(s, "globex", "hello", 3, &v), -ENOENT,
	       "acme's version 3 is not globex's");
	is_int(store_function_set_latest(s, "globex", "hello", 3), -ENOENT,
	       "nor can globex roll back to it");
	is_int(store_function_get(s, "globex", "alpha", &f), -ENOENT, "globex cannot see acme's alpha");
	is_int(store_function_delete(s, "globex", "alpha"), -ENOENT, "nor delete it");
	const char *names[] = { "SECRET" };
	const char *values[] = { "acme's" };
	store_function_env_set(s, "acme", "hello", names, values, 1);
	char **e = NULL;
	size_t n = 0;
	is_int(store_function_env_pairs(s, "globex", "hello", &e, &n), 0, "globex's env");
	ok(n == 0, "holds nothing of acme's");
	store_strings_free(e, n);
	struct store_function *fs = NULL;
	store_function_list(s, "globex", &fs, &n);
	ok(n == 1 && !strcmp(fs[0].name, "hello") && !strcmp(fs[0].tenant, "globex"),
	   "globex lists only its own function");
	free(fs);
	is_int(store_function_delete(s, "globex", "hello"), 0, "globex deletes its hello");
	ok(store_function_get(s, "acme", "hello", &f) == 0 && f.latest_version == 4,
	   "acme's hello stays");
	store_function_env_pairs(s, "acme", "hello", &e, &n);
	ok(n == 1 && !strcmp(e[0], "SECRET=acme's"), "with its env");
	store_strings_free(e, n);
}

/* Batches: a publish inside one commits with it, and one that fails undoes
 * only its own writes. */
static void test_function_batch(struct store *s)
{
	char h[65];
	hash_of(h, "batch");
	struct store_execution e = { .tenant = "acme", .status = "ok", .logs = "" };
	snprintf(e.id, sizeof e.id, "x_batch");
	struct store_version v;
	is_int(store_batch_begin(s), 0, "a batch begins");
	store_execution_record(s, &e);
	is_int(store_function_publish(s, "nobody", "batched", h, 1, 1, 0, 0, &v), -ENOENT,
	       "a failing publish inside it");
	is_int(store_function_publish(s, "acme", "batched", h, 1, 1, 0, 0, &v), 0,
	       "a good publish inside it");
	const char *names[] = { "A" };
	const char *values[] = { "1" };
	is_int(store_function_env_set(s, "acme", "batched", names, values, 1), 0, "an env set inside it");
	is_int(store_batch_commit(s), 0, "the batch commits");
	struct store_execution g;
	struct store_function f;
	ok(store_execution_get(s, "x_batch", &g) == 0, "the execution before the failure was kept");
	store_execution_release(&g);
	ok(store_function_get(s, "acme", "batched", &f) == 0 && f.latest_version == 1,
	   "the publish after it too");
}

/* How many names in @pkgdir start with @prefix; -1 if it cannot be read. */
static int count_entries(const char *pkgdir, const char *prefix)
{
	DIR *d = opendir(pkgdir);
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void test_packages(const char *dir, struct store *s)
{
	char h1[65], h2[65], h3[65], h4[65], pkgdir[300], path[400];
	hash_of(h1, "blob one");
	hash_of(h2, "blob two");
	hash_of(h3, "blob three");
	hash_of(h4, "blob four");
	snprintf(pkgdir, sizeof pkgdir, "%s/packages", dir);
	uint64_t removed = 99;
	is_int(store_packages_gc(s, &removed), 0, "gc before any put");
	is_int(removed, 0, "removes nothing");

	size_t len = 300000;
	unsigned char *blob = malloc(len);
	for (size_t i = 0; i < len; i++)
		blob[i] = (unsigned char)(i * 7 + i / 256);
	void *got = NULL;
	size_t got_len = 0;
	is_int(store_package_put(s, h1, blob, len), 0, "put a 300 kB blob");
	is_int(store_package_get(s, h1, &got, &got_len), 0, "get it back");
	ok(got && got_len == len && !memcmp(got, blob, len), "byte for byte");
	free(got);

	struct stat sb;
	ok(stat(pkgdir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
	   "DIR/packages is created 0700");
	snprintf(path, sizeof path, "%s/%s", pkgdir, h1);
	ok(stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0777) == 0600 &&
		   (size_t)sb.st_size == len,
	   "the blob is DIR/packages/<hash>, mode 0600");
	mode_t old = umask(0);
	is_int(store_package_put(s, h4, "x", 1), 0, "put with umask 0");
	umask(old);
	snprintf(path, sizeof path, "%s/%s", pkgdir, h4);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "is still mode 0600");

	is_int(store_package_put(s, h1, "other", 5), 0, "a second put of the same hash");
	store_package_get(s, h1, &got, &got_len);
	ok(got_len == len && !memcmp(got, blob, len), "is a no-op: the bytes stay");
	free(got);
	is_int(store_package_put(s, h2, NULL, 0), 0, "an empty blob");
	got = NULL;
	is_int(store_package_get(s, h2, &got, &got_len), 0, "reads back");
	ok(got != NULL && got_len == 0, "as zero bytes in a buffer to free");
	free(got);
	is_int(count_entries(pkgdir, ".tmp-"), 0, "no temporary file is left behind");

	is_int(store_package_get(s, h3, &got, &got_len), -ENOENT, "get of a missing blob: ENOENT");
	ok(got == NULL && got_len == 0 && strstr(store_last_error(s), h3), "naming it");

	char upper[65], shorter[65], longer[67];
	snprintf(upper, sizeof upper, "%s", h1);
	for (int i = 0; i < 64; i++)
		if (upper[i] >= 'a')
			upper[i] -= 32;
	snprintf(shorter, sizeof shorter, "%.63s", h1);
	snprintf(longer, sizeof longer, "%s0", h1);
	char climb[65];
	memset(climb, 'a', 64);
	climb[64] = '\0';
	memcpy(climb, "../", 3);
	static const char *fixed[] = { "../x", "", "x", NULL };
	const char *bad[] = { fixed[0], fixed[1], fixed[2], fixed[3], upper, shorter, longer, climb };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		is_int(store_package_put(s, bad[i], "x", 1), -EINVAL, "put with bad hash #%zu: EINVAL", i);
		is_int(store_package_get(s, bad[i], &got, &got_len), -EINVAL,
		       "get with bad hash #%zu: EINVAL", i);
	}
	snprintf(path, sizeof path, "%s/x", dir);
	ok(access(path, F_OK) != 0, "nothing was written outside DIR/packages");

	/* gc: h1 referenced; h2, h4 unreferenced and old; h3 unreferenced and
	 * new; an old temporary file and an unrelated file. */
	store_function_publish(s, "acme", "pkg", h1, 1, len, 0, 0, NULL);
	store_function_publish(s, "acme", "pkg2", h1, 1, len, 0, 0, NULL);
	store_package_put(s, h3, "3", 1);
	const char *aged[] = { h1, h2, h4, ".tmp-stale-123456", "README" };
	for (size_t i = 0; i < sizeof aged / sizeof aged[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", pkgdir, aged[i]);
		if (i >= 3)
			close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		backdate(path, 86400);
	}
	is_int(store_packages_gc(s, &removed), 0, "gc");
	is_int(removed, 2, "removes the two old unreferenced blobs");
	ok(store_package_get(s, h2, &got, &got_len) == -ENOENT &&
		   store_package_get(s, h4, &got, &got_len) == -ENOENT,
	   "they are gone");
	ok(store_package_get(s, h1, &got, &got_len) == 0, "a referenced blob stays");
	free(got);
	ok(store_package_get(s, h3, &got, &got_len) == 0, "a new unreferenced blob stays (grace)");
	free(got);
	is_int(count_entries(pkgdir, ".tmp-"), 0, "an old temporary file is removed");
	is_int(count_entries(pkgdir, "README"), 1, "an unrelated file stays");

	/* A put of a stored blob renews it. */
	snprintf(path, sizeof path, "%s/%s", pkgdir, h3);
	backdate(path, 86400);
	store_package_put(s, h3, "3", 1);
	store_packages_gc(s, &removed);
	ok(removed == 0 && store_package_get(s, h3, &got, &got_len) == 0,
	   "putting an old blob again restarts its grace period");
	free(got);
	backdate(path, 86400);
	store_packages_gc(s, &removed);
	ok(removed == 1 && store_package_get(s, h3, &got, &got_len) == -ENOENT,
	   "and it goes once old again");

	/* Shared by two functions: it stays until neither references it. */
	snprintf(path, sizeof path, "%s/%s", pkgdir, h1);
	store_function_delete(s, "acme", "pkg");
	backdate(path, 86400);
	store_packages_gc(s, NULL);
	ok(store_package_get(s, h1, &got, &got_len) == 0, "a blob still used by another function stays");
	free(got);
	store_function_delete(s, "acme", "pkg2");
	backdate(path, 86400);
	is_int(store_packages_gc(s, &removed), 0, "gc after the last reference went");
	ok(removed == 1 && store_package_get(s, h1, &got, &got_len) == -ENOENT, "removes it");
	free(blob);
}

/* Writes the schema an older corral (migration 001 only) left in DIR. */
static int make_v1_database(const char *dir, int forge_version)
{
	char path[512], parent[400];
	snprintf(parent, sizeof parent, "%s", dir);
	*strrchr(parent, '/') = '\0';
	mkdir(parent, 0700);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/corral.db", dir);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	char sql[300];
	snprintf(sql, sizeof sql,
		 "INSERT INTO schema_migrations VALUES (1, '%s', 1);"
		 "INSERT INTO tenants(name, created_at) VALUES ('acme', 1);", store_migrations[0].name);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
				  "name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, store_migrations[0].sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK && forge_version) {
		snprintf(sql, sizeof sql,
			 "INSERT INTO schema_migrations VALUES (%d, 'future', 1)", forge_version);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK)
		diag("make_v1_database: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static void test_migration_from_001(void)
{
	char dir[256], got[64], want[64];
	new_dir(dir, sizeof dir);
	ok(store_schema_latest() >= 2, "this binary knows migration 2 (%d)", store_schema_latest());
	is_int(make_v1_database(dir, 0), SQLITE_OK, "a database as migration 001 left it");
	peek(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ('functions', 'versions', "
		  "'function_env')", got, sizeof got);
	is_str(got, "0", "it has no function tables");

	struct store *s = open_ok(dir);
	ok(s != NULL, "opening it migrates it");
	if (!s)
		return;
	int v = 0;
	store_schema_version(s, &v);
	is_int(v, store_schema_latest(), "to the newest version");
	peek(dir, "SELECT group_concat(version) FROM schema_migrations", got, sizeof got);
	ok(!strncmp(got, "1,2", 3), "002 is recorded after 001 (%s)", got);
	peek(dir, "SELECT applied_at FROM schema_migrations WHERE version = 1", got, sizeof got);
	is_str(got, "1", "001 was not applied again");
	peek(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ('functions', 'versions', "
		  "'function_env')", got, sizeof got);
	is_str(got, "3", "the function tables exist");
	char h[65];
	struct store_version ver;
	is_int(store_function_publish(s, "acme", "hello", hash_of(h, "old db"), 1, 1, 0, 0, &ver), 0,
	       "the tenant from before can deploy");
	store_close(s);
	snprintf(want, sizeof want, "%d", store_schema_latest());
	s = open_ok(dir);
	peek(dir, "SELECT max(version) FROM schema_migrations", got, sizeof got);
	ok(s && !strcmp(got, want), "reopening changes nothing");
	store_close(s);

	/* A 001 database that a newer corral marked: refused, nothing applied. */
	new_dir(dir, sizeof dir);
	make_v1_database(dir, store_schema_latest() + 1);
	char err[STORE_ERR_LEN] = "";
	s = NULL;
	is_int(store_open(dir, &s, err), -EPROTO, "a newer schema is still refused");
	peek(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'functions'", got, sizeof got);
	ok(s == NULL && !strcmp(got, "0"), "and no migration was applied to it");
}

int main(void)
{
	snprintf(root, sizeof root, "%s/corral-test-store-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		printf("Bail out! cannot create a temporary directory: %s\n", strerror(errno));
		return 1;
	}

	test_open();
	test_migrations_idempotent();
	test_newer_schema_refused();
	test_locations();

	char dir[256];
	new_dir(dir, sizeof dir);
	struct store *s = open_ok(dir);
	if (!s) {
		printf("Bail out! cannot open a store in '%s'\n", dir);
		return 1;
	}
	test_tenants(s);
	test_keys(s);
	test_key_storage(dir, s);
	test_executions(s);
	store_close(s);

	test_two_handles();
	test_two_processes();
	test_cli();

	new_dir(dir, sizeof dir);
	s = open_ok(dir);
	if (!s) {
		printf("Bail out! cannot open a store in '%s'\n", dir);
		return 1;
	}
	store_tenant_ensure(s, "acme");
	test_functions(s);
	test_env(s);
	test_function_delete(dir, s);
	test_function_isolation(s);
	test_function_batch(s);
	test_packages(dir, s);
	store_close(s);
	test_migration_from_001();

	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
