/* api_settings — a tenant's settings (GET/PUT /v1/settings) and their
 * compiled, cached form: secret patterns, PII default, validation policy.
 * See api_settings.c. */
#ifndef CORRAL_API_SETTINGS_H
#define CORRAL_API_SETTINGS_H

#include <stdint.h>

#include "supervisor/api/api_common.h"

/* A tenant's settings, compiled; cached for a few seconds so every node
 * sees a change soon without a read per request. */
struct api_tenant_cfg {
	char tenant[65];
	uint64_t loaded_ns;
	struct filter_rules *rules;   /* the tenant's secret patterns, or NULL */
	struct policy *policy;        /* the validation policy, or NULL */
	int pii;                      /* 1/0, or -1: the service's default */
	int allow_eval;               /* 1/0, or -1 (off): eval and new Function */
	int wasm;                     /* 1/0, or -1 (off): WebAssembly, in a worker of its own */
	struct egress_allow *egress;  /* egress.allow: narrows the service's allowlist, or NULL */
	unsigned refs;                /* the cache's, and each execution's that uses it */
	struct api_tenant_cfg *next;
};

void api_settings_route(struct api *a, struct http_req *r);
/* egress_policy_fn for the egress module: whether tenant's egress.allow
 * (if it has one) lets host:port through. ud is the struct api. */
bool api_settings_egress_allowed(void *ud, const char *tenant, const char *host, unsigned port,
				 char *why, size_t whylen);
/* The tenant's compiled settings (never NULL: a default on any fault), with
 * a reference the caller drops with api__tenant_cfg_put once nothing it
 * made from them (a filter borrows the rules) is in use. */
struct api_tenant_cfg *api__tenant_cfg(struct api *a, const char *tenant);
void api__tenant_cfg_put(struct api_tenant_cfg *t);
/* The service's own secret patterns (the built-in set), or NULL. */
const struct filter_rules *api__service_rules(struct api *a);
void api_settings_release(struct api *a);

#endif
