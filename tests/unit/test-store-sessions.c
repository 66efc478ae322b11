/* test-store-sessions — durable sessions and tenant settings in the store
 * (003_sessions.sql), on SQLite.
 *
 * Each group opens a store in a fresh temporary directory (removed at the
 * end). What is checked: create, get and delete, with the tenant created on
 * the way and every refusal; another tenant's session is answered as none;
 * expiry (a 1 ms session is gone at once, the sweep deletes it with its
 * history and tokens, its id may be used again); max_live; commit (seq and
 * execution_count, the state replaced only when given, expires_at pushed,
 * history pruned to keep, a repeated execution id and a deleted session
 * writing nothing, a commit inside a batch); history newest first with a
 * limit and every field; a 100 KB stdout cut at a UTF-8 boundary; PII
 * tokens (numbered per kind, stable, separate per session, read back); the
 * live-session gauge; tenant settings; migration 003 applied to a database
 * at version 2. Last, timings of get and commit as TAP comments.
 *
 * Like test-store.c, it reads the database directly with SQLite where it
 * must look behind the interface (cascades, an old schema). */
#include "supervisor/store/store.h"

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

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

static double mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* peek() for a number; -1 if the statement failed. */
static long long peek_int(const char *dir, const char *sql)
{
	char got[64];
	if (peek(dir, sql, got, sizeof got) != SQLITE_OK)
		return -1;
	return strtoll(got, NULL, 10);
}

/* An execution of session @sid of @tenant with id @xid and the given state. */
static struct store_session_exec exec_of(const char *tenant, const char *sid, const char *xid,
					 const char *state)
{
	struct store_session_exec e = {
		.session_id = sid, .tenant = tenant, .exec_id = xid,
		.code = "x += 1", .code_len = 6, .status = "ok",
		.result = "2", .result_len = 1,
		.wall_ms = 1.5, .cpu_ms = 0.75, .peak_memory_bytes = 4096,
		.state = state, .state_len = state ? strlen(state) : 0,
	};
	return e;
}

static void test_create_get_delete(const char *dir, struct store *s)
{
	struct store_session ss, g;
	int64_t before = now_ms();
	ok(peek_int(dir, "SELECT count(*) FROM tenants WHERE name = 'newco'") == 0,
	   "tenant newco does not exist yet");
	is_int(store_session_create(s, "newco", "s_one", 60000, true, 0, &ss), 0,
	       "a session is created");
	int64_t after = now_ms();
	ok(!strcmp(ss.id, "s_one") && !strcmp(ss.tenant, "newco") && ss.ttl_ms == 60000 && ss.pii &&
		   ss.execution_count == 0 && !ss.state && ss.created_at >= before &&
		   ss.created_at <= after && ss.last_activity == ss.created_at &&
		   ss.expires_at == ss.created_at + 60000,
	   "create fills every field");
	ok(peek_int(dir, "SELECT count(*) FROM tenants WHERE name = 'newco'") == 1,
	   "and created the tenant on the way");

	is_int(store_session_get(s, "newco", "s_one", false, &g), 0, "it is read back");
	ok(!strcmp(g.id, "s_one") && !strcmp(g.tenant, "newco") && g.ttl_ms == 60000 && g.pii &&
		   g.execution_count == 0 && g.created_at == ss.created_at &&
		   g.expires_at == ss.expires_at && g.last_activity == ss.last_activity && !g.state,
	   "with the same fields");
	is_int(store_session_get(s, "newco", "s_one", true, &g), 0, "with its state");
	ok(g.state == NULL && g.state_len == 0, "which is none before any execution");
	store_session_release(&g);
	store_session_release(NULL);

	is_int(store_session_create(s, "newco", "s_two", 600000, false, 0, NULL), 0,
	       "a second session, out NULL");
	is_int(store_session_get(s, "newco", "s_two", false, &g), 0, "read back");
	ok(!g.pii && g.ttl_ms == 600000, "pii false, its own ttl");
	is_int(store_session_create(s, "newco", "s_one", 60000, false, 0, &ss), -EEXIST,
	       "a live id cannot be created again");
	ok(strstr(store_last_error(s), "s_one") != NULL, "the message names it");

	is_int(store_session_create(s, "newco", "bad id", 1000, false, 0, NULL), -EINVAL,
	       "a bad session id is refused");
	char longid[STORE_SESSION_ID_MAX + 2];
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	is_int(store_session_create(s, "newco", longid, 1000, false, 0, NULL), -EINVAL,
	       "a 65-character id is refused");
	longid[STORE_SESSION_ID_MAX] = '\0';
	is_int(store_session_create(s, "newco", longid, 1000, false, 0, NULL), 0,
	       "a 64-character id is fine");
	is_int(store_session_create(s, "New Co", "s_x", 1000, false, 0, NULL), -EINVAL,
	       "a bad tenant is refused");
	is_int(store_session_create(s, "newco", "s_x", 0, false, 0, NULL), -EINVAL,
	       "a ttl of 0 is refused");
	is_int(store_session_create(s, "newco", "s_x", -5, false, 0, NULL), -EINVAL,
	       "a negative ttl is refused");
	is_int(store_session_create(s, "newco", "s_x", STORE_SESSION_TTL_MAX + 1, false, 0, NULL),
	       -EINVAL, "a ttl over STORE_SESSION_TTL_MAX is refused");
	is_int(store_session_get(s, "newco", "no such", false, &g), -ENOENT,
	       "get of a malformed id is -ENOENT");

	is_int(store_session_delete(s, "newco", "s_one"), 0, "a session is deleted");
	is_int(store_session_get(s, "newco", "s_one", false, &g), -ENOENT, "and gone");
	is_int(store_session_delete(s, "newco", "s_one"), -ENOENT, "deleting it again is -ENOENT");
	ok(strstr(store_last_error(s), "s_one") != NULL, "the message names it");
	is_int(store_session_get(s, "newco", "s_two", false, &g), 0, "the other is still there");
}

static void test_wrong_tenant(struct store *s)
{
	struct store_session g;
	store_tenant_ensure(s, "other");
	is_int(store_session_create(s, "acme", "s_mine", 60000, false, 0, NULL), 0,
	       "acme has a session");
	is_int(store_session_get(s, "other", "s_mine", false, &g), -ENOENT,
	       "another tenant cannot get it");
	is_int(store_session_get(s, "nobody", "s_mine", false, &g), -ENOENT,
	       "nor an unknown tenant");
	struct store_session_exec e = exec_of("other", "s_mine", "x_wrong", "{\"stolen\":1}");
	is_int(store_session_commit(s, &e, 0, NULL), -ENOENT, "nor commit to it");
	struct store_history_row *rows = NULL;
	size_t n = 0;
	is_int(store_session_history(s, "other", "s_mine", 10, &rows, &n), -ENOENT,
	       "nor read its history");
	is_int(store_session_delete(s, "other", "s_mine"), -ENOENT, "nor delete it");
	is_int(store_session_get(s, "acme", "s_mine", true, &g), 0, "it is still there for acme");
	ok(g.execution_count == 0 && g.state == NULL, "untouched");
	store_session_release(&g);
}

static void test_expiry(const char *dir, struct store *s)
{
	struct store_session g;
	is_int(store_session_create(s, "acme", "s_brief", 1, false, 0, NULL), 0,
	       "a session with a 1 ms ttl");
	sleep_ms(5);
	is_int(store_session_get(s, "acme", "s_brief", false, &g), -ENOENT, "is gone 5 ms later");
	struct store_session_exec e = exec_of("acme", "s_brief", "x_late", "{}");
	is_int(store_session_commit(s, &e, 0, NULL), -ENOENT, "commit to it is -ENOENT");
	struct store_history_row *rows = NULL;
	size_t n = 0;
	is_int(store_session_history(s, "acme", "s_brief", 10, &rows, &n), -ENOENT,
	       "its history is -ENOENT");

	/* One with history and tokens, expiring soon. */
	is_int(store_session_create(s, "acme", "s_short", 150, false, 0, NULL), 0,
	       "a session with a 150 ms ttl");
	e = exec_of("acme", "s_short", "x_short1", "{\"a\":1}");
	is_int(store_session_commit(s, &e, 0, NULL), 0, "gets an execution");
	unsigned num = 0;
	is_int(store_session_token(s, "s_short", "EMAIL", "a@b.c", 5, &num), 0, "and a token");
	is_int(store_session_create(s, "acme", "s_long", 600000, false, 0, NULL), 0,
	       "and a long-lived session beside it");

	uint64_t live = 0;
	store_sessions_count(s, &live);
	int64_t t0 = now_ms();
	is_int(store_sessions_expire(s, t0 - 1000), 0, "an expiry at a past time deletes nothing live");
	ok(peek_int(dir, "SELECT count(*) FROM sessions WHERE id = 's_short'") == 1,
	   "the short session is still there");

	sleep_ms(200);
	is_int(store_session_get(s, "acme", "s_short", false, &g), -ENOENT,
	       "after its ttl it is gone for get");
	ok(peek_int(dir, "SELECT count(*) FROM session_history WHERE session_id = 's_short'") == 1 &&
		   peek_int(dir, "SELECT count(*) FROM session_tokens WHERE session_id = 's_short'") == 1,
	   "its rows are still in the database before the sweep");
	int removed = store_sessions_expire(s, now_ms());
	ok(removed >= 2, "the sweep deletes the expired sessions (%d)", removed);
	ok(peek_int(dir, "SELECT count(*) FROM sessions WHERE id IN ('s_short', 's_brief')") == 0,
	   "both expired sessions are deleted");
	ok(peek_int(dir, "SELECT count(*) FROM session_history WHERE session_id = 's_short'") == 0,
	   "with their history");
	ok(peek_int(dir, "SELECT count(*) FROM session_tokens WHERE session_id = 's_short'") == 0,
	   "and their tokens");
	is_int(store_session_get(s, "acme", "s_long", false, &g), 0, "the live one is kept");
	is_int(store_sessions_expire(s, now_ms()), 0, "a second sweep finds nothing");

	/* An expired id may be used again, without the old history. */
	is_int(store_session_create(s, "acme", "s_again", 1, false, 0, NULL), 0, "s_again, 1 ms");
	sleep_ms(5);
	ok(peek_int(dir, "SELECT count(*) FROM sessions WHERE id = 's_again'") == 1,
	   "expired but not swept");
	is_int(store_session_create(s, "acme", "s_again", 60000, false, 0, NULL), 0,
	       "its id can be created again");
	is_int(store_session_get(s, "acme", "s_again", false, &g), 0, "and the new one is live");
	ok(g.ttl_ms == 60000 && g.execution_count == 0, "with its own ttl and no executions");
	is_int(store_session_create(s, "acme", "s_gone", 1, false, 0, NULL), 0, "s_gone, 1 ms");
	sleep_ms(5);
	is_int(store_session_delete(s, "acme", "s_gone"), -ENOENT,
	       "deleting an expired session is -ENOENT");
	ok(peek_int(dir, "SELECT count(*) FROM sessions WHERE id = 's_gone'") == 0,
	   "but its row is deleted all the same");
}

static void test_max_live(const char *dir, struct store *s)
{
	struct store_session ss;
	is_int(store_session_create(s, "quota", "q1", 60000, false, 2, &ss), 0, "1 of 2");
	is_int(store_session_create(s, "quota", "q2", 60000, false, 2, &ss), 0, "2 of 2");
	is_int(store_session_create(s, "quota", "q3", 60000, false, 2, &ss), -EDQUOT,
	       "a third is refused with -EDQUOT");
	ok(strstr(store_last_error(s), "quota") != NULL, "the message names the tenant");
	ok(peek_int(dir, "SELECT count(*) FROM sessions WHERE id = 'q3'") == 0, "nothing was written");
	is_int(store_session_create(s, "quota2", "q3", 60000, false, 2, &ss), 0,
	       "the limit is per tenant");
	store_session_delete(s, "quota2", "q3");
	is_int(store_session_create(s, "quota", "q3", 60000, false, 0, &ss), 0,
	       "max_live 0 is no limit");
	store_session_delete(s, "quota", "q3");
	is_int(store_session_delete(s, "quota", "q2"), 0, "after a delete");
	is_int(store_session_create(s, "quota", "q4", 1, false, 2, &ss), 0, "there is room again");
	sleep_ms(5);
	is_int(store_session_create(s, "quota", "q5", 60000, false, 2, &ss), 0,
	       "an expired session does not count");
}

static void test_commit(const char *dir, struct store *s)
{
	struct store_session g, c;
	uint64_t seq = 0;
	is_int(store_session_create(s, "acme", "s_c", 60000, false, 0, &c), 0, "a session to commit to");

	struct store_session_exec e = exec_of("acme", "s_c", "x_c1", "{\"x\":1}");
	e.finished_at = now_ms() + 5000;
	is_int(store_session_commit(s, &e, 0, &seq), 0, "a first execution is committed");
	is_int(seq, 1, "as seq 1");
	is_int(store_session_get(s, "acme", "s_c", true, &g), 0, "the session is read back");
	is_int(g.execution_count, 1, "execution_count is 1");
	is_str(g.state, "{\"x\":1}", "the state is the one given");
	is_int(g.state_len, 7, "with its length");
	is_int(g.last_activity, e.finished_at, "last_activity is finished_at");
	is_int(g.expires_at, e.finished_at + 60000, "expires_at is finished_at + ttl");
	store_session_release(&g);

	e = exec_of("acme", "s_c", "x_c2", NULL);
	int64_t t0 = now_ms();
	is_int(store_session_commit(s, &e, 0, &seq), 0, "a second, without state");
	int64_t t1 = now_ms();
	is_int(seq, 2, "as seq 2");
	store_session_get(s, "acme", "s_c", true, &g);
	is_str(g.state, "{\"x\":1}", "the state is left as it was");
	ok(g.last_activity >= t0 && g.last_activity <= t1 && g.expires_at == g.last_activity + 60000,
	   "finished_at 0 is now, and expires_at follows it");
	is_int(g.execution_count, 2, "execution_count is 2");
	store_session_release(&g);

	e = exec_of("acme", "s_c", "x_c3", "{\"x\":3}");
	is_int(store_session_commit(s, &e, 0, &seq), 0, "a third, with a new state");
	store_session_get(s, "acme", "s_c", true, &g);
	is_str(g.state, "{\"x\":3}", "the state is replaced");
	is_int(g.ctx_seq, 3, "ctx_seq counts the executions that ran in a worker (3)");
	store_session_release(&g);


	/* A repeated execution id: refused, and nothing moves. */
	e = exec_of("acme", "s_c", "x_c3", "{\"x\":99}");
	is_int(store_session_commit(s, &e, 0, &seq), -EEXIST, "a repeated execution id is -EEXIST");
	ok(seq == 0, "no seq is returned");
	store_session_get(s, "acme", "s_c", true, &g);
	ok(g.execution_count == 3 && !strcmp(g.state, "{\"x\":3}"),
	   "execution_count and state are as before");
	store_session_release(&g);

	/* Pruning: keep 2 of 5. */
	e = exec_of("acme", "s_c", "x_c4", NULL);
	store_session_commit(s, &e, 0, &seq);
	e = exec_of("acme", "s_c", "x_c5", NULL);
	is_int(store_session_commit(s, &e, 2, &seq), 0, "a commit with keep 2");
	is_int(seq, 5, "as seq 5");
	ok(peek_int(dir, "SELECT count(*) FROM session_history WHERE session_id = 's_c'") == 2 &&
		   peek_int(dir, "SELECT min(seq) FROM session_history WHERE session_id = 's_c'") == 4,
	   "leaves the 2 newest rows (seq 4 and 5)");
	e = exec_of("acme", "s_c", "x_c6", NULL);
	is_int(store_session_commit(s, &e, 1, &seq), 0, "keep 1");
	ok(peek_int(dir, "SELECT group_concat(seq) FROM session_history WHERE session_id = 's_c'") ==
		   6, "leaves only seq 6");
	store_session_get(s, "acme", "s_c", false, &g);
	is_int(g.execution_count, 6, "execution_count counts the pruned ones too");
	store_session_release(&g);

	/* One refused before any worker saw it (the validation policy): in
	 * the history and the count, not in ctx_seq. */
	e = exec_of("acme", "s_c", "x_c6r", NULL);
	e.not_run = true;
	is_int(store_session_commit(s, &e, 0, &seq), 0, "a policy rejection is committed");
	store_session_get(s, "acme", "s_c", false, &g);
	ok(seq == 7 && g.execution_count == 7 && g.ctx_seq == 6,
	   "it takes seq 7, execution_count 7, and leaves ctx_seq at 6");
	store_session_release(&g);

	/* A deleted session: -ENOENT, nothing written. */
	is_int(store_session_delete(s, "acme", "s_c"), 0, "the session is deleted");
	ok(peek_int(dir, "SELECT count(*) FROM session_history WHERE session_id = 's_c'") == 0,
	   "its history went with it");
	e = exec_of("acme", "s_c", "x_c7", "{}");
	seq = 77;
	is_int(store_session_commit(s, &e, 0, &seq), -ENOENT, "commit to a deleted session is -ENOENT");
	ok(seq == 0, "with no seq");
	ok(strstr(store_last_error(s), "s_c") != NULL, "the message names the session");
	ok(peek_int(dir, "SELECT count(*) FROM session_history WHERE id = 'x_c7'") == 0 &&
		   peek_int(dir, "SELECT count(*) FROM sessions WHERE id = 's_c'") == 0,
	   "and nothing was written");

	/* Refusals before the database. */
	store_session_create(s, "acme", "s_v", 60000, false, 0, NULL);
	e = exec_of("acme", "s_v", "bad id!", NULL);
	is_int(store_session_commit(s, &e, 0, NULL), -EINVAL, "a bad execution id is refused");
	e = exec_of("acme", "s_v", "x_v", NULL);
	e.status = "Bad";
	is_int(store_session_commit(s, &e, 0, NULL), -EINVAL, "a bad status is refused");
	e = exec_of("acme", "s_v", "x_v", NULL);
	e.wall_ms = -1;
	is_int(store_session_commit(s, &e, 0, NULL), -EINVAL, "a negative wall time is refused");
	e = exec_of("acme", "s_v", "x_v", NULL);
	e.out = NULL;
	e.out_len = 3;
	is_int(store_session_commit(s, &e, 0, NULL), -EINVAL, "a NULL text with a length is refused");
	store_session_get(s, "acme", "s_v", false, &g);
	is_int(g.execution_count, 0, "none of them was written");
}

static void test_commit_in_batch(const char *dir, struct store *s)
{
	uint64_t seq = 0;
	store_session_create(s, "acme", "s_b", 60000, false, 0, NULL);
	struct store_execution x = { .tenant = "acme", .status = "ok", .logs = "" };
	snprintf(x.id, sizeof x.id, "x_in_batch");
	is_int(store_batch_begin(s), 0, "a batch begins");
	is_int(store_execution_record(s, &x), 0, "an execution is recorded in it");
	struct store_session_exec e = exec_of("acme", "s_nope", "x_b0", NULL);
	is_int(store_session_commit(s, &e, 0, &seq), -ENOENT, "a failing session commit inside it");
	e = exec_of("acme", "s_b", "x_b1", "{\"b\":1}");
	is_int(store_session_commit(s, &e, 0, &seq), 0, "a good session commit inside it");
	e = exec_of("acme", "s_b", "x_b1", NULL);
	is_int(store_session_commit(s, &e, 0, &seq), -EEXIST, "a failing one after it");
	is_int(store_batch_commit(s), 0, "the batch commits");
	struct store_execution g;
	ok(store_execution_get(s, "x_in_batch", &g) == 0, "the execution before the failures was kept");
	store_execution_release(&g);
	struct store_session ss;
	store_session_get(s, "acme", "s_b", true, &ss);
	ok(ss.execution_count == 1 && ss.state && !strcmp(ss.state, "{\"b\":1}"),
	   "the good commit was kept, the failed one undid only itself");
	store_session_release(&ss);
	ok(peek_int(dir, "SELECT count(*) FROM session_history WHERE session_id = 's_b'") == 1,
	   "one history row");
}

static void test_history(struct store *s)
{
	store_session_create(s, "acme", "s_h", 60000, false, 0, NULL);
	struct store_history_row *rows = NULL;
	size_t n = 9;
	is_int(store_session_history(s, "acme", "s_h", 10, &rows, &n), 0,
	       "history of a session with no executions");
	ok(n == 0 && rows == NULL, "is empty");

	for (int i = 1; i <= 5; i++) {
		char xid[32], code[32];
		snprintf(xid, sizeof xid, "x_h%d", i);
		snprintf(code, sizeof code, "step(%d)", i);
		struct store_session_exec e = exec_of("acme", "s_h", xid, NULL);
		e.code = code;
		e.code_len = strlen(code);
		e.started_at = 1000 * i;
		e.finished_at = now_ms() + i;
		if (i == 4) {
			e.status = "error";
			e.result = NULL;
			e.result_len = 0;
			e.error = "{\"name\":\"TypeError\"}";
			e.error_len = strlen(e.error);
			e.out = "out4";
			e.out_len = 4;
			e.err = "err4";
			e.err_len = 4;
		}
		store_session_commit(s, &e, 0, NULL);
	}
	is_int(store_session_history(s, "acme", "s_h", 3, &rows, &n), 0, "history with limit 3");
	is_int(n, 3, "has 3 rows");
	ok(n == 3 && rows[0].seq == 5 && rows[1].seq == 4 && rows[2].seq == 3, "newest first: 5, 4, 3");
	if (n == 3) {
		struct store_history_row *r = &rows[1];
		ok(!strcmp(r->id, "x_h4") && !strcmp(r->status, "error") && !strcmp(r->code, "step(4)") &&
			   r->result == NULL && r->error && !strcmp(r->error, "{\"name\":\"TypeError\"}") &&
			   !strcmp(r->out, "out4") && !strcmp(r->err, "err4") && r->wall_ms == 1.5 &&
			   r->cpu_ms == 0.75 && r->peak_memory_bytes == 4096 && r->started_at == 4000 &&
			   r->finished_at > r->started_at && !r->truncated,
		   "every field of a row as committed");
		r = &rows[0];
		ok(!strcmp(r->code, "step(5)") && r->result && !strcmp(r->result, "2") && !r->error &&
			   r->out && !strcmp(r->out, "") && r->err && !strcmp(r->err, ""),
		   "an empty stdout is \"\", a missing error NULL");
	}
	store_history_free(rows, n);
	store_history_free(NULL, 0);
	is_int(store_session_history(s, "acme", "s_h", 100, &rows, &n), 0, "history with limit 100");
	ok(n == 5 && rows[4].seq == 1, "has all 5 rows, oldest last");
	store_history_free(rows, n);
	is_int(store_session_history(s, "acme", "s_h", 0, &rows, &n), 0, "limit 0");
	ok(n == 0 && rows == NULL, "gives no rows");
	is_int(store_session_history(s, "acme", "s_nothing", 0, &rows, &n), -ENOENT,
	       "limit 0 of a missing session is still -ENOENT");
}

static void test_truncation(struct store *s)
{
	store_session_create(s, "acme", "s_t", 60000, false, 0, NULL);
	/* "a" then 2-byte characters: byte 65536 falls in the middle of one. */
	size_t len = 100 * 1024;
	char *out = malloc(len + 1);
	out[0] = 'a';
	for (size_t i = 1; i + 1 < len; i += 2) {
		out[i] = (char)0xC3;
		out[i + 1] = (char)0xA9; /* é */
	}
	out[len - 1] = 'z';
	out[len] = '\0';
	struct store_session_exec e = exec_of("acme", "s_t", "x_t", NULL);
	e.out = out;
	e.out_len = len;
	is_int(store_session_commit(s, &e, 0, NULL), 0, "a 100 KB stdout is committed");
	struct store_history_row *rows = NULL;
	size_t n = 0;
	store_session_history(s, "acme", "s_t", 1, &rows, &n);
	ok(n == 1, "and read back");
	if (n == 1) {
		size_t got = strlen(rows[0].out);
		is_int(got, STORE_HISTORY_TEXT_MAX - 1, "cut to 65535 bytes, before the split character");
		ok(got <= STORE_HISTORY_TEXT_MAX && !memcmp(rows[0].out, out, got) &&
			   ((unsigned char)rows[0].out[got - 1] == 0xA9),
		   "a prefix that ends on a whole character");
		ok(rows[0].truncated, "flagged truncated");
		is_str(rows[0].code, "x += 1", "the code is whole");
	}
	store_history_free(rows, n);

	e = exec_of("acme", "s_t", "x_t2", NULL);
	e.out = out;
	e.out_len = STORE_HISTORY_TEXT_MAX;
	out[STORE_HISTORY_TEXT_MAX - 1] = 'y';
	is_int(store_session_commit(s, &e, 0, NULL), 0, "exactly 64 KiB");
	store_session_history(s, "acme", "s_t", 1, &rows, &n);
	ok(n == 1 && strlen(rows[0].out) == STORE_HISTORY_TEXT_MAX && !rows[0].truncated,
	   "is kept whole and not flagged");
	store_history_free(rows, n);

	e = exec_of("acme", "s_t", "x_t3", NULL);
	e.truncated = true;
	store_session_commit(s, &e, 0, NULL);
	store_session_history(s, "acme", "s_t", 1, &rows, &n);
	ok(n == 1 && rows[0].truncated, "a caller's truncated flag is kept");
	store_history_free(rows, n);
	free(out);
}

static void test_tokens(const char *dir, struct store *s)
{
	store_session_create(s, "acme", "s_k1", 60000, true, 0, NULL);
	store_session_create(s, "acme", "s_k2", 60000, true, 0, NULL);
	unsigned a = 0, b = 0, c = 0, a2 = 0, p = 0, o = 0;
	is_int(store_session_token(s, "s_k1", "EMAIL", "a@x.io", 6, &a), 0, "a first e-mail token");
	is_int(store_session_token(s, "s_k1", "EMAIL", "b@x.io", 6, &b), 0, "a second");
	is_int(store_session_token(s, "s_k1", "EMAIL", "c@x.io", 6, &c), 0, "a third");
	ok(a == 1 && b == 2 && c == 3, "numbered 1, 2, 3 (%u %u %u)", a, b, c);
	is_int(store_session_token(s, "s_k1", "EMAIL", "a@x.io", 6, &a2), 0, "the first again");
	is_int(a2, 1, "keeps its number");
	is_int(store_session_token(s, "s_k1", "PHONE", "+15551234", 9, &p), 0, "a phone token");
	is_int(p, 1, "kinds are numbered apart");
	is_int(store_session_token(s, "s_k1", "EMAIL", "b@x.io and more", 6, &b), 0,
	       "a value is its first n bytes");
	is_int(b, 2, "so it is the second e-mail");
	is_int(store_session_token(s, "s_k2", "EMAIL", "c@x.io", 6, &o), 0,
	       "the third value in another session");
	is_int(o, 1, "is 1 there: sessions are numbered apart");

	char *v = NULL;
	is_int(store_session_token_value(s, "s_k1", "EMAIL", 2, &v), 0, "token EMAIL_2 is read back");
	is_str(v, "b@x.io", "as its value");
	free(v);
	is_int(store_session_token_value(s, "s_k2", "EMAIL", 1, &v), 0, "and EMAIL_1 of s_k2");
	is_str(v, "c@x.io", "as its own value");
	free(v);
	is_int(store_session_token_value(s, "s_k1", "EMAIL", 4, &v), -ENOENT, "EMAIL_4 is -ENOENT");
	ok(v == NULL, "with no value");
	is_int(store_session_token_value(s, "s_k1", "CARD", 1, &v), -ENOENT, "CARD_1 too");
	is_int(store_session_token_value(s, "s_k1", "EMAIL", 0, &v), -ENOENT, "number 0 too");

	unsigned x = 0;
	is_int(store_session_token(s, "s_none", "EMAIL", "a@x.io", 6, &x), -ENOENT,
	       "a token of a missing session is -ENOENT");
	ok(peek_int(dir, "SELECT count(*) FROM session_tokens WHERE session_id = 's_none'") == 0,
	   "and nothing is written");
	is_int(store_session_token(s, "s_k1", "email", "a@x.io", 6, &x), -EINVAL,
	       "a lowercase kind is refused");
	is_int(store_session_token(s, "s_k1", "ABCDEFGHIJKLMNOPQ", "a", 1, &x), -EINVAL,
	       "a 17-letter kind is refused");
	is_int(store_session_token(s, "s_k1", "ABCDEFGHIJKLMNOP", "a", 1, &x), 0,
	       "a 16-letter kind is fine");
	is_int(store_session_token(s, "s_k1", "EMAIL", "a\0b", 3, &x), -EINVAL,
	       "a value with a NUL is refused");
	is_int(store_session_token(s, "s_k1", "EMAIL", "", 0, &x), -EINVAL, "an empty value is refused");
	ok(strstr(store_last_error(s), "a@x.io") == NULL, "no message shows a value");
	char *big = malloc(STORE_TOKEN_VALUE_MAX + 1);
	memset(big, 'v', STORE_TOKEN_VALUE_MAX + 1);
	is_int(store_session_token(s, "s_k1", "IBAN", big, STORE_TOKEN_VALUE_MAX + 1, &x), -EINVAL,
	       "a value over STORE_TOKEN_VALUE_MAX is refused");
	is_int(store_session_token(s, "s_k1", "IBAN", big, STORE_TOKEN_VALUE_MAX, &x), 0,
	       "one of STORE_TOKEN_VALUE_MAX bytes is fine");
	free(big);

	/* Deleting the session takes its tokens. */
	store_session_delete(s, "acme", "s_k1");
	ok(peek_int(dir, "SELECT count(*) FROM session_tokens WHERE session_id = 's_k1'") == 0,
	   "deleting a session deletes its tokens");
	is_int(store_session_token_value(s, "s_k1", "EMAIL", 1, &v), -ENOENT, "they read as none");
}

static void test_count(struct store *s)
{
	uint64_t n0 = 0, n1 = 0, n2 = 0;
	is_int(store_sessions_count(s, &n0), 0, "live sessions are counted");
	store_session_create(s, "acme", "s_n1", 60000, false, 0, NULL);
	store_session_create(s, "other", "s_n2", 60000, false, 0, NULL);
	store_session_create(s, "other", "s_n3", 1, false, 0, NULL);
	sleep_ms(5);
	store_sessions_count(s, &n1);
	is_int(n1, n0 + 2, "across tenants, not counting an expired one");
	store_session_delete(s, "other", "s_n2");
	store_sessions_count(s, &n2);
	is_int(n2, n0 + 1, "nor a deleted one");
}

static void test_settings(const char *dir, struct store *s)
{
	char *j = NULL;
	is_int(store_tenant_settings_get(s, "unknown", &j), 0, "settings of an unknown tenant");
	is_str(j, "{}", "are {}");
	free(j);
	ok(peek_int(dir, "SELECT count(*) FROM tenants WHERE name = 'unknown'") == 0,
	   "reading them creates no tenant");
	store_tenant_ensure(s, "plain");
	is_int(store_tenant_settings_get(s, "plain", &j), 0, "settings of a tenant never set");
	is_str(j, "{}", "are {}");
	free(j);

	const char *want = "{\"pii\":{\"default\":true},\"max_sessions\":5}";
	is_int(store_tenant_settings_set(s, "setco", want), 0, "settings are set for a new tenant");
	ok(peek_int(dir, "SELECT count(*) FROM tenants WHERE name = 'setco'") == 1,
	   "which is created");
	is_int(store_tenant_settings_get(s, "setco", &j), 0, "and read back");
	is_str(j, want, "as set");
	free(j);
	is_int(store_tenant_settings_set(s, "setco", "{}"), 0, "replaced");
	store_tenant_settings_get(s, "setco", &j);
	is_str(j, "{}", "as a whole");
	free(j);

	is_int(store_tenant_settings_set(s, "setco", "[1,2]"), -EINVAL, "an array is refused");
	is_int(store_tenant_settings_set(s, "setco", "{\"a\":"), -EINVAL, "broken JSON is refused");
	is_int(store_tenant_settings_set(s, "setco", " {\"a\":1} x"), -EINVAL,
	       "trailing garbage is refused");
	is_int(store_tenant_settings_set(s, "setco", NULL), -EINVAL, "NULL is refused");
	is_int(store_tenant_settings_set(s, "Bad", "{}"), -EINVAL, "a bad tenant is refused");
	is_int(store_tenant_settings_set(s, "fresh", "[]"), -EINVAL, "a refused set for a new tenant");
	ok(peek_int(dir, "SELECT count(*) FROM tenants WHERE name = 'fresh'") == 0,
	   "creates no tenant");
	store_tenant_settings_get(s, "setco", &j);
	is_str(j, "{}", "refusals left the settings alone");
	free(j);
	char *big = malloc(STORE_SETTINGS_MAX + 16);
	memset(big, ' ', STORE_SETTINGS_MAX + 15);
	big[0] = '{';
	big[STORE_SETTINGS_MAX + 14] = '}';
	big[STORE_SETTINGS_MAX + 15] = '\0';
	is_int(store_tenant_settings_set(s, "setco", big), -EINVAL, "settings over 64 KiB are refused");
	free(big);
}

/* Writes the schema an older corral (migrations 001 and 002) left in DIR,
 * with a tenant, a key-less function and an execution in it. */
static int make_v2_database(const char *dir)
{
	char path[512], parent[400];
	snprintf(parent, sizeof parent, "%s", dir);
	*strrchr(parent, '/') = '\0';
	mkdir(parent, 0700);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/corral.db", dir);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
				  "name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",
				  NULL, NULL, NULL);
	for (size_t i = 0; i < 2 && rc == SQLITE_OK; i++) {
		char sql[200];
		rc = sqlite3_exec(db, store_migrations[i].sql, NULL, NULL, NULL);
		snprintf(sql, sizeof sql, "INSERT INTO schema_migrations VALUES (%d, '%s', 1)",
			 store_migrations[i].version, store_migrations[i].name);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
				  "INSERT INTO tenants(name, created_at) VALUES ('acme', 1);"
				  "INSERT INTO functions(tenant_id, name, created_at, latest_version) "
				  "SELECT id, 'hello', 1, 0 FROM tenants WHERE name = 'acme';"
				  "INSERT INTO executions(id, tenant_id, status, started_at, wall_ms, "
				  "cpu_ms, peak_memory_bytes) SELECT 'x_old', id, 'ok', 1, 1, 1, 1 "
				  "FROM tenants WHERE name = 'acme';",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		diag("make_v2_database: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static void test_migration_from_002(void)
{
	char dir[256], got[128];
	new_dir(dir, sizeof dir);
	ok(store_schema_latest() >= 3 && store_migrations_count >= 3 &&
		   store_migrations[2].version == 3 && !strcmp(store_migrations[2].name, "sessions"),
	   "this binary knows migration 003_sessions");
	is_int(make_v2_database(dir), SQLITE_OK, "a database as migration 002 left it");
	ok(peek_int(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ('sessions', "
			 "'session_history', 'session_tokens')") == 0,
	   "it has no session tables");

	struct store *s = open_ok(dir);
	ok(s != NULL, "opening it migrates it");
	if (!s)
		return;
	int v = 0;
	store_schema_version(s, &v);
	is_int(v, store_schema_latest(), "to the newest version");
	peek(dir, "SELECT group_concat(version) FROM schema_migrations", got, sizeof got);
	ok(!strncmp(got, "1,2,3", 5), "003 is recorded after 001 and 002 (%s)", got);
	peek(dir, "SELECT group_concat(applied_at) FROM schema_migrations WHERE version <= 2", got,
	     sizeof got);
	is_str(got, "1,1", "001 and 002 were not applied again");
	ok(peek_int(dir, "SELECT count(*) FROM sqlite_master WHERE name IN ('sessions', "
			 "'session_history', 'session_tokens')") == 3,
	   "the session tables exist");
	peek(dir, "SELECT settings FROM tenants WHERE name = 'acme'", got, sizeof got);
	is_str(got, "{}", "the old tenant has settings {}");
	ok(peek_int(dir, "SELECT count(*) FROM functions WHERE name = 'hello'") == 1 &&
		   peek_int(dir, "SELECT count(*) FROM executions WHERE id = 'x_old'") == 1,
	   "its function and execution are kept");
	struct store_execution e;
	is_int(store_execution_get(s, "x_old", &e), 0, "the old execution reads back");
	store_execution_release(&e);
	is_int(store_session_create(s, "acme", "s_mig", 60000, false, 0, NULL), 0,
	       "the old tenant can create a session");
	char *j = NULL;
	is_int(store_tenant_settings_get(s, "acme", &j), 0, "and read its settings");
	is_str(j, "{}", "as {}");
	free(j);
	store_close(s);
	s = open_ok(dir);
	peek(dir, "SELECT count(*) FROM schema_migrations", got, sizeof got);
	char want[16];
	snprintf(want, sizeof want, "%zu", store_migrations_count);
	ok(s && !strcmp(got, want), "reopening applies nothing again");
	store_close(s);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Not pass/fail: the figures go into the log for the benchmark to compare. */
static void test_timing(void)
{
	char dir[256];
	new_dir(dir, sizeof dir);
	struct store *s = open_ok(dir);
	ok(s != NULL, "a store for the timings");
	if (!s)
		return;
	/* Some company: 2,000 sessions of 20 tenants, 3 executions each. */
	char state[10 * 1024 + 1];
	memset(state, 'x', sizeof state - 1);
	memcpy(state, "{\"v\":\"", 6);
	memcpy(state + sizeof state - 3, "\"}", 2);
	state[sizeof state - 1] = '\0';
	store_batch_begin(s);
	for (int i = 0; i < 2000; i++) {
		char t[16], id[32], xid[32];
		snprintf(t, sizeof t, "t%d", i % 20);
		snprintf(id, sizeof id, "s_bg%d", i);
		store_session_create(s, t, id, 600000, false, 0, NULL);
		for (int k = 0; k < 3; k++) {
			snprintf(xid, sizeof xid, "x_bg%d_%d", i, k);
			struct store_session_exec e = exec_of(t, id, xid, state);
			store_session_commit(s, &e, 20, NULL);
		}
	}
	store_batch_commit(s);
	store_session_create(s, "acme", "s_time", 600000, false, 0, NULL);

	enum { N = 1000 };
	static double t_get[N], t_commit[N];
	int fails = 0;
	for (int i = 0; i < N; i++) {
		char xid[32];
		snprintf(xid, sizeof xid, "x_time%d", i);
		state[7] = (char)('a' + i % 26); /* a new state each time */
		struct store_session_exec e = exec_of("acme", "s_time", xid, state);
		e.out = "some output\n";
		e.out_len = 12;
		struct store_session g;
		double t0 = mono_us();
		fails += store_session_get(s, "acme", "s_time", true, &g) != 0;
		double t1 = mono_us();
		fails += store_session_commit(s, &e, 50, NULL) != 0;
		double t2 = mono_us();
		store_session_release(&g);
		t_get[i] = t1 - t0;
		t_commit[i] = t2 - t1;
	}
	is_int(fails, 0, "%d gets and commits of a 10 KB state all succeed", N);
	qsort(t_get, N, sizeof t_get[0], cmp_double);
	qsort(t_commit, N, sizeof t_commit[0], cmp_double);
	diag("timing: store_session_get (with 10 KB state): median %.1f us, p99 %.1f us, max %.1f us",
	     t_get[N / 2], t_get[N * 99 / 100], t_get[N - 1]);
	diag("timing: store_session_commit (10 KB state + history row, keep 50): median %.1f us, "
	     "p99 %.1f us, max %.1f us", t_commit[N / 2], t_commit[N * 99 / 100], t_commit[N - 1]);
	/* Loose bounds (10x the targets), so a slow CI box does not fail. */
	ok(t_get[N / 2] < 10000 && t_commit[N / 2] < 50000,
	   "median get < 10 ms and commit < 50 ms (targets: 1 ms, 5 ms)");
	store_close(s);
}

int main(void)
{
	snprintf(root, sizeof root, "%s/corral-test-store-sessions-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		printf("Bail out! cannot create a temporary directory: %s\n", strerror(errno));
		return 1;
	}

	char dir[256];
	new_dir(dir, sizeof dir);
	struct store *s = open_ok(dir);
	if (!s) {
		printf("Bail out! cannot open a store in '%s'\n", dir);
		return 1;
	}
	store_tenant_ensure(s, "acme");
	test_create_get_delete(dir, s);
	test_wrong_tenant(s);
	test_expiry(dir, s);
	test_max_live(dir, s);
	test_commit(dir, s);
	test_commit_in_batch(dir, s);
	test_history(s);
	test_truncation(s);
	test_tokens(dir, s);
	test_count(s);
	test_settings(dir, s);
	store_close(s);
	test_migration_from_002();
	test_timing();

	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
