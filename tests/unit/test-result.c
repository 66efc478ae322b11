/* test-result — the result object of API.md: exact JSON for an ok, an error
 * and a killed execution, which jansson must also read back. */
#include "common/result.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tap.h"

/* Renders r (and out, if any); the caller frees the text. */
static char *render(const struct result *r, const struct result_output *out)
{
	struct buf b = BUF_INIT(1 << 20);
	if (result_to_json(r, out, &b)) {
		buf_release(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Parses s strictly (no duplicate keys; NUL allowed, as stdout may hold one); NULL with a diagnostic if it fails. */
static json_t *parse(const char *s)
{
	json_error_t je;
	json_t *j = s ? json_loads(s, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je) : NULL;
	if (s && !j)
		diag("jansson: %s at column %d", je.text, je.column);
	return j;
}

static const char *jstr(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);
	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

static void test_ok(void)
{
	struct result r;
	result_init(&r);
	ok(r.status == OUTCOME_INTERNAL && !r.result_json && !r.err_name && !r.signal,
	   "result_init: internal until told otherwise, no strings");
	snprintf(r.id, sizeof r.id, "ex_01");
	r.status = OUTCOME_OK;
	r.result_json = strdup("{\"a\":[1,2,\"three\"]}");
	r.wall_ns = 1500000;
	r.cpu_ns = 250000;
	r.peak_memory = 1048576;
	struct buf so = BUF_INIT(1024), se = BUF_INIT(1024), all = BUF_INIT(1024);
	buf_puts(&so, "hi\n");
	buf_puts(&all, "hi\n");
	struct result_output out = { &so, &se, &all };

	char *s = render(&r, &out);
	is_str(s,
	       "{\"id\":\"ex_01\",\"status\":\"ok\",\"result\":{\"a\":[1,2,\"three\"]},"
	       "\"stdout\":\"hi\\n\",\"stderr\":\"\",\"output\":\"hi\\n\",\"exit_code\":0,\"error\":null,"
	       "\"usage\":{\"wall_ms\":1.500,\"cpu_ms\":0.250,\"peak_memory_bytes\":1048576},"
	       "\"truncated\":false}",
	       "ok result, exact JSON");
	json_t *j = parse(s);
	ok(j, "ok result parses with jansson");
	is_str(jstr(j, "status", NULL), "ok", "json status");
	ok(json_is_null(json_object_get(j, "error")), "json error is null");
	is_int(json_integer_value(json_object_get(j, "exit_code")), 0, "json exit_code");
	ok(json_real_value(json_object_get(json_object_get(j, "usage"), "wall_ms")) == 1.5, "json usage.wall_ms");
	ok(json_is_object(json_object_get(j, "result")), "result spliced in as JSON, not as a string");
	ok(json_array_size(json_object_get(json_object_get(j, "result"), "a")) == 3, "json result.a has 3 items");
	json_decref(j);
	free(s);

	s = render(&r, NULL);
	is_str(s,
	       "{\"id\":\"ex_01\",\"status\":\"ok\",\"result\":{\"a\":[1,2,\"three\"]},\"exit_code\":0,"
	       "\"error\":null,\"usage\":{\"wall_ms\":1.500,\"cpu_ms\":0.250,\"peak_memory_bytes\":1048576},"
	       "\"truncated\":false}",
	       "without output, no stdout/stderr/output keys");
	free(s);

	/* Status ok hides an error even if one was recorded. */
	result_set_error(&r, "Error", "ignored");
	free(r.result_json);
	r.result_json = NULL;
	s = render(&r, NULL);
	ok(s && strstr(s, "\"result\":null") && strstr(s, "\"error\":null"), "ok with NULL result: result and error null");
	free(s);
	r.result_json = strdup("");
	s = render(&r, NULL);
	ok(s && strstr(s, "\"result\":null"), "empty result text is null");
	free(s);
	result_release(&r);
	ok(!r.result_json && !r.err_name && r.status == OUTCOME_INTERNAL, "result_release frees and re-inits");
	buf_release(&so);
	buf_release(&se);
	buf_release(&all);
}

static void test_error(void)
{
	struct result r;
	result_init(&r);
	snprintf(r.id, sizeof r.id, "ex_02");
	r.status = OUTCOME_ERROR;
	result_set_error(&r, "TypeError", "x is not a \"function\"");
	r.err_stack = strdup("TypeError: x is not a \"function\"\n    at main.js:3:5");
	r.err_line = 3;
	r.err_column = 5;
	r.wall_ns = 2000000;
	r.cpu_ns = 1999999;
	r.peak_memory = 0;
	struct buf so = BUF_INIT(1024), se = BUF_INIT(1024), all = BUF_INIT(1024);
	buf_append(&so, "a\0b", 3);
	buf_puts(&se, "bad \xff byte");
	struct result_output out = { &so, &se, &all };

	char *s = render(&r, &out);
	is_str(s,
	       "{\"id\":\"ex_02\",\"status\":\"error\",\"result\":null,\"stdout\":\"a\\u0000b\","
	       "\"stderr\":\"bad \xef\xbf\xbd byte\",\"output\":\"\",\"exit_code\":1,"
	       "\"error\":{\"name\":\"TypeError\",\"message\":\"x is not a \\\"function\\\"\","
	       "\"stack\":\"TypeError: x is not a \\\"function\\\"\\n    at main.js:3:5\",\"line\":3,\"column\":5},"
	       "\"usage\":{\"wall_ms\":2.000,\"cpu_ms\":2.000,\"peak_memory_bytes\":0},\"truncated\":false}",
	       "error result, exact JSON");
	json_t *j = parse(s);
	ok(j, "error result parses with jansson");
	is_str(jstr(j, "error", "name"), "TypeError", "json error.name");
	is_str(jstr(j, "error", "message"), "x is not a \"function\"", "json error.message unescaped");
	is_int(json_integer_value(json_object_get(json_object_get(j, "error"), "line")), 3, "json error.line");
	is_int(json_integer_value(json_object_get(json_object_get(j, "error"), "column")), 5, "json error.column");
	ok(!json_object_get(json_object_get(j, "error"), "signal"), "no signal key for a thrown error");
	json_decref(j);
	free(s);

	/* Without a line, neither line nor column; result_set_error drops the stack. */
	r.err_line = 0;
	result_set_error(&r, "Error", "");
	r.status = OUTCOME_TIMEOUT;
	s = render(&r, NULL);
	ok(s && strstr(s, "\"error\":{\"name\":\"Error\",\"message\":\"\",\"stack\":null}"),
	   "no line: no line/column keys; stack null after result_set_error");
	ok(s && strstr(s, "\"status\":\"timeout\"") && strstr(s, "\"exit_code\":124"), "timeout exits 124");
	free(s);

	/* A status other than ok without an error name renders error null. */
	free(r.err_name);
	r.err_name = NULL;
	r.status = OUTCOME_INTERNAL;
	s = render(&r, NULL);
	ok(s && strstr(s, "\"error\":null") && strstr(s, "\"exit_code\":125"), "internal without a name: error null, exit 125");
	free(s);
	result_release(&r);
	buf_release(&so);
	buf_release(&se);
	buf_release(&all);
}

static void test_killed(void)
{
	struct result r;
	result_init(&r);
	snprintf(r.id, sizeof r.id, "ex_03");
	r.status = OUTCOME_KILLED;
	r.signal = SIGSYS;
	result_set_error(&r, "KilledError", "sandbox violation: a forbidden system call (SIGSYS)");
	r.truncated = true;
	r.wall_ns = 12345678;
	r.cpu_ns = 1;
	r.peak_memory = 7;

	char *s = render(&r, NULL);
	is_str(s,
	       "{\"id\":\"ex_03\",\"status\":\"killed\",\"result\":null,\"exit_code\":125,"
	       "\"error\":{\"name\":\"KilledError\",\"message\":\"sandbox violation: a forbidden system call (SIGSYS)\","
	       "\"stack\":null,\"signal\":\"SIGSYS\"},"
	       "\"usage\":{\"wall_ms\":12.346,\"cpu_ms\":0.000,\"peak_memory_bytes\":7},\"truncated\":true}",
	       "killed result, exact JSON");
	json_t *j = parse(s);
	ok(j, "killed result parses with jansson");
	is_str(jstr(j, "error", "signal"), "SIGSYS", "json error.signal is \"SIGSYS\"");
	ok(json_is_true(json_object_get(j, "truncated")), "json truncated is true");
	json_decref(j);
	free(s);

	r.signal = SIGKILL;
	s = render(&r, NULL);
	ok(s && strstr(s, "\"signal\":\"SIGKILL\""), "SIGKILL is named SIGKILL");
	free(s);
	r.signal = SIGSEGV;
	s = render(&r, NULL);
	ok(s && strstr(s, "\"signal\":\"SIGSEGV\""), "SIGSEGV is named SIGSEGV");
	free(s);
	r.signal = 200;
	s = render(&r, NULL);
	ok(s && strstr(s, "\"signal\":\"SIGUNKNOWN\""), "an unknown signal number renders SIGUNKNOWN");
	json_t *u = parse(s);
	ok(u, "and still parses");
	json_decref(u);
	free(s);
	result_release(&r);
}

static void test_limits(void)
{
	struct result r;
	result_init(&r);
	r.status = OUTCOME_MEMORY_LIMIT;
	result_set_error(&r, "MemoryLimitError", "too much");
	struct buf small = BUF_INIT(50);
	is_int(result_to_json(&r, NULL, &small), -ENOBUFS, "rendering into a buf that is too small fails");
	ok(small.len <= 50 && (!small.data || small.data[small.len] == '\0'), "and leaves a sane buf");
	buf_release(&small);

	/* Every outcome renders to JSON jansson accepts, with its exit code. */
	int good = 1;
	for (int o = 0; o < OUTCOME__COUNT; o++) {
		r.status = (enum outcome)o;
		char *s = render(&r, NULL);
		json_t *j = parse(s);
		const char *st = j ? jstr(j, "status", NULL) : NULL;
		good &= st && !strcmp(st, outcome_name((enum outcome)o)) &&
			json_integer_value(json_object_get(j, "exit_code")) == outcome_exit_code((enum outcome)o);
		json_decref(j);
		free(s);
	}
	ok(good, "every outcome renders valid JSON with its name and exit code");
	result_release(&r);
}


/* A message the text form cannot hold (lone surrogate, NUL) is given as the
 * worker's JSON string; result_set_error drops it with the old message. */
static void test_message_json(void)
{
	struct result r;
	result_init(&r);
	snprintf(r.id, sizeof r.id, "ex_05");
	r.status = OUTCOME_ERROR;
	result_set_error(&r, "Error", "m\xef\xbf\xbd");
	r.err_message_json = strdup("\"m\\udc00\\u0000z\"");
	char *s = render(&r, NULL);
	ok(s && strstr(s, "\"message\":\"m\\udc00\\u0000z\","), "the message is the JSON form");
	free(s);
	result_set_error(&r, "Error", "other");
	ok(!r.err_message_json, "result_set_error drops the JSON form");
	s = render(&r, NULL);
	ok(s && strstr(s, "\"message\":\"other\","), "and the new text is shown");
	free(s);
	result_release(&r);
}

int main(void)
{
	test_ok();
	test_error();
	test_killed();
	test_limits();
	test_message_json();
	return done_testing();
}
