/* api_fn — function mode over HTTP: deploy packages, list and delete
 * functions and versions, set their env, and invoke them.
 *
 *   PUT    /v1/functions/{name}            tar.gz, zip or JSON {files, env, timeout_ms, memory_mb}
 *   GET    /v1/functions                   the tenant's functions
 *   GET    /v1/functions/{name}            its versions
 *   DELETE /v1/functions/{name}
 *   PUT    /v1/functions/{name}/env        {"KEY": "value"}: replaces the env; reads give names only
 *   GET    /v1/functions/{name}/env
 *   PUT    /v1/functions/{name}/latest     {"version": N}: rollback (or forward)
 *   POST   /v1/functions/{name}/run        {method, path, query, headers, body} → JSON envelope
 *   ANY    /fn/{name}[@{version}][/{path}] the handler's response is the HTTP response
 *
 * An upload is validated whole (package.c) before anything is stored; every
 * refusal is a 400 naming the offending entry. A worker is bound to one
 * function version of one tenant and gets the package once; later
 * invocations find the handler loaded (X-Corral-Warm: 1). */
#include "supervisor/api/api_fn.h"
#include "supervisor/api/api_settings.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/ipc.h"
#include "supervisor/filter.h"
#include "supervisor/log.h"
#include "supervisor/metrics.h"
#include "supervisor/package.h"
#include "supervisor/pool.h"
#include "supervisor/ratelimit.h"
#include "supervisor/serve.h"
#include "supervisor/store/store.h"
#include "common/clock.h"
#include "common/json.h"

#define PKG_CACHE 32

/* Packages kept parsed in the supervisor, by hash: binding a worker sends
 * one; a job holds a reference while it runs. */
struct pkg_entry {
	struct package *p;
	unsigned refs;
	uint64_t used;
};
static struct pkg_entry pkg_cache[PKG_CACHE];

static struct package *pkg_get(struct api *a, const char *hash, char err[256])
{
	uint64_t now = clock_mono_ns();
	for (int i = 0; i < PKG_CACHE; i++)
		if (pkg_cache[i].p && !strcmp(pkg_cache[i].p->hash, hash)) {
			pkg_cache[i].refs++;
			pkg_cache[i].used = now;
			return pkg_cache[i].p;
		}
	void *blob = NULL;
	size_t len = 0;
	if (store_package_get(a->store, hash, &blob, &len)) {
		snprintf(err, 256, "the package %.16s… is missing from the store", hash);
		return NULL;
	}
	struct package *p = NULL;
	int rc = package_deserialize(blob, len, hash, &p);
	free(blob);
	if (rc) {
		snprintf(err, 256, "the stored package %.16s… is damaged", hash);
		return NULL;
	}
	int slot = -1;
	for (int i = 0; i < PKG_CACHE; i++) {
		if (!pkg_cache[i].p) {
			slot = i;
			break;
		}
		if (!pkg_cache[i].refs && (slot < 0 || pkg_cache[i].used < pkg_cache[slot].used))
			slot = i;
	}
	if (slot < 0) {
		/* Every cached package is in use: this one is the job's alone. */
		return p;
	}
	package_free(pkg_cache[slot].p);
	pkg_cache[slot] = (struct pkg_entry){ p, 1, now };
	return p;
}

static void pkg_put(struct package *p)
{
	for (int i = 0; i < PKG_CACHE; i++)
		if (pkg_cache[i].p == p) {
			pkg_cache[i].refs--;
			return;
		}
	package_free(p);
}

void api_fn_release(struct api *a)
{
	for (int i = 0; i < PKG_CACHE; i++) {
		package_free(pkg_cache[i].p);
		pkg_cache[i].p = NULL;
	}
}

/* --- the management routes ---------------------------------------------- */

static void store_error(struct http_req *r, struct store *s, int rc, const char *what)
{
	if (rc == -ENOENT)
		api__error_json(r, 404, "not_found", NULL, "%s", store_last_error(s)[0] ? store_last_error(s) : what);
	else if (rc == -EINVAL)
		api__error_json(r, 400, "bad_request", NULL, "%s", store_last_error(s));
	else
		api__error_json(r, 503, "unavailable", NULL, "the store failed: %s", store_last_error(s));
}

static void put_version(struct buf *b, const struct store_version *v)
{
	buf_printf(b, "{\"version\":%d,\"package_hash\":\"%s\",\"files\":%llu,\"bytes\":%llu,\"created_at\":%lld}",
		   v->version, v->package_hash, (unsigned long long)v->files, (unsigned long long)v->bytes,
		   (long long)v->created_at);
}

/* Stores a checked package as a new version and answers 201. Takes
 * ownership of p and root. */
static void deploy_store(struct api *a, struct http_req *r, const char *tenant, const char *name,
			 struct package *p, json_t *root, uint64_t timeout, uint64_t memory)
{
	int rc;
	struct buf blob = BUF_INIT(SIZE_MAX / 2);
	struct store_version v;
	rc = package_serialize(p, &blob);
	if (!rc)
		rc = store_package_put(a->store, p->hash, blob.data, blob.len);
	buf_release(&blob);
	if (!rc)
		rc = store_function_publish(a->store, tenant, name, p->hash, p->nfiles, p->total, timeout, memory, &v);
	json_t *env = root ? json_object_get(root, "env") : NULL;
	if (!rc && env && json_is_object(env)) {
		size_t n = json_object_size(env), i = 0;
		const char **names = calloc(n + 1, sizeof *names), **values = calloc(n + 1, sizeof *values);
		const char *k;
		json_t *val;
		json_object_foreach(env, k, val) {
			names[i] = k;
			values[i] = json_is_string(val) ? json_string_value(val) : NULL;
			i++;
		}
		rc = names && values ? store_function_env_set(a->store, tenant, name, names, values, n) : -ENOMEM;
		free(names);
		free(values);
	}
	if (rc) {
		store_error(r, a->store, rc, "cannot store the function");
	} else {
		struct buf b = BUF_INIT(SIZE_MAX / 2);
		buf_puts(&b, "{\"name\":");
		json_put_cstr(&b, name);
		buf_printf(&b, ",\"version\":%d,\"package_hash\":\"%s\",\"files\":%zu,\"bytes\":%llu,\"entry\":",
			   v.version, p->hash, p->nfiles, (unsigned long long)p->total);
		json_put_cstr(&b, p->entry);
		buf_putc(&b, '}');
		api__respond_json(r, 201, &b);
		buf_release(&b);
	}
	package_free(p);
	json_decref(root);
}

#define DEPLOY_KIND 0x6470 /* "dp" */

/* A deploy waiting for a worker to check that its entry parses. */
struct deploy {
	int kind;
	struct pool_job pj;
	struct api *api;
	struct http_req *r;
	bool running;
	char id[65];
	char tenant[65];
	char name[STORE_FUNCTION_NAME_MAX + 2];
	struct package *p;
	json_t *root;
	uint64_t timeout, memory;
	api_fn_checked_cb then;   /* what stores it once its entry parses */
};

static void deploy_free(struct deploy *d)
{
	package_free(d->p);
	json_decref(d->root);
	free(d);
}

static void deploy_output(struct pool_job *j, int stream, const char *p, size_t n)
{
}

static void deploy_done(struct pool_job *j, struct result *res, bool refused)
{
	struct deploy *d = j->ud;
	d->running = false;
	if (!d->r) {
		deploy_free(d);
		return;
	}
	if (refused) {
		api__retry_after(d->r, 1);
		api__error_json(d->r, 503, "overloaded", NULL, "no worker was free to check the package; retry");
	} else if (res->status == OUTCOME_REJECTED) {
		api__error_json(d->r, 400, "invalid_package", NULL, "entry '%s' does not parse: %s: %s (line %llu, column %llu)",
				d->p->entry, res->err_name ? res->err_name : "SyntaxError",
				res->err_message ? res->err_message : "", (unsigned long long)res->err_line,
				(unsigned long long)res->err_column);
	} else if (res->status != OUTCOME_OK) {
		api__error_json(d->r, 400, "invalid_package", NULL, "entry '%s' could not be checked: %s", d->p->entry,
				res->err_message ? res->err_message : outcome_name(res->status));
	} else {
		d->then(d->api, d->r, d->tenant, d->name, d->p, d->root, d->timeout, d->memory);
		d->p = NULL;
		d->root = NULL;
	}
}

static const struct pool_job_ops deploy_ops = { .output = deploy_output, .done = deploy_done };

/* Before anything is stored, the entry must parse: compiled (never run)
 * in one of the tenant's sandboxed workers, since the supervisor has no
 * engine. Takes ownership of p and root. */
void api_fn_check(struct api *a, struct http_req *r, const char *tenant, const char *name,
		  struct package *p, json_t *root, uint64_t timeout, uint64_t memory, api_fn_checked_cb then)
{
	const struct package_file *entry = package_find(p, p->entry);
	struct deploy *d = calloc(1, sizeof *d);
	if (!d || !entry) {
		api__error_json(r, 503, "overloaded", NULL, "out of memory");
		free(d);
		package_free(p);
		json_decref(root);
		return;
	}
	d->kind = DEPLOY_KIND;
	d->api = a;
	d->r = r;
	d->p = p;
	d->root = root;
	d->timeout = timeout;
	d->memory = memory;
	d->then = then;
	snprintf(d->tenant, sizeof d->tenant, "%s", tenant);
	snprintf(d->name, sizeof d->name, "%s", name);
	if (result_new_id(d->id, sizeof d->id)) {
		api__error_json(r, 503, "unavailable", NULL, "no randomness for an id; retry later");
		deploy_free(d);
		return;
	}
	snprintf(d->pj.tenant, sizeof d->pj.tenant, "%s", tenant);
	d->pj.ops = &deploy_ops;
	d->pj.ud = d;
	d->pj.job = (struct wproc_job){
		.id = d->id,
		.code = (const char *)entry->data,
		.code_len = entry->len,
		.filename = p->entry,
		.timeout_ms = 10000,
		.output_cap = 1024,
		.check = true,
	};
	http_set_app(r, d);
	d->running = true;
	if (pool_submit(a->pool, &d->pj)) {
		d->running = false;
		http_set_app(r, NULL);
		api__retry_after(r, 1);
		api__error_json(r, 503, "overloaded", NULL, "every worker is busy and the queue is full");
		deploy_free(d);
	}
}

int api_fn_deploy_kind(const void *app)
{
	return app && *(const int *)app == DEPLOY_KIND;
}

void api_fn_deploy_closed(struct api *a, void *app)
{
	struct deploy *d = app;
	d->r = NULL;
	if (d->running) {
		pool_cancel(a->pool, &d->pj);
		d->running = false;
	}
	deploy_free(d);
}

int api_fn_parse_upload(struct api *a, struct http_req *r, struct package **out, json_t **root_out,
			uint64_t *timeout_out, uint64_t *memory_out)
{
	*out = NULL;
	*root_out = NULL;
	*timeout_out = *memory_out = 0;
	const char *ctype = http_header(r, "Content-Type");
	enum package_format fmt;
	if (!ctype || package_format_from_type(ctype, &fmt)) {
		api__error_json(r, 415, "unsupported_media_type", NULL,
				"upload the package as application/gzip (tar.gz), application/zip or application/json");
		return -1;
	}
	if (http_body_too_large(r)) {
		api__error_json(r, 413, "body_too_large", NULL, "the package is over the %llu-byte cap",
				(unsigned long long)a->cfg->max_package);
		return -1;
	}
	const struct buf *body = http_body(r);
	uint64_t timeout = 0, memory = 0;
	json_t *root = NULL;
	if (fmt == PACKAGE_JSON) {
		json_error_t jerr;
		root = json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &jerr);
		if (!root || !json_is_object(root)) {
			api__error_json(r, 400, "invalid_json", NULL, "the body is not a JSON object: %s", root ? "" : jerr.text);
			json_decref(root);
			return -1;
		}
		json_t *t = json_object_get(root, "timeout_ms"), *m = json_object_get(root, "memory_mb");
		if (t && (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > CONFIG_TIMEOUT_MS_MAX)) {
			api__error_json(r, 400, "invalid_field", "timeout_ms", "timeout_ms must be an integer from 1 to %d", CONFIG_TIMEOUT_MS_MAX);
			json_decref(root);
			return -1;
		}
		if (m && (!json_is_integer(m) || json_integer_value(m) < CONFIG_MEMORY_MB_MIN ||
			  (uint64_t)json_integer_value(m) > a->cfg->max_memory_mb)) {
			api__error_json(r, 400, "invalid_field", "memory_mb", "memory_mb must be an integer from %d to %llu",
					CONFIG_MEMORY_MB_MIN, (unsigned long long)a->cfg->max_memory_mb);
			json_decref(root);
			return -1;
		}
		timeout = t ? (uint64_t)json_integer_value(t) : 0;
		memory = m ? (uint64_t)json_integer_value(m) : 0;
	}
	struct package *p = NULL;
	char perr[PACKAGE_ERR_LEN];
	struct package_limits lim = package_limits_default;
	lim.max_total_bytes = a->cfg->max_package;
	lim.max_file_bytes = a->cfg->max_package;
	int rc = package_parse(fmt, body->data ? body->data : "", body->len, &lim, &p, perr);
	if (rc) {
		api__error_json(r, rc == -ENOMEM ? 503 : 400, rc == -E2BIG ? "package_too_large" : "invalid_package",
				NULL, "%s", perr);
		json_decref(root);
		return -1;
	}
	*out = p;
	*root_out = root;
	*timeout_out = timeout;
	*memory_out = memory;
	return 0;
}

static void fn_deploy(struct api *a, struct http_req *r, const char *tenant, const char *name)
{
	struct package *p;
	json_t *root;
	uint64_t timeout, memory;
	if (api_fn_parse_upload(a, r, &p, &root, &timeout, &memory))
		return;
	api_fn_check(a, r, tenant, name, p, root, timeout, memory, deploy_store);
}

static void fn_env_put(struct api *a, struct http_req *r, const char *tenant, const char *name)
{
	const struct buf *body = http_body(r);
	json_error_t jerr;
	json_t *root = json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root || !json_is_object(root)) {
		api__error_json(r, 400, "invalid_json", NULL, "the body must be a JSON object of string values");
		json_decref(root);
		return;
	}
	size_t n = json_object_size(root), i = 0;
	const char **names = calloc(n + 1, sizeof *names), **values = calloc(n + 1, sizeof *values);
	const char *k;
	json_t *val;
	bool bad = false;
	json_object_foreach(root, k, val) {
		if (!json_is_string(val))
			bad = true;
		names[i] = k;
		values[i] = json_string_value(val);
		i++;
	}
	int rc = bad ? -EINVAL : store_function_env_set(a->store, tenant, name, names, values, n);
	free(names);
	free(values);
	json_decref(root);
	if (bad)
		api__error_json(r, 400, "invalid_field", "env", "env values must be strings");
	else if (rc)
		store_error(r, a->store, rc, "no such function");
	else {
		struct buf b = BUF_INIT(64);
		buf_puts(&b, "{\"updated\":true}");
		api__respond_json(r, 200, &b);
		buf_release(&b);
	}
}

static void fn_env_get(struct api *a, struct http_req *r, const char *tenant, const char *name)
{
	char **names = NULL;
	size_t n = 0;
	int rc = store_function_env_names(a->store, tenant, name, &names, &n);
	if (rc) {
		store_error(r, a->store, rc, "no such function");
		return;
	}
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, "{\"names\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ',');
		json_put_cstr(&b, names[i]);
	}
	buf_puts(&b, "]}");
	store_strings_free(names, n);
	api__respond_json(r, 200, &b);
	buf_release(&b);
}

static void fn_versions(struct api *a, struct http_req *r, const char *tenant, const char *name)
{
	struct store_function f;
	struct store_version *v = NULL;
	size_t n = 0;
	int rc = store_function_get(a->store, tenant, name, &f);
	if (!rc)
		rc = store_function_versions(a->store, tenant, name, &v, &n);
	if (rc) {
		store_error(r, a->store, rc, "no such function");
		return;
	}
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, "{\"name\":");
	json_put_cstr(&b, f.name);
	buf_printf(&b, ",\"latest\":%d,\"timeout_ms\":%llu,\"memory_mb\":%llu,\"versions\":[", f.latest_version,
		   (unsigned long long)f.timeout_ms, (unsigned long long)f.memory_mb);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ',');
		put_version(&b, &v[i]);
	}
	buf_puts(&b, "]}");
	free(v);
	api__respond_json(r, 200, &b);
	buf_release(&b);
}

static void fn_list(struct api *a, struct http_req *r, const char *tenant)
{
	struct store_function *f = NULL;
	size_t n = 0;
	int rc = store_function_list(a->store, tenant, &f, &n);
	if (rc) {
		store_error(r, a->store, rc, "cannot list functions");
		return;
	}
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, "{\"functions\":[");
	for (size_t i = 0; i < n; i++) {
		buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
		json_put_cstr(&b, f[i].name);
		buf_printf(&b, ",\"latest\":%d,\"created_at\":%lld}", f[i].latest_version, (long long)f[i].created_at);
	}
	buf_puts(&b, "]}");
	free(f);
	api__respond_json(r, 200, &b);
	buf_release(&b);
}

static void fn_set_latest(struct api *a, struct http_req *r, const char *tenant, const char *name)
{
	const struct buf *body = http_body(r);
	json_t *root = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
	json_t *v = root ? json_object_get(root, "version") : NULL;
	if (!v || !json_is_integer(v) || json_integer_value(v) < 1) {
		api__error_json(r, 400, "invalid_field", "version", "version must be an existing version number (>= 1)");
		json_decref(root);
		return;
	}
	int rc = store_function_set_latest(a->store, tenant, name, (int)json_integer_value(v));
	json_decref(root);
	if (rc)
		store_error(r, a->store, rc, "no such function or version");
	else
		fn_versions(a, r, tenant, name);
}

void api_fn_functions(struct api *a, struct http_req *r, const char *path)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	const char *method = http_method(r);
	const char *rest = path + strlen("/v1/functions");
	if (!*rest || !strcmp(rest, "/")) {
		if (strcmp(method, "GET"))
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on /v1/functions", method);
		else
			fn_list(a, r, tenant);
		return;
	}
	rest++; /* past '/' */
	char name[STORE_FUNCTION_NAME_MAX + 2];
	size_t nl = strcspn(rest, "/");
	const char *sub = rest + nl;
	if (nl >= sizeof name) {
		api__error_json(r, 400, "invalid_field", "name", "function names are %s", STORE_FUNCTION_NAME_RULE);
		return;
	}
	memcpy(name, rest, nl);
	name[nl] = '\0';
	if (!store_function_name_valid(name)) {
		api__error_json(r, 400, "invalid_field", "name", "function names are %s", STORE_FUNCTION_NAME_RULE);
		return;
	}
	if (!*sub) {
		if (!strcmp(method, "PUT") || !strcmp(method, "POST"))
			fn_deploy(a, r, tenant, name);
		else if (!strcmp(method, "GET"))
			fn_versions(a, r, tenant, name);
		else if (!strcmp(method, "DELETE")) {
			int rc = store_function_delete(a->store, tenant, name);
			if (rc)
				store_error(r, a->store, rc, "no such function");
			else
				http_respond(r, 204, NULL, "", 0);
		} else
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed here", method);
	} else if (!strcmp(sub, "/env") && !strcmp(method, "PUT")) {
		fn_env_put(a, r, tenant, name);
	} else if (!strcmp(sub, "/env") && !strcmp(method, "GET")) {
		fn_env_get(a, r, tenant, name);
	} else if (!strcmp(sub, "/latest") && !strcmp(method, "PUT")) {
		fn_set_latest(a, r, tenant, name);
	} else if (!strcmp(sub, "/run") && !strcmp(method, "POST")) {
		api_fn_invoke(a, r, path);
	} else {
		api__error_json(r, 404, "not_found", NULL, "no route %s %.200s", method, path);
	}
}

/* --- invocation ----------------------------------------------------------- */

#define FN_KIND 0x666e /* "fn": tells api.c's closed handler whose app this is */

struct fn_exec {
	int kind;
	struct pool_job pj;
	struct api *api;
	struct http_req *r;
	bool envelope;            /* /run: the JSON envelope, not the raw response */
	bool running, head_sent, rl_held;
	char id[65];
	struct package *pkg;
	char **env;
	size_t nenv;
	struct filter *red;       /* the response: env values only (a body is the handler's) */
	struct filter_stream rs;  /* the response body, as it streams */
	struct filter *flt;       /* logs and errors: env, secret patterns, PII */
	struct api_tenant_cfg *tc; /* held while flt borrows its rules */
	char *method, *url, *path, *ip;
	char **headers;
	size_t nheaders;
	char *body;
	size_t body_len;
	bool has_body;
	int status;               /* the handler's */
	struct buf rhead;         /* envelope: headers as JSON pairs */
	struct buf rbody;         /* envelope: the body */
	struct buf logs;          /* console output */
};

static void fn_free(struct fn_exec *x)
{
	if (!x)
		return;
	if (x->pkg)
		pkg_put(x->pkg);
	store_strings_free(x->env, x->nenv);
	filter_free(x->red);
	filter_stream_release(&x->rs);
	filter_free(x->flt);
	api__tenant_cfg_put(x->tc);
	free(x->method);
	free(x->url);
	free(x->path);
	free(x->ip);
	for (size_t i = 0; i < x->nheaders; i++)
		free(x->headers[i]);
	free(x->headers);
	free(x->body);
	buf_release(&x->rhead);
	buf_release(&x->rbody);
	buf_release(&x->logs);
	free(x);
}

static void fn_output(struct pool_job *j, int stream, const char *p, size_t n)
{
	struct fn_exec *x = j->ud;
	buf_append(&x->logs, p, n);
}

static void fn_head(struct pool_job *j, int status, const char *const *h, size_t n)
{
	struct fn_exec *x = j->ud;
	x->status = status;
	x->head_sent = true;
	if (x->envelope) {
		for (size_t i = 0; i < n; i++) {
			const char *colon = strchr(h[i], ':');
			char *v = strdup(colon + 1 + strspn(colon + 1, " "));
			filter_str(x->red, &v); /* secrets stay out of headers too */
			buf_puts(&x->rhead, x->rhead.len ? ",[" : "[");
			json_put_str(&x->rhead, h[i], (size_t)(colon - h[i]));
			buf_putc(&x->rhead, ',');
			json_put_cstr(&x->rhead, v ? v : "");
			buf_putc(&x->rhead, ']');
			free(v);
		}
		return;
	}
	if (!x->r)
		return;
	char *ctype = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(h[i], ':');
		char name[256];
		size_t nl = (size_t)(colon - h[i]);
		if (nl >= sizeof name)
			continue;
		memcpy(name, h[i], nl);
		name[nl] = '\0';
		char *v = strdup(colon + 1 + strspn(colon + 1, " "));
		if (!v)
			continue;
		filter_str(x->red, &v); /* secrets stay out of headers too */
		if (!strcasecmp(name, "content-type") && !ctype)
			ctype = strdup(v);
		else
			http_add_header(x->r, name, v);
		free(v);
	}
	http_add_header(x->r, "X-Corral-Warm", x->pj.cold ? "0" : "1");
	http_stream_start(x->r, status, ctype);
	free(ctype);
}

static void fn_body(struct pool_job *j, const char *p, size_t n)
{
	struct fn_exec *x = j->ud;
	if (x->envelope) {
		buf_append(&x->rbody, p, n);
	} else if (x->r) {
		struct buf safe = BUF_INIT(SIZE_MAX / 2);
		filter_stream_feed(x->red, &x->rs, p, n, &safe);
		if (safe.len)
			http_stream_write(x->r, safe.data, safe.len);
		buf_release(&safe);
	}
}

static void fn_done(struct pool_job *j, struct result *res, bool refused)
{
	struct fn_exec *x = j->ud;
	struct api *a = x->api;
	x->running = false;
	if (x->rl_held && a->rl) {
		ratelimit_release(a->rl, x->pj.tenant);
		x->rl_held = false;
	}
	if (x->pkg) {
		pkg_put(x->pkg);
		x->pkg = NULL;
	}
	if (refused) {
		if (x->r) {
			api__retry_after(x->r, 1);
			api__error_json(x->r, 503, "overloaded", NULL, "%s", res->err_message ? res->err_message : "overloaded");
		} else {
			fn_free(x);
		}
		return;
	}
	snprintf(res->id, sizeof res->id, "%s", x->id);
	if (x->pj.cold)
		a->fn_cold++;
	else
		a->fn_warm++;
	if (filter_active(x->flt)) {
		filter_buf(x->flt, &x->logs);
		api__filter_error(x->flt, res);
	}
	api__record(a, x->id, x->pj.tenant, res, &x->logs);
	if (!x->r) {
		fn_free(x);
		return;
	}
	if (x->envelope) {
		struct buf b = BUF_INIT(SIZE_MAX / 2);
		filter_buf(x->red, &x->rbody);
		buf_printf(&b, "{\"id\":\"%s\",\"status\":\"%s\",\"response\":", x->id, outcome_name(res->status));
		if (x->head_sent) {
			buf_printf(&b, "{\"status\":%d,\"headers\":[%s],\"body\":", x->status, x->rhead.data ? x->rhead.data : "");
			json_put_str(&b, x->rbody.data ? x->rbody.data : "", x->rbody.len);
			buf_putc(&b, '}');
		} else {
			buf_puts(&b, "null");
		}
		buf_puts(&b, ",\"logs\":");
		json_put_str(&b, x->logs.data ? x->logs.data : "", x->logs.len);
		buf_printf(&b, ",\"usage\":{\"wall_ms\":%.3f,\"cpu_ms\":%.3f,\"peak_memory_bytes\":%llu},\"warm\":%s,\"error\":",
			   (double)res->wall_ns / 1e6, (double)res->cpu_ns / 1e6, (unsigned long long)res->peak_memory,
			   x->pj.cold ? "false" : "true");
		if (res->status == OUTCOME_OK || !res->err_name) {
			buf_puts(&b, "null");
		} else {
			buf_puts(&b, "{\"name\":");
			json_put_cstr(&b, res->err_name);
			buf_puts(&b, ",\"message\":");
			json_put_cstr(&b, res->err_message ? res->err_message : "");
			buf_puts(&b, ",\"stack\":");
			json_put_cstr(&b, res->err_stack);
			buf_putc(&b, '}');
		}
		buf_putc(&b, '}');
		api__respond_json(x->r, 200, &b);
		buf_release(&b);
		return;
	}
	if (x->head_sent) {
		/* The response is out; a failure after the head can only cut it. */
		struct buf rest = BUF_INIT(SIZE_MAX / 2);
		filter_stream_end(x->red, &x->rs, &rest);
		if (rest.len)
			http_stream_write(x->r, rest.data, rest.len);
		buf_release(&rest);
		if (res->status == OUTCOME_OK)
			http_stream_end(x->r);
		else
			http_stream_abort(x->r);
		return;
	}
	if (res->status == OUTCOME_TIMEOUT)
		api__error_json(x->r, 504, "timeout", NULL, "the handler did not answer within %llu ms",
				(unsigned long long)x->pj.job.timeout_ms);
	else
		api__error_json(x->r, res->status == OUTCOME_ERROR ? 500 : 502, outcome_name(res->status), NULL, "%s: %s",
				res->err_name ? res->err_name : "Error", res->err_message ? res->err_message : outcome_meaning(res->status));
}

static const struct pool_job_ops fn_ops = {
	.output = fn_output, .done = fn_done, .response_head = fn_head, .response_body = fn_body,
};

struct hdr_acc {
	char **v;
	size_t n, cap;
};

static void hdr_collect(void *ud, const char *name, const char *value)
{
	struct hdr_acc *h = ud;
	if (h->n == h->cap || !strcasecmp(name, "authorization"))
		return; /* the service's key is not the handler's business */
	if (asprintf(&h->v[h->n], "%s: %s", name, value) >= 0)
		h->n++;
}

/* Frees what a request description holds (when it was not taken). */
static void fn_request_release(struct api_fn_request *q)
{
	free(q->method);
	free(q->path);
	free(q->query);
	for (size_t i = 0; i < q->nheaders; i++)
		free(q->headers[i]);
	free(q->headers);
	free(q->body);
	memset(q, 0, sizeof *q);
}

void api_fn_start(struct api *a, struct http_req *r, const struct api_fn_target *t, struct api_fn_request *q)
{
	struct fn_exec *x = calloc(1, sizeof *x);
	if (!x) {
		api__error_json(r, 503, "overloaded", NULL, "out of memory");
		fn_request_release(q);
		store_strings_free(t->env, t->nenv);
		return;
	}
	x->kind = FN_KIND;
	x->api = a;
	x->r = r;
	x->envelope = t->envelope;
	x->env = t->env;
	x->nenv = t->nenv;
	x->method = q->method;
	x->path = q->path;
	x->headers = q->headers;
	x->nheaders = q->nheaders;
	x->body = q->body;
	x->body_len = q->body_len;
	x->has_body = q->has_body;
	const char *query = q->query ? q->query : "";
	if (asprintf(&x->url, "%s%s%s", x->path ? x->path : "/", query[0] ? "?" : "", query) < 0)
		x->url = NULL;
	free(q->query);
	memset(q, 0, sizeof *q);
	buf_init(&x->rhead, 1u << 20);
	buf_init(&x->rbody, a->cfg->max_output);
	buf_init(&x->logs, a->cfg->max_output);
	char perr[256];
	x->pkg = pkg_get(a, t->package_hash, perr);
	if (!x->pkg) {
		if (t->missing_is_404)
			api__error_json(r, 404, "bundle_not_found", NULL, "no bundle %.64s for this tenant: upload it", t->package_hash);
		else
			api__error_json(r, 503, "unavailable", NULL, "%s", perr);
		fn_free(x);
		return;
	}
	filter_stream_init(&x->rs);
	filter_new(&x->red, &(struct filter_opts){ .env = (const char *const *)x->env, .nenv = x->nenv });
	{
		const struct api_tenant_cfg *tc = x->tc = api__tenant_cfg(a, t->tenant);
		struct filter_opts fo = {
			.env = (const char *const *)x->env,
			.nenv = x->nenv,
			.pii = tc->pii >= 0 ? tc->pii == 1 : a->cfg->pii,
		};
		const struct filter_rules *svc = api__service_rules(a);
		if (svc)
			fo.rules[fo.nrules++] = svc;
		if (tc->rules)
			fo.rules[fo.nrules++] = tc->rules;
		filter_new(&x->flt, &fo);
	}
	char ip[64];
	http_client_ip(r, ip, sizeof ip);
	x->ip = strdup(ip);
	if (!x->method || !x->path || !x->url || !x->headers || !x->ip) {
		api__error_json(r, 503, "overloaded", NULL, "out of memory");
		fn_free(x);
		return;
	}
	if (result_new_id(x->id, sizeof x->id)) {
		api__error_json(r, 503, "unavailable", NULL, "no randomness for an execution id; retry later");
		fn_free(x);
		return;
	}
	snprintf(x->pj.tenant, sizeof x->pj.tenant, "%s", t->tenant);
	/* A worker holds the env it was started with (process.env is made once
	 * per context), so the env is part of what a worker is bound to: after
	 * PUT .../env, invocations go to a fresh worker and never see the old
	 * values. The key carries a digest of the pairs, never the values. */
	uint64_t envh = 1469598103934665603ull;
	for (size_t i = 0; i < x->nenv; i++)
		for (const char *c = x->env[i]; ; c++) {
			envh = (envh ^ (unsigned char)*c) * 1099511628211ull;
			if (!*c)
				break;
		}
	/* A function that uses WebAssembly (its package.json's "corral", else
	 * the tenant's setting) runs one invocation at a time in workers
	 * started with it: the deadline kill of a wasm loop then ends only
	 * that invocation. */
	bool wasm = x->pkg->wasm >= 0 ? x->pkg->wasm == 1 : x->tc->wasm == 1;
	snprintf(x->pj.binding, sizeof x->pj.binding, "%s/%s#%016llx%s", t->tenant, t->binding,
		 (unsigned long long)envh, wasm ? "#process#wasm" : "");
	x->pj.pkg = x->pkg;
	x->pj.ops = &fn_ops;
	x->pj.ud = x;
	x->pj.job = (struct wproc_job){
		.id = x->id,
		.code = "",
		.code_len = 0,
		.filename = x->pkg->entry,
		.timeout_ms = t->timeout_ms ? t->timeout_ms : a->cfg->timeout_ms,
		.memory_bytes = (t->memory_mb ? t->memory_mb : a->cfg->memory_mb) << 20,
		.output_cap = a->cfg->max_output,
		.env = (const char *const *)x->env,
		.nenv = x->nenv,
		.tmp_cap = a->cfg->tmp_mb << 20,
		.function = true,
		/* The package's package.json "corral" setting, else the tenant's. */
		.allow_eval = x->pkg->allow_eval >= 0 ? x->pkg->allow_eval == 1 : x->tc->allow_eval == 1,
		.wasm = wasm,
		.http = {
			.method = x->method,
			.url = x->url,
			.path = x->path,
			.client_ip = x->ip,
			.headers = (const char *const *)x->headers,
			.nheaders = x->nheaders,
			.body = x->body,
			.body_len = x->body_len,
			.has_body = x->has_body,
		},
	};
	if (a->rl) {
		unsigned after = 1;
		int rc = ratelimit_acquire(a->rl, t->tenant, clock_mono_ns(), &after);
		if (rc) {
			api__retry_after(r, after);
			api__error_json(r, 429, "rate_limited", NULL, "%s", rc == -EBUSY ?
					"too many concurrent executions for this tenant" : "rate limit exceeded for this tenant");
			fn_free(x);
			return;
		}
		x->rl_held = true;
	}
	http_set_app(r, x);
	x->running = true;
	http_add_header(r, "X-Corral-Execution-Id", x->id);
	if (pool_submit(a->pool, &x->pj)) {
		x->running = false;
		if (x->rl_held)
			ratelimit_release(a->rl, t->tenant);
		x->rl_held = false;
		http_set_app(r, NULL);
		api__retry_after(r, 1);
		api__error_json(r, 503, "overloaded", NULL, "every worker is busy and the queue is full");
		fn_free(x);
	}
}

int api_fn_request_from_json(json_t *req, struct api_fn_request *q)
{
	memset(q, 0, sizeof *q);
	json_t *m = json_object_get(req, "method"), *pa = json_object_get(req, "path"),
	       *qu = json_object_get(req, "query"), *hd = json_object_get(req, "headers"),
	       *bd = json_object_get(req, "body");
	q->method = strdup(json_is_string(m) ? json_string_value(m) : "GET");
	q->path = strdup(json_is_string(pa) ? json_string_value(pa) : "/");
	q->query = strdup(json_is_string(qu) ? json_string_value(qu) : "");
	size_t nh = json_is_object(hd) ? json_object_size(hd) : 0;
	q->headers = calloc(nh + 1, sizeof *q->headers);
	const char *k;
	json_t *val;
	if (json_is_object(hd) && q->headers)
		json_object_foreach(hd, k, val) if (json_is_string(val) && !strpbrk(k, "\r\n:") &&
						    !strpbrk(json_string_value(val), "\r\n"))
			if (asprintf(&q->headers[q->nheaders], "%s: %s", k, json_string_value(val)) >= 0)
				q->nheaders++;
	if (json_is_string(bd)) {
		q->body = strdup(json_string_value(bd));
		q->body_len = q->body ? strlen(q->body) : 0;
		q->has_body = q->body != NULL;
	} else if (bd && !json_is_null(bd)) {
		q->body = json_dumps(bd, JSON_COMPACT);
		q->body_len = q->body ? strlen(q->body) : 0;
		q->has_body = q->body != NULL;
	}
	return q->method && q->path && q->query && q->headers ? 0 : -ENOMEM;
}

/* /fn/{name}[@{version}][/{path}] or /v1/functions/{name}/run */
void api_fn_invoke(struct api *a, struct http_req *r, const char *path)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	if (!api_fn_admit(a, r))
		return;
	bool envelope = strncmp(path, "/fn/", 4) != 0;
	const char *p = envelope ? path + strlen("/v1/functions/") : path + 4;
	char name[STORE_FUNCTION_NAME_MAX + 2];
	size_t nl = strcspn(p, "@/");
	if (nl >= sizeof name) {
		api__error_json(r, 404, "not_found", NULL, "no such function");
		return;
	}
	memcpy(name, p, nl);
	name[nl] = '\0';
	p += nl;
	int version = 0;
	if (*p == '@') {
		char *end;
		long v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v < 1 || v > 1000000000 || (*end && *end != '/')) {
			api__error_json(r, 400, "invalid_field", "version", "a version is a whole number after '@'");
			return;
		}
		version = (int)v;
		p = end;
	}
	const char *sub = envelope ? "/" : (*p ? p : "/");
	struct store_function f;
	struct store_version v;
	if (!store_function_name_valid(name) || store_function_get(a->store, tenant, name, &f) ||
	    store_function_version(a->store, tenant, name, version, &v)) {
		api__error_json(r, 404, "not_found", NULL, "no function '%.64s'%s", name, version ? " at that version" : "");
		return;
	}
	/* The request the handler sees. */
	struct api_fn_request q;
	memset(&q, 0, sizeof q);
	if (envelope) {
		const struct buf *body = http_body(r);
		json_t *root = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
		if (!root || !json_is_object(root)) {
			api__error_json(r, 400, "invalid_json", NULL, "the body must be {method, path, query, headers, body}");
			json_decref(root);
			return;
		}
		int rc = api_fn_request_from_json(root, &q);
		json_decref(root);
		if (rc) {
			fn_request_release(&q);
			api__error_json(r, 503, "overloaded", NULL, "out of memory");
			return;
		}
	} else {
		q.method = strdup(http_method(r));
		q.path = strdup(sub);
		struct buf qs = BUF_INIT(64u << 10);
		http_query_string(r, &qs);
		q.query = strdup(qs.data ? qs.data : "");
		buf_release(&qs);
		struct hdr_acc h = { calloc(128, sizeof(char *)), 0, 128 };
		if (h.v)
			http_headers_each(r, hdr_collect, &h);
		q.headers = h.v;
		q.nheaders = h.n;
		const struct buf *body = http_body(r);
		if (body->len) {
			q.body = malloc(body->len);
			if (q.body)
				memcpy(q.body, body->data, body->len);
			q.body_len = body->len;
			q.has_body = q.body != NULL;
		}
	}
	char binding[STORE_FUNCTION_NAME_MAX + 32];
	snprintf(binding, sizeof binding, "%s@%d", name, v.version);
	struct api_fn_target t = {
		.tenant = tenant,
		.package_hash = v.package_hash,
		.binding = binding,
		.timeout_ms = f.timeout_ms,
		.memory_mb = f.memory_mb,
		.envelope = envelope,
	};
	store_function_env_pairs(a->store, tenant, name, &t.env, &t.nenv);
	api_fn_start(a, r, &t, &q);
}

bool api_fn_admit(struct api *a, struct http_req *r)
{
	if (http_body_too_large(r) || http_body(r)->len > a->cfg->max_body) {
		api__error_json(r, 413, "body_too_large", NULL, "the request body is over the %llu-byte cap",
				(unsigned long long)a->cfg->max_body);
		return false;
	}
	if (a->draining) {
		api__retry_after(r, 1);
		api__error_json(r, 503, "draining", NULL, "the service is shutting down");
		return false;
	}
	return !api__unsent_full(a, r, false);
}

void api_fn_closed(struct api *a, struct http_req *r, void *app)
{
	struct fn_exec *x = app;
	x->r = NULL;
	if (x->running) {
		pool_cancel(a->pool, &x->pj);
		if (x->rl_held && a->rl)
			ratelimit_release(a->rl, x->pj.tenant);
		x->rl_held = false;
	}
	fn_free(x);
}

int api_fn_kind(const void *app)
{
	return app && *(const int *)app == FN_KIND;
}
