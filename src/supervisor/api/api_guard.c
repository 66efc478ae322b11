/* api_guard — see api_guard.h. */
#include "supervisor/api/api_guard.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "supervisor/package.h"
#include "supervisor/serve.h"

#define CORS_METHODS "GET, POST, PUT, DELETE, OPTIONS"
#define CORS_HEADERS "Authorization, Content-Type, Accept, Last-Event-ID"
#define CORS_EXPOSE "X-Corral-Execution-Id, X-Corral-Warm, Retry-After, Location"

/* Whether the comma-separated list has item (case-insensitive, blanks
 * around items ignored); "-" is the empty list. */
static bool list_has(const char *list, const char *item, size_t n)
{
	if (!list || !strcmp(list, "-"))
		return false;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = p;
		while (*end && *end != ',')
			end++;
		const char *last = end;
		while (last > p && last[-1] == ' ')
			last--;
		if ((size_t)(last - p) == n && n && strncasecmp(p, item, n) == 0)
			return true;
		p = end;
	}
	return false;
}

/* The name part of a Host value ("name", "name:port", "[v6]:port"). */
static bool host_name(const char *host, char *out, size_t cap)
{
	size_t n;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close)
			return false;
		n = (size_t)(close - host - 1);
		host++;
	} else {
		const char *colon = strchr(host, ':');
		n = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (!n || n >= cap)
		return false;
	memcpy(out, host, n);
	out[n] = '\0';
	return true;
}

/* A name no DNS answer can point elsewhere: an IP literal, localhost or a
 * name under .localhost (RFC 6761; browsers resolve them to loopback). */
static bool unbindable(const char *name)
{
	unsigned char addr[16];
	if (inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1)
		return true;
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--; /* "localhost." */
	if (n == 9 && strncasecmp(name, "localhost", 9) == 0)
		return true;
	return n > 10 && strncasecmp(name + n - 10, ".localhost", 10) == 0;
}

static bool host_ok(const struct api *a, const char *host)
{
	char name[256];
	if (!host)
		return true; /* HTTP/1.0: no browser sends a request without Host */
	if (!host_name(host, name, sizeof name))
		return false;
	return unbindable(name) || list_has(a->cfg->allowed_hosts, name, strlen(name));
}

/* Whether Origin names this service as the request reached it: its
 * "host[:port]" is the Host header's. */
static bool same_origin(const char *origin, const char *host)
{
	const char *p = strstr(origin, "://");
	if (!p || !host || (strncasecmp(origin, "http://", 7) != 0 && strncasecmp(origin, "https://", 8) != 0))
		return false;
	return strcasecmp(p + 3, host) == 0;
}

static void add_cors(struct http_req *r, const char *origin)
{
	http_add_header(r, "Access-Control-Allow-Origin", origin);
	http_add_header(r, "Access-Control-Expose-Headers", CORS_EXPOSE);
	http_add_header(r, "Vary", "Origin");
}

static bool json_type(const char *ctype)
{
	if (!ctype)
		return false;
	size_t n = strcspn(ctype, ";");
	while (n && ctype[n - 1] == ' ')
		n--;
	if (n == 16 && strncasecmp(ctype, "application/json", 16) == 0)
		return true;
	/* application/problem+json, application/vnd.x+json, ... */
	return n > 17 && strncasecmp(ctype, "application/", 12) == 0 && strncasecmp(ctype + n - 5, "+json", 5) == 0;
}

static bool has_body(const struct http_req *r)
{
	const struct buf *b = http_body(r);
	const char *cl = http_header(r, "Content-Length");
	return (b && b->len) || http_body_too_large(r) || (cl && strtoull(cl, NULL, 10) > 0) ||
	       http_header(r, "Transfer-Encoding");
}

bool api_guard(struct api *a, struct http_req *r, const char *label)
{
	const char *host = http_header(r, "Host");
	if (a->dev_mode && !host_ok(a, host)) {
		api__error_json(r, 403, "host_not_allowed", NULL,
				"Host '%.200s' is not one this service answers to without API keys (localhost, an IP "
				"address, or a name in CORRAL_ALLOWED_HOSTS): a page on another site may be "
				"reaching it by DNS rebinding", host);
		return false;
	}
	if (!strcmp(label, "/fn"))
		return true;
	const char *method = http_method(r);
	const char *origin = http_header(r, "Origin");
	const char *site = http_header(r, "Sec-Fetch-Site");
	const char *mode = http_header(r, "Sec-Fetch-Mode");
	bool allowed = origin && list_has(a->cfg->allowed_origins, origin, strlen(origin));
	bool cross = origin ? !same_origin(origin, host) : (site && !strcasecmp(site, "cross-site"));
	if (origin && !cross && site && !strcasecmp(site, "cross-site"))
		cross = true;
	bool navigation = !strcmp(method, "GET") && mode && !strcasecmp(mode, "navigate");
	if (cross && !allowed && !navigation) {
		api__error_json(r, 403, "origin_not_allowed", NULL,
				"requests from another site (Origin '%.200s') are refused; allow the origin with "
				"CORRAL_ALLOWED_ORIGINS", origin ? origin : "(none; Sec-Fetch-Site: cross-site)");
		return false;
	}
	if (allowed)
		add_cors(r, origin);
	if (!strcmp(method, "OPTIONS")) {
		/* A preflight (or a plain OPTIONS): what may be sent here. */
		http_add_header(r, "Allow", CORS_METHODS);
		if (allowed) {
			http_add_header(r, "Access-Control-Allow-Methods", CORS_METHODS);
			http_add_header(r, "Access-Control-Allow-Headers", CORS_HEADERS);
			http_add_header(r, "Access-Control-Max-Age", "600");
		}
		http_respond(r, 204, NULL, "", 0);
		return false;
	}
	/* A body is JSON, or an archive on the functions' routes (whose
	 * deploy checks which it takes). */
	const char *ctype = http_header(r, "Content-Type");
	enum package_format fmt;
	bool upload = !strcmp(label, "/v1/functions") || (!strcmp(label, "/v1/bundles") && !strcmp(http_path(r), "/v1/bundles"));
	bool archive = upload && ctype && !package_format_from_type(ctype, &fmt);
	/* A bundle may also be one JavaScript file. */
	if (upload && !strcmp(label, "/v1/bundles") && ctype &&
	    (!strncasecmp(ctype, "application/javascript", 22) || !strncasecmp(ctype, "text/javascript", 15)))
		archive = true;
	if (has_body(r) && !json_type(ctype) && !archive) {
		api__error_json(r, 415, "unsupported_media_type", NULL,
				"the body must be labelled Content-Type: application/json (got %s%.100s%s)",
				ctype ? "'" : "", ctype ? ctype : "none", ctype ? "'" : "");
		return false;
	}
	return true;
}
