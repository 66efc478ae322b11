/* api_common — see api_common.h. */
#include "supervisor/api/api_common.h"
#include "supervisor/serve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"
#include "common/outcome.h"
#include "supervisor/filter.h"
#include "supervisor/log.h"
#include "supervisor/store/store.h"

/* --- answers ------------------------------------------------------------ */

void api__respond_json(struct http_req *r, int status, const struct buf *b)
{
	http_respond(r, status, "application/json", b->data ? b->data : "{}", b->len);
}

void api__error_json(struct http_req *r, int status, const char *code, const char *field,
		     const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct buf b = BUF_INIT(4096);
	buf_puts(&b, "{\"error\":{\"code\":");
	json_put_cstr(&b, code);
	buf_puts(&b, ",\"message\":");
	json_put_cstr(&b, msg);
	if (field) {
		buf_puts(&b, ",\"field\":");
		json_put_cstr(&b, field);
	}
	buf_puts(&b, "}}");
	api__respond_json(r, status, &b);
	buf_release(&b);
}

/* The compatibility route's errors are a plain string. */
void api__error_compat(struct http_req *r, int status, const char *msg)
{
	struct buf b = BUF_INIT(4096);
	buf_puts(&b, "{\"error\":");
	json_put_cstr(&b, msg);
	buf_putc(&b, '}');
	api__respond_json(r, status, &b);
	buf_release(&b);
}

bool api__unsent_full(struct api *a, struct http_req *r, bool compat)
{
	uint64_t cap = a->cfg->max_unsent_mb << 20;
	if (!a->http || !cap || http_unsent_bytes(a->http) <= cap)
		return false;
	api__retry_after(r, 1);
	char msg[200];
	snprintf(msg, sizeof msg, "answers other clients have not read yet hold more than %llu MB; retry later",
		 (unsigned long long)a->cfg->max_unsent_mb);
	if (compat)
		api__error_compat(r, 503, msg);
	else
		api__error_json(r, 503, "overloaded", NULL, "%s", msg);
	return true;
}

void api__retry_after(struct http_req *r, unsigned s)
{
	char v[16];
	snprintf(v, sizeof v, "%u", s ? s : 1);
	http_add_header(r, "Retry-After", v);
}

/* --- auth --------------------------------------------------------------- */

/* Sets tenant and returns true, or answers 401 and returns false. */
bool api__authenticate(struct api *a, struct http_req *r, char tenant[65], bool compat)
{
	const char *h = http_header(r, "Authorization");
	if (a->dev_mode && !h) {
		snprintf(tenant, 65, "default");
		return true;
	}
	const char *why = NULL;
	if (!h)
		why = "an API key is required: Authorization: Bearer <key>";
	else if (strncasecmp(h, "Bearer ", 7) != 0)
		why = "the Authorization header must be 'Bearer <key>'";
	if (!why) {
		struct store_key_match m;
		const char *key = h + 7;
		while (*key == ' ')
			key++;
		if (a->store && store_key_lookup(a->store, key, &m) == 0) {
			snprintf(tenant, 65, "%s", m.tenant);
			return true;
		}
		if (a->dev_mode) {
			snprintf(tenant, 65, "default");
			return true;
		}
		why = "the API key is unknown or revoked";
	}
	http_add_header(r, "WWW-Authenticate", "Bearer");
	if (compat)
		api__error_compat(r, 401, why);
	else
		api__error_json(r, 401, "unauthorized", NULL, "%s", why);
	return false;
}


/* --- execution records ---------------------------------------------------- */

struct api_record {
	struct store_execution e;
	struct api_record *next;
};

/* Queues the execution for api__records_flush: one transaction per loop
 * turn instead of one commit per execution. */
void api__record(struct api *a, const char *id, const char *tenant, const struct result *res,
		 const struct buf *logs)
{
	if (!a->store)
		return;
	struct api_record *rec = calloc(1, sizeof *rec);
	if (!rec)
		return;
	struct store_execution *e = &rec->e;
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
	snprintf(e->status, sizeof e->status, "%s", outcome_name(res->status));
	e->wall_ms = (double)res->wall_ns / 1e6;
	e->cpu_ms = (double)res->cpu_ns / 1e6;
	e->peak_memory_bytes = res->peak_memory;
	size_t n = logs->len < STORE_EXEC_LOGS_MAX ? logs->len : STORE_EXEC_LOGS_MAX;
	e->logs = strndup(logs->data ? logs->data : "", n);
	rec->next = a->records;
	a->records = rec;
}

void api__records_flush(struct api *a)
{
	if (!a->records)
		return;
	bool batch = store_batch_begin(a->store) == 0;
	while (a->records) {
		struct api_record *rec = a->records;
		a->records = rec->next;
		if (store_execution_record(a->store, &rec->e))
			log_msg(LOG_WARN, "store", "cannot record execution %s: %s", rec->e.id,
				store_last_error(a->store));
		free(rec->e.logs);
		free(rec);
	}
	if (batch && store_batch_commit(a->store))
		log_msg(LOG_WARN, "store", "cannot commit execution records: %s", store_last_error(a->store));
}

void api__filter_error(struct filter *f, struct result *res)
{
	char **fields[] = { &res->err_name, &res->err_message, &res->err_stack };
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (*fields[i])
			filter_str(f, fields[i]);
}
