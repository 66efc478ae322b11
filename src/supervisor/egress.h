/* egress — fetch() for sandboxed code, performed by the supervisor.
 *
 * The sandbox never gets a socket: a worker sends a FETCH frame, the
 * supervisor checks it and performs it with libcurl, and sends the answer
 * back. The rules, in the order they apply:
 *   1. http and https only; the URL must parse (curl's URL API).
 *   2. the host must be on the allowlist (CORRAL_FETCH_ALLOW: exact names,
 *      "*.suffix" wildcards, optional ":port"); the default list is empty,
 *      so by default every fetch is refused.
 *   3. after DNS, every address curl is about to connect to is checked:
 *      loopback, private, link-local (169.254.0.0/16, the cloud metadata
 *      address among them), CGNAT, multicast, unspecified and their IPv6
 *      forms are refused unless CORRAL_FETCH_ALLOW_PRIVATE is set. The check
 *      is on the socket curl opens, so DNS rebinding gains nothing.
 *   4. redirects are not followed here (each hop is a new request, checked
 *      again); no proxy from the environment; bodies are capped while they
 *      arrive, decompressed size included; the time is capped by the
 *      execution's remaining deadline.
 *
 * libcurl runs on one thread of its own (a multi handle and curl_multi_poll),
 * so a slow remote server never blocks the supervisor's event loop; finished
 * requests come back through a queue and an eventfd the loop watches. A body
 * still arriving once the headers are in is handed over as it comes (a
 * HEAD, then CHUNKs: an LLM's server-sent events one token at a time). */
#ifndef CORRAL_EGRESS_H
#define CORRAL_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/buf.h"

struct egress_opts {
	const char *allow;        /* comma-separated allowlist, may be NULL */
	bool allow_private;
	uint64_t max_bytes;       /* response body cap */
	uint64_t max_timeout_ms;  /* cap on any one request */
};

/* What a finished item of egress_take is: a whole answer (DONE), or, for
 * a body still arriving when its headers are complete, the answer's head
 * (HEAD: status, headers and the body so far), then CHUNKs of its body,
 * then the request itself as DONE (streamed set: what is left of the body,
 * and an error if the transfer failed after the head). */
enum egress_kind { EGRESS_DONE, EGRESS_HEAD, EGRESS_CHUNK };

struct egress_req {
	enum egress_kind kind;
	bool streamed;            /* DONE: a HEAD went out before it */
	/* In. */
	uint64_t owner;           /* the caller's tag for the requester */
	uint64_t slot;            /* ... and its execution's */
	uint64_t id;              /* the requester's own id */
	char tenant[65];          /* whose policy narrows the service's ("": none) */
	char *url;
	char *method;
	char **headers;           /* "Name: value" */
	size_t nheaders;
	char *body;
	size_t body_len;
	uint64_t timeout_ms;
	/* Out. */
	char error[256];          /* "" on success */
	long status;
	char status_text[64];
	struct buf resp_headers;  /* "Name: value\n" lines */
	struct buf resp_body;
	/* egress's own. */
	bool allow_private;
	bool refused_addr;
	bool head_done;           /* the final status line and headers are in */
	uint64_t head_ns;         /* when they were (CLOCK_MONOTONIC) */
	long head_status;         /* the status line's code, while headers come */
	uint64_t body_total;      /* body bytes received, streamed ones included */
	uint64_t body_cap;
	void *handle;             /* the curl easy handle while active */
	struct egress_req *active_next;
	struct egress_req *next;
	void *easy;
};

struct egress;

/* A host allowlist as CORRAL_FETCH_ALLOW writes one: exact names,
 * "*.suffix" wildcards, optional ":port", separated by commas or spaces. */
struct egress_allow;
/* Returns 0 or -errno with err naming the bad entry (prefix: what). */
int egress_allow_parse(struct egress_allow **out, const char *list, const char *what, char err[256]);
bool egress_allow_match(const struct egress_allow *a, const char *host, unsigned port);
void egress_allow_free(struct egress_allow *a);

/* A narrower policy per requester: called in egress_submit for a request
 * with a tenant, after the service's allowlist let it through. Returns
 * whether the tenant allows host:port; false with why set refuses it. */
typedef bool (*egress_policy_fn)(void *ud, const char *tenant, const char *host, unsigned port,
				 char *why, size_t whylen);
void egress_set_policy(struct egress *e, egress_policy_fn fn, void *ud);

/* Returns 0 or -errno with a message in err (a bad allowlist entry). */
int egress_new(struct egress **out, const struct egress_opts *o, char err[256]);
void egress_free(struct egress *e);
/* Readable when finished requests wait for egress_take. */
int egress_fd(const struct egress *e);
/* Takes ownership of r. A request refused up front (scheme, allowlist)
 * finishes at once with r->error set, through the same queue. */
void egress_submit(struct egress *e, struct egress_req *r);
/* Stops the request `id` of requester `owner` (a reader that cancelled
 * its body): nothing more is answered for it. */
void egress_abort(struct egress *e, uint64_t owner, uint64_t id);
/* The next finished request, or NULL. Caller frees with egress_req_free. */
struct egress_req *egress_take(struct egress *e);
void egress_req_free(struct egress_req *r);
/* Whether host:port is on the allowlist (exported for tests). */
bool egress_allowed(const struct egress *e, const char *host, unsigned port);

#endif
