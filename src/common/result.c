/* result — see result.h. */
#include "common/result.h"
#include "common/rand.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/json.h"

void result_init(struct result *r)
{
	memset(r, 0, sizeof *r);
	r->status = OUTCOME_INTERNAL;
	r->exit_code = -1;
}

int result_exit_code(const struct result *r)
{
	return r->exit_code >= 0 ? r->exit_code : outcome_exit_code(r->status);
}

void result_release(struct result *r)
{
	free(r->result_json);
	free(r->err_name);
	free(r->err_message);
	free(r->err_stack);
	free(r->state);
	result_init(r);
}

void result_set_error(struct result *r, const char *name, const char *message)
{
	free(r->err_name);
	free(r->err_message);
	free(r->err_stack);
	r->err_name = strdup(name);
	r->err_message = strdup(message);
	r->err_stack = NULL;
}

static int put_buf(struct buf *b, const char *key, const struct buf *v)
{
	int rc = json_put_key(b, key);
	return rc ? rc : json_put_str(b, v && v->data ? v->data : "", v ? v->len : 0);
}

int result_to_json(const struct result *r, const struct result_output *out, struct buf *b)
{
	int rc = buf_putc(b, '{');
	rc = rc ? rc : json_put_key(b, "id");
	rc = rc ? rc : json_put_cstr(b, r->id);
	rc = rc ? rc : json_put_key(b, "status");
	rc = rc ? rc : json_put_cstr(b, outcome_name(r->status));
	rc = rc ? rc : json_put_key(b, "result");
	rc = rc ? rc : buf_puts(b, r->result_json && r->result_json[0] ? r->result_json : "null");
	if (out) {
		rc = rc ? rc : put_buf(b, "stdout", out->stdout_buf);
		rc = rc ? rc : put_buf(b, "stderr", out->stderr_buf);
		rc = rc ? rc : put_buf(b, "output", out->interleaved);
	}
	rc = rc ? rc : json_put_key(b, "exit_code");
	rc = rc ? rc : buf_printf(b, "%d", result_exit_code(r));
	rc = rc ? rc : json_put_key(b, "error");
	if (r->status == OUTCOME_OK || !r->err_name) {
		rc = rc ? rc : buf_puts(b, "null");
	} else {
		rc = rc ? rc : buf_putc(b, '{');
		rc = rc ? rc : json_put_key(b, "name");
		rc = rc ? rc : json_put_cstr(b, r->err_name);
		rc = rc ? rc : json_put_key(b, "message");
		rc = rc ? rc : json_put_cstr(b, r->err_message ? r->err_message : "");
		rc = rc ? rc : json_put_key(b, "stack");
		rc = rc ? rc : json_put_cstr(b, r->err_stack);
		if (r->err_line) {
			rc = rc ? rc : json_put_key(b, "line");
			rc = rc ? rc : buf_printf(b, "%llu", (unsigned long long)r->err_line);
			rc = rc ? rc : json_put_key(b, "column");
			rc = rc ? rc : buf_printf(b, "%llu", (unsigned long long)r->err_column);
		}
		if (r->signal) {
			rc = rc ? rc : json_put_key(b, "signal");
			const char *abbrev = sigabbrev_np(r->signal);
			rc = rc ? rc : buf_printf(b, "\"SIG%s\"", abbrev ? abbrev : "UNKNOWN");
		}
		rc = rc ? rc : buf_putc(b, '}');
	}
	rc = rc ? rc : json_put_key(b, "usage");
	rc = rc ? rc : buf_printf(b, "{\"wall_ms\":%.3f,\"cpu_ms\":%.3f,\"peak_memory_bytes\":%llu}",
				  (double)r->wall_ns / 1e6, (double)r->cpu_ns / 1e6,
				  (unsigned long long)r->peak_memory);
	rc = rc ? rc : json_put_key(b, "truncated");
	rc = rc ? rc : buf_puts(b, r->truncated ? "true" : "false");
	rc = rc ? rc : buf_putc(b, '}');
	return rc;
}

int result_new_id(char *out, size_t n)
{
	unsigned char raw[8];
	int rc = rand_bytes(raw, sizeof raw);
	if (rc) {
		if (n)
			out[0] = '\0';
		return rc;
	}
	snprintf(out, n, "x_%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3], raw[4],
		 raw[5], raw[6], raw[7]);
	return 0;
}
