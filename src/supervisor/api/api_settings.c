/* api_settings — a tenant's settings: output filtering and the validation
 * policy.
 *
 *   GET /v1/settings  → {"pii", "secret_patterns", "validation", "allow_eval", "wasm"}
 *   PUT /v1/settings  {"pii": bool, "secret_patterns": [{"name", "pattern"}],
 *                      "validation": {"max_code_bytes", "max_string_literal_bytes",
 *                                     "max_nesting_depth", "forbidden_patterns"},
 *                      "allow_eval": bool, "wasm": bool}
 *
 * A PUT is validated whole (every pattern compiled, every policy value
 * checked) before anything is stored; the answer names the first bad
 * field. The settings are stored as JSON on the tenant's row and compiled
 * into a struct api_tenant_cfg, cached per tenant for TENANT_CFG_TTL_NS so
 * an execution does not read the store for them, while a change made on
 * another node is seen within that time. */
#include "supervisor/api/api_settings.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/egress.h"
#include "supervisor/filter.h"
#include "supervisor/log.h"
#include "supervisor/policy.h"
#include "supervisor/serve.h"
#include "supervisor/store/store.h"
#include "common/clock.h"

#define TENANT_CFG_TTL_NS (5ull * 1000000000ull)

static struct api_tenant_cfg fallback = { .pii = -1, .allow_eval = -1, .wasm = -1 };

static void cfg_free(struct api_tenant_cfg *t)
{
	if (!t || t == &fallback)
		return;
	filter_rules_free(t->rules);
	policy_free(t->policy);
	egress_allow_free(t->egress);
	free(t);
}

/* Compiles settings j into t. Returns 0, or -EINVAL with err naming the
 * field. */
static int compile(const json_t *j, struct api_tenant_cfg *t, char *err, size_t errlen)
{
	t->pii = -1;
	t->allow_eval = -1;
	t->wasm = -1;
	if (!json_is_object(j)) {
		snprintf(err, errlen, "the settings must be a JSON object");
		return -EINVAL;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)j, k, v) {
		if (!strcmp(k, "pii")) {
			if (json_is_null(v))
				continue;
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "pii: must be true, false or null");
				return -EINVAL;
			}
			t->pii = json_is_true(v);
		} else if (!strcmp(k, "allow_eval") || !strcmp(k, "wasm")) {
			/* The tenant's default for its executions, sessions and
			 * functions; a request's own field wins. */
			if (json_is_null(v))
				continue;
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "%s: must be true, false or null", k);
				return -EINVAL;
			}
			*(k[0] == 'a' ? &t->allow_eval : &t->wasm) = json_is_true(v);
		} else if (!strcmp(k, "secret_patterns")) {
			if (json_is_null(v))
				continue;
			if (!json_is_array(v)) {
				snprintf(err, errlen, "secret_patterns: must be an array of {\"name\", \"pattern\"}");
				return -EINVAL;
			}
			char e[256];
			if (json_array_size(v) && filter_rules_new(&t->rules, v, false, e, sizeof e)) {
				snprintf(err, errlen, "secret_patterns: %s", e);
				return -EINVAL;
			}
		} else if (!strcmp(k, "egress")) {
			/* {"allow": ["api.openai.com", "*.example.org:8443"]}: the
			 * hosts this tenant's code may fetch, within the service's
			 * CORRAL_FETCH_ALLOW (a tenant narrows it, never widens). */
			if (json_is_null(v))
				continue;
			json_t *al = json_is_object(v) ? json_object_get(v, "allow") : NULL;
			if (!json_is_object(v) || json_object_size(v) != 1 || !json_is_array(al) || json_array_size(al) > 256) {
				snprintf(err, errlen, "egress: must be {\"allow\": [host patterns]} (at most 256) or null");
				return -EINVAL;
			}
			struct buf list = BUF_INIT(64u << 10);
			size_t i;
			json_t *h;
			json_array_foreach(al, i, h) {
				const char *hs = json_is_string(h) ? json_string_value(h) : NULL;
				if (!hs || !hs[0] || strlen(hs) > 255 || strspn(hs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*:[]") != strlen(hs) ||
				    (strchr(hs, '*') && (hs[0] != '*' || hs[1] != '.' || strchr(hs + 1, '*')))) {
					snprintf(err, errlen, "egress.allow[%zu]: a host, \"*.suffix\" or either with \":port\"", i);
					buf_release(&list);
					return -EINVAL;
				}
				buf_printf(&list, "%s%s", i ? "," : "", hs);
			}
			char e[256];
			egress_allow_free(t->egress);
			t->egress = NULL;
			int rc = egress_allow_parse(&t->egress, list.data ? list.data : "", "egress.allow", e);
			buf_release(&list);
			if (rc) {
				snprintf(err, errlen, "%s", e);
				return -EINVAL;
			}
		} else if (!strcmp(k, "validation")) {
			char e[256];
			if (policy_from_json(v, &t->policy, e, sizeof e)) {
				snprintf(err, errlen, "%s", e);
				return -EINVAL;
			}
		} else {
			snprintf(err, errlen, "%.60s: unknown setting (known: pii, secret_patterns, validation, allow_eval, wasm, egress)", k);
			return -EINVAL;
		}
	}
	return 0;
}

static struct api_tenant_cfg *load(struct api *a, const char *tenant)
{
	struct api_tenant_cfg *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	snprintf(t->tenant, sizeof t->tenant, "%s", tenant);
	t->pii = -1;
	t->allow_eval = -1;
	t->wasm = -1;
	t->loaded_ns = clock_mono_ns();
	char *text = NULL;
	if (!a->store)
		return t;
	if (store_tenant_settings_get(a->store, tenant, &text)) {
		/* Not "no settings": the caller keeps what it had. */
		log_msg(LOG_WARN, "settings", "cannot read the settings of tenant %s: %s", tenant,
			store_last_error(a->store));
		free(t);
		return NULL;
	}
	json_t *j = json_loads(text, 0, NULL);
	char err[300];
	if (j && compile(j, t, err, sizeof err)) {
		/* Stored by an older or newer corral with other rules: run
		 * without them rather than fail every request, and say so. */
		log_msg(LOG_WARN, "settings", "tenant %s: stored settings do not compile (%s); using none", tenant, err);
		filter_rules_free(t->rules);
		policy_free(t->policy);
		egress_allow_free(t->egress);
		t->rules = NULL;
		t->policy = NULL;
		t->egress = NULL;
		t->pii = -1;
		t->allow_eval = -1;
		t->wasm = -1;
	}
	json_decref(j);
	free(text);
	return t;
}

void api__tenant_cfg_put(struct api_tenant_cfg *t)
{
	if (t && t != &fallback && --t->refs == 0)
		cfg_free(t);
}

struct api_tenant_cfg *api__tenant_cfg(struct api *a, const char *tenant)
{
	uint64_t now = clock_mono_ns();
	for (struct api_tenant_cfg **p = &a->tenants; *p; p = &(*p)->next) {
		struct api_tenant_cfg *t = *p;
		if (strcmp(t->tenant, tenant))
			continue;
		if (now - t->loaded_ns < TENANT_CFG_TTL_NS) {
			t->refs++;
			return t;
		}
		struct api_tenant_cfg *fresh = load(a, tenant);
		if (!fresh) {
			/* The store did not answer: the settings we had stay in
			 * force (a tenant's patterns and policy must not lapse),
			 * asked for again in a second. */
			t->loaded_ns = now - TENANT_CFG_TTL_NS + 1000000000ull;
			t->refs++;
			return t;
		}
		*p = t->next;
		api__tenant_cfg_put(t);
		fresh->refs = 2;
		fresh->next = a->tenants;
		a->tenants = fresh;
		return fresh;
	}
	struct api_tenant_cfg *t = load(a, tenant);
	if (!t)
		return &fallback;
	t->refs = 2; /* the cache's and the caller's */
	t->next = a->tenants;
	a->tenants = t;
	return t;
}

const struct filter_rules *api__service_rules(struct api *a)
{
	if (a->service_rules || a->service_rules_failed || !a->cfg->secret_patterns)
		return a->service_rules;
	char err[256];
	if (filter_rules_new(&a->service_rules, NULL, true, err, sizeof err)) {
		log_msg(LOG_ERROR, "settings", "the built-in secret patterns do not compile: %s", err);
		a->service_rules_failed = true;
		a->service_rules = NULL;
	}
	return a->service_rules;
}

void api_settings_release(struct api *a)
{
	while (a->tenants) {
		struct api_tenant_cfg *t = a->tenants;
		a->tenants = t->next;
		api__tenant_cfg_put(t);
	}
	filter_rules_free(a->service_rules);
	a->service_rules = NULL;
}

static void respond_settings(struct http_req *r, const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (!j || !json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	json_t *out = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "pii", json_object_get(j, "pii"),
				"secret_patterns", json_object_get(j, "secret_patterns"),
				"validation", json_object_get(j, "validation"),
				"allow_eval", json_object_get(j, "allow_eval"), "wasm", json_object_get(j, "wasm"),
				"egress", json_object_get(j, "egress"));
	if (!json_object_get(out, "secret_patterns") || json_is_null(json_object_get(out, "secret_patterns")))
		json_object_set_new(out, "secret_patterns", json_array());
	char *s = json_dumps(out, JSON_COMPACT);
	struct buf b = BUF_INIT(SIZE_MAX / 2);
	buf_puts(&b, s ? s : "{}");
	api__respond_json(r, 200, &b);
	buf_release(&b);
	free(s);
	json_decref(out);
	json_decref(j);
}

void api_settings_route(struct api *a, struct http_req *r)
{
	char tenant[65];
	if (!api__authenticate(a, r, tenant, false))
		return;
	const char *method = http_method(r);
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (!get && strcmp(method, "PUT")) {
		http_add_header(r, "Allow", "GET, PUT");
		api__error_json(r, 405, "method_not_allowed", NULL, "%s is not allowed on /v1/settings", method);
		return;
	}
	if (!a->store) {
		api__error_json(r, 404, "not_found", NULL, "settings need the store, and this service has none");
		return;
	}
	if (get) {
		char *text = NULL;
		if (store_tenant_settings_get(a->store, tenant, &text)) {
			api__error_json(r, 503, "unavailable", NULL, "the settings cannot be read; retry later");
			return;
		}
		respond_settings(r, text);
		free(text);
		return;
	}
	const struct buf *body = http_body(r);
	if (http_body_too_large(r) || body->len > STORE_SETTINGS_MAX) {
		api__error_json(r, 413, "body_too_large", NULL, "the settings are over the %u-byte cap",
				(unsigned)STORE_SETTINGS_MAX);
		return;
	}
	json_error_t jerr;
	json_t *j = body->len ? json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!j) {
		if (body->len)
			api__error_json(r, 400, "invalid_json", NULL, "the body is not valid JSON: %s (line %d, column %d)",
					jerr.text, jerr.line, jerr.column);
		else
			api__error_json(r, 400, "bad_request", NULL, "the body is empty: send the settings as a JSON object");
		return;
	}
	struct api_tenant_cfg t = { .pii = -1, .allow_eval = -1, .wasm = -1 };
	char err[300];
	if (compile(j, &t, err, sizeof err)) {
		char field[64];
		snprintf(field, sizeof field, "%.*s", (int)strcspn(err, ":.["), err);
		api__error_json(r, 400, "invalid_field", field, "%s", err);
		filter_rules_free(t.rules);
		policy_free(t.policy);
		egress_allow_free(t.egress);
		json_decref(j);
		return;
	}
	filter_rules_free(t.rules);
	policy_free(t.policy);
	egress_allow_free(t.egress);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text || store_tenant_settings_set(a->store, tenant, text)) {
		api__error_json(r, 503, "unavailable", NULL, "the settings cannot be written; retry later");
		free(text);
		return;
	}
	/* This node sees the change at once. */
	for (struct api_tenant_cfg **p = &a->tenants; *p; p = &(*p)->next)
		if (!strcmp((*p)->tenant, tenant)) {
			struct api_tenant_cfg *old = *p;
			*p = old->next;
			api__tenant_cfg_put(old);
			break;
		}
	respond_settings(r, text);
	free(text);
}

bool api_settings_egress_allowed(void *ud, const char *tenant, const char *host, unsigned port,
				 char *why, size_t whylen)
{
	struct api *a = ud;
	struct api_tenant_cfg *t = api__tenant_cfg(a, tenant);
	bool ok = !t->egress || egress_allow_match(t->egress, host, port);
	if (!ok)
		snprintf(why, whylen, "is not on this tenant's egress allowlist (PUT /v1/settings \"egress\": {\"allow\": [...]})");
	api__tenant_cfg_put(t);
	return ok;
}
