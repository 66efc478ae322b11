/* api_bundle — ad-hoc bundles (issue 14 point 1): a tenant uploads a
 * bundle once and runs its fetch handler by the bundle's content hash,
 * without naming or versioning it as a function.
 *
 *   PUT  /v1/bundles               a JS file (application/javascript), or a
 *                                  package as functions take it (tar.gz, zip,
 *                                  JSON {files}) → 201 {hash, files, bytes, entry}
 *   POST /v1/bundles/{hash}/fetch  {request: {method, url | path and query,
 *                                  headers, body}, env?, timeout_ms?, memory_mb?}
 *                                  → the handler's response as the HTTP
 *                                  response, streamed as the handler writes it
 *
 * An upload is validated and its entry checked exactly as a function's
 * (api_fn_parse_upload, api_fn_check). The blob goes to the store's
 * content-addressed packages; which tenant may run which hash is kept here,
 * per tenant, least recently used first out past BUNDLE_TENANT_BYTES (or
 * BUNDLE_MAX in all). That table is the supervisor's memory: after a
 * restart, or once trimmed, a hash is 404 bundle_not_found, which a client
 * answers by uploading again. A worker is bound to (tenant, bundle hash,
 * env), so a hot bundle is loaded once. */
#include "supervisor/api/api_bundle.h"
#include "supervisor/api/api_fn.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/json.h"
#include "supervisor/package.h"
#include "supervisor/serve.h"
#include "supervisor/store/store.h"

#define BUNDLE_MAX 4096
#define BUNDLE_TENANT_BYTES (256ull << 20)
#define BUNDLE_ENV_MAX 256

struct bundle_own {
	char tenant[65];
	char hash[65];
	uint64_t bytes;
	uint64_t used;
};

static struct bundle_own owned[BUNDLE_MAX];

static struct bundle_own *owned_find(const char *tenant, const char *hash)
{
	for (int i = 0; i < BUNDLE_MAX; i++)
		if (owned[i].hash[0] && !strcmp(owned[i].hash, hash) && !strcmp(owned[i].tenant, tenant))
			return &owned[i];
	return NULL;
}

/* Records that tenant may run hash; trims the tenant's oldest past its
 * byte budget, and the oldest of all when the table is full. */
static void owned_add(const char *tenant, const char *hash, uint64_t bytes)
{
	uint64_t now = clock_mono_ns();
	struct bundle_own *b = owned_find(tenant, hash);
	if (!b) {
		int slot = -1;
		for (int i = 0; i < BUNDLE_MAX; i++) {
			if (!owned[i].hash[0]) {
				slot = i;
				break;
			}
			if (slot < 0 || owned[i].used < owned[slot].used)
				slot = i;
		}
		b = &owned[slot];
		snprintf(b->tenant, sizeof b->tenant, "%s", tenant);
		snprintf(b->hash, sizeof b->hash, "%s", hash);
	}
	b->bytes = bytes;
	b->used = now;
	for (;;) {
		uint64_t total = 0;
		struct bundle_own *oldest = NULL;
		for (int i = 0; i < BUNDLE_MAX; i++) {
			if (!owned[i].hash[0] || strcmp(owned[i].tenant, tenant))
				continue;
			total += owned[i].bytes;
			if (&owned[i] != b && (!oldest || owned[i].used < oldest->used))
				oldest = &owned[i];
		}
		if (total <= BUNDLE_TENANT_BYTES || !oldest)
			break;
		memset(oldest, 0, sizeof *oldest);
	}
}

static bool hash_valid(const char *h, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return true;
}

/* api_fn_check's continuation: the entry parses; store and answer. */
static void bundle_stored(struct api *a, struct http_req *r, const char *tenant, const char *name,
			  struct package *p, json_t *root, uint64_t timeout, uint64_t memory)
{
	(void)name;
	(void)timeout;
	(void)memory;
	struct buf blob = BUF_INIT(SIZE_MAX / 2);
	int rc = package_serialize(p, &blob);
	if (!rc)
		rc = store_package_put(a->store, p->hash, blob.data, blob.len);
	buf_release(&blob);
	if (rc) {
		api__error_json(r, 503, "unavailable", NULL, "the store failed: %s", store_last_error(a->store));
	} else {
		bool known = owned_find(tenant, p->hash) != NULL;
		owned_add(tenant, p->hash, p->total);
		struct buf b = BUF_INIT(SIZE_MAX / 2);
		buf_printf(&b, "{\"hash\":\"%s\",\"files\":%zu,\"bytes\":%llu,\"entry\":", p->hash, p->nfiles,
			   (unsigned long long)p->total);
		json_put_cstr(&b, p->entry);
		buf_putc(&b, '}');
		api__respond_json(r, known ? 200 : 201, &b);
		buf_release(&b);
	}
	package_free(p);
	json_decref(root);
}

static bool is_js_type(const char *ctype)
{
	if (!ctype)
		return false;
	size_t n = strcspn(ctype, "; \t");
	return (n == 22 && !strncasecmp(ctype, "application/javascript", n)) ||
	       (n == 15 && !strncasecmp(ctype, "text/javascript", n));
}

static void bundle_put(struct api *a, struct http_req *r, const char *tenant)
{
	struct package *p = NULL;
	json_t *root = NULL;
	uint64_t timeout = 0, memory = 0;
	if (is_js_type(http_header(r, "Content-Type"))) {
		/* One file: the package {files: {"index.js": code}}. */
		if (http_body_too_large(r)) {
			api__error_json(r, 413, "body_too_large", NULL, "the bundle is over the %llu-byte cap",
					(unsigned long long)a->cfg->max_package);
			return;
		}
		const struct buf *body = http_body(r);
		json_t *files = json_object();
		json_t *code = json_stringn(body->data ? body->data : "", body->len);
		if (!code) {
			json_decref(files);
			api__error_json(r, 400, "invalid_package", NULL, "the bundle is not UTF-8 text");
			return;
		}
		json_object_set_new(files, "index.js", code);
		json_t *pkg = json_pack("{s:o}", "files", files);
		char *text = pkg ? json_dumps(pkg, JSON_COMPACT) : NULL;
		json_decref(pkg);
		if (!text) {
			api__error_json(r, 503, "overloaded", NULL, "out of memory");
			return;
		}
		char perr[PACKAGE_ERR_LEN];
		struct package_limits lim = package_limits_default;
		lim.max_total_bytes = a->cfg->max_package;
		lim.max_file_bytes = a->cfg->max_package;
		int rc = package_parse(PACKAGE_JSON, text, strlen(text), &lim, &p, perr);
		free(text);
		if (rc) {
			api__error_json(r, rc == -ENOMEM ? 503 : 400, rc == -E2BIG ? "package_too_large" : "invalid_package",
					NULL, "%s", perr);
			return;
		}
	} else if (api_fn_parse_upload(a, r, &p, &root, &timeout, &memory)) {
		return;
	}
	api_fn_check(a, r, tenant, "", p, root, timeout, memory, bundle_stored);
}

/* request.url ("/path?query", or an absolute URL whose path and query are
 * taken), else request.path and request.query. */
static int request_of(json_t *req, struct api_fn_request *q)
{
	json_t *u = json_object_get(req, "url");
	int rc = api_fn_request_from_json(req, q);
	if (rc || !json_is_string(u))
		return rc;
	const char *s = json_string_value(u);
	const char *scheme = strstr(s, "://");
	if (scheme && scheme < s + strcspn(s, "/?"))
		s = scheme + 3 + strcspn(scheme + 3, "/?");
	size_t pl = strcspn(s, "?#");
	free(q->path);
	free(q->query);
	q->path = pl ? strndup(s, pl) : strdup("/");
	q->query = s[pl] == '?' ? strndup(s + pl + 1, strcspn(s + pl + 1, "#")) : strdup("");
	return q->path && q->query ? 0 : -ENOMEM;
}

static void bundle_fetch(struct api *a, struct http_req *r, const char *tenant, const char *hash)
{
	if (!api_fn_admit(a, r))
		return;
	struct bundle_own *own = owned_find(tenant, hash);
	if (!own) {
		api__error_json(r, 404, "bundle_not_found", NULL, "no bundle %.64s for this tenant: upload it with PUT /v1/bundles", hash);
		return;
	}
	own->used = clock_mono_ns();
	const struct buf *body = http_body(r);
	json_error_t jerr;
	json_t *root = json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *req = root ? json_object_get(root, "request") : NULL;
	if (!root || !json_is_object(root) || !json_is_object(req)) {
		api__error_json(r, 400, "invalid_json", "request",
				"the body must be {\"request\": {\"method\", \"url\", \"headers\", \"body\"}, \"env\", \"timeout_ms\", \"memory_mb\"}");
		json_decref(root);
		return;
	}
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val) {
		if (strcmp(key, "request") && strcmp(key, "env") && strcmp(key, "timeout_ms") && strcmp(key, "memory_mb")) {
			api__error_json(r, 400, "unknown_field", key, "unknown field '%.64s'", key);
			json_decref(root);
			return;
		}
	}
	json_t *t = json_object_get(root, "timeout_ms"), *m = json_object_get(root, "memory_mb"),
	       *env = json_object_get(root, "env");
	if (t && (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > CONFIG_TIMEOUT_MS_MAX)) {
		api__error_json(r, 400, "invalid_field", "timeout_ms", "timeout_ms must be an integer from 1 to %d", CONFIG_TIMEOUT_MS_MAX);
		json_decref(root);
		return;
	}
	if (m && (!json_is_integer(m) || json_integer_value(m) < CONFIG_MEMORY_MB_MIN ||
		  (uint64_t)json_integer_value(m) > a->cfg->max_memory_mb)) {
		api__error_json(r, 400, "invalid_field", "memory_mb", "memory_mb must be an integer from %d to %llu",
				CONFIG_MEMORY_MB_MIN, (unsigned long long)a->cfg->max_memory_mb);
		json_decref(root);
		return;
	}
	if (env && (!json_is_object(env) || json_object_size(env) > BUNDLE_ENV_MAX)) {
		api__error_json(r, 400, "invalid_field", "env", "env must be an object of at most %d string values", BUNDLE_ENV_MAX);
		json_decref(root);
		return;
	}
	struct api_fn_target tg = {
		.tenant = tenant,
		.package_hash = hash,
		.timeout_ms = t ? (uint64_t)json_integer_value(t) : 0,
		.memory_mb = m ? (uint64_t)json_integer_value(m) : 0,
		.missing_is_404 = true,
	};
	char binding[80];
	snprintf(binding, sizeof binding, "#bundle:%s", hash);
	tg.binding = binding;
	if (env) {
		tg.env = calloc(json_object_size(env) + 1, sizeof *tg.env);
		json_object_foreach(env, key, val) {
			if (!json_is_string(val) || !key[0] || strchr(key, '=') || strlen(key) > 256) {
				api__error_json(r, 400, "invalid_field", "env", "env names are 1-256 characters without '=', values strings");
				store_strings_free(tg.env, tg.nenv);
				json_decref(root);
				return;
			}
			if (tg.env && asprintf(&tg.env[tg.nenv], "%s=%s", key, json_string_value(val)) >= 0)
				tg.nenv++;
		}
	}
	struct api_fn_request q;
	int rc = request_of(req, &q);
	json_decref(root);
	if (rc) {
		api__error_json(r, 503, "overloaded", NULL, "out of memory");
		store_strings_free(tg.env, tg.nenv);
		return;
	}
	api_fn_start(a, r, &tg, &q);
}

void api_bundle_routes(struct api *a, struct http_req *r, const char *path)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	const char *method = http_method(r);
	if (!strcmp(path, "/v1/bundles")) {
		if (strcmp(method, "PUT") && strcmp(method, "POST")) {
			http_add_header(r, "Allow", "PUT, POST");
			api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on /v1/bundles", method);
			return;
		}
		bundle_put(a, r, tenant);
		return;
	}
	const char *h = path + strlen("/v1/bundles/");
	size_t hl = strcspn(h, "/");
	if (!hash_valid(h, hl) || strcmp(h + hl, "/fetch")) {
		api__error_json(r, 404, "not_found", NULL, "no route %.200s (POST /v1/bundles/{hash}/fetch)", path);
		return;
	}
	if (strcmp(method, "POST")) {
		http_add_header(r, "Allow", "POST");
		api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on %.200s", method, path);
		return;
	}
	char hash[65];
	memcpy(hash, h, 64);
	hash[64] = '\0';
	bundle_fetch(a, r, tenant, hash);
}
