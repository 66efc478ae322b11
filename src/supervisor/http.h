/* http — libmicrohttpd glue: one daemon on the service's event loop.
 *
 * MHD runs in external-epoll mode: its epoll fd sits in our loop and
 * MHD_run is called when it is ready, so there is no thread per connection
 * or per request. A request's body is collected (up to the cap) and handed
 * to the application in one call; the application answers at once
 * (http_respond) or later — the connection is then suspended, and resumed
 * when the answer is set. A streamed answer (SSE, NDJSON) is a chunked
 * response whose reader suspends the connection when it has nothing to
 * send and is resumed by http_stream_write.
 *
 * Invariant: an http_req lives from the first callback for its request to
 * MHD's completion callback; the application is told (handlers->closed)
 * before it is freed and must drop every pointer to it then. */
#ifndef CORRAL_HTTP_H
#define CORRAL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "supervisor/evloop.h"
#include "common/buf.h"

struct http_req;
struct http_server;

struct http_handlers {
	/* The whole request is in: answer with http_respond* or later. */
	void (*request)(struct http_req *r, void *ud);
	/* The request is over (answered or its client gone). */
	void (*closed)(struct http_req *r, void *ud);
};

struct http_opts {
	const char *listen;          /* "HOST:PORT", "[v6]:PORT" */
	size_t max_body;
	unsigned max_connections;
	unsigned max_per_ip;         /* 0: no per-IP cap */
	unsigned timeout_s;          /* idle connection timeout */
	unsigned stall_s;            /* an answer the client does not read for this long: closed (0: timeout_s) */
	struct evloop *loop;
	const struct http_handlers *handlers;
	void *ud;
};

/* Starts listening. Returns 0 or -errno with a message in err. */
int http_start(struct http_server **out, const struct http_opts *o, char err[256]);
/* Runs MHD's pending work; call after every loop iteration. */
void http_run(struct http_server *s);
/* MHD's own next timeout in ms, or -1 for none. */
int http_timeout_ms(struct http_server *s);
/* Stops accepting new connections (drain). */
void http_quiesce(struct http_server *s);
unsigned http_inflight(const struct http_server *s);
void http_stop(struct http_server *s);
/* The address actually bound (for port 0). */
int http_port(const struct http_server *s);
bool http_is_loopback(const struct http_server *s);
/* Bytes of answers queued but not yet taken by their clients (whole
 * answers until their request completes, stream chunks until sent). */
uint64_t http_unsent_bytes(const struct http_server *s);

/* The request. */
const char *http_method(const struct http_req *r);
const char *http_path(const struct http_req *r);
const char *http_header(const struct http_req *r, const char *name);
const char *http_query(const struct http_req *r, const char *name);
const struct buf *http_body(const struct http_req *r);
/* Calls cb for each request header, in arrival order. */
void http_headers_each(const struct http_req *r, void (*cb)(void *ud, const char *name, const char *value), void *ud);
/* Appends the query string (percent-encoded again, without '?') to out. */
void http_query_string(const struct http_req *r, struct buf *out);
bool http_body_too_large(const struct http_req *r);
uint64_t http_start_ns(const struct http_req *r);
void http_client_ip(const struct http_req *r, char *out, size_t n);
void http_set_app(struct http_req *r, void *app);
void *http_app(const struct http_req *r);

/* Answers. Headers added before the answer is set go with it. */
void http_add_header(struct http_req *r, const char *name, const char *value);
void http_respond(struct http_req *r, int status, const char *ctype, const char *body, size_t len);
/* A chunked stream: start, write any number of times, end. */
void http_stream_start(struct http_req *r, int status, const char *ctype);
void http_stream_write(struct http_req *r, const char *p, size_t n);
void http_stream_end(struct http_req *r);
/* Ends a stream as failed: the connection is closed without a proper end,
 * so the client cannot take a cut body for a whole one. */
void http_stream_abort(struct http_req *r);
int http_status(const struct http_req *r);

#endif
