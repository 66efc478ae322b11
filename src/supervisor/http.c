/* http — see http.h. */
#include "supervisor/http.h"

#include "common/dlist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "supervisor/log.h"
#include "common/clock.h"

#define HTTP_MAX_HEADERS 64
#define STREAM_BLOCK 65536

struct http_server {
	struct evsrc src;
	struct MHD_Daemon *d;
	struct evloop *loop;
	const struct http_handlers *h;
	void *ud;
	size_t max_body;
	unsigned inflight;
	struct http_req *reqs;      /* in flight, for http_stop */
	int port;
	bool loopback;
	bool quiesced;
	unsigned timeout_s, stall_s;
	uint64_t unsent;            /* see http_unsent_bytes */
};

enum req_state { REQ_BODY, REQ_WAITING, REQ_ANSWERED };

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	char method[16];
	char *path;
	struct buf body;
	bool too_large;
	enum req_state state;
	bool in_handler;    /* inside our access handler: may queue directly */
	bool suspended;
	uint64_t start_ns;
	void *app;

	/* The answer. */
	bool have_answer;
	int status;
	char ctype[64];
	struct buf out;
	struct { char *name, *value; } hdrs[HTTP_MAX_HEADERS];
	unsigned nhdrs;

	/* Streaming. */
	bool stream;
	bool stream_done;
	bool stream_failed;
	bool reader_waiting; /* the reader suspended the connection */
	struct buf sbuf;
	uint64_t counted;   /* bytes of the whole answer in srv->unsent */
	struct http_req *prev, *next; /* the server's in-flight list */
};

/* --- requests ----------------------------------------------------------- */

const char *http_method(const struct http_req *r) { return r->method; }
const char *http_path(const struct http_req *r) { return r->path; }
const struct buf *http_body(const struct http_req *r) { return &r->body; }
bool http_body_too_large(const struct http_req *r) { return r->too_large; }
uint64_t http_start_ns(const struct http_req *r) { return r->start_ns; }
void http_set_app(struct http_req *r, void *app) { r->app = app; }
void *http_app(const struct http_req *r) { return r->app; }
int http_status(const struct http_req *r) { return r->status; }

const char *http_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct hdr_iter {
	void (*cb)(void *ud, const char *name, const char *value);
	void *ud;
};

static enum MHD_Result hdr_visit(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdr_iter *it = cls;
	it->cb(it->ud, key, value ? value : "");
	return MHD_YES;
}

void http_headers_each(const struct http_req *r, void (*cb)(void *ud, const char *name, const char *value), void *ud)
{
	struct hdr_iter it = { cb, ud };
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, hdr_visit, &it);
}

static void put_encoded(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
			buf_putc(out, (char)c);
		} else {
			buf_putc(out, '%');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
	}
}

static enum MHD_Result query_visit(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct buf *out = cls;
	if (out->len)
		buf_putc(out, '&');
	put_encoded(out, key);
	if (value) {
		buf_putc(out, '=');
		put_encoded(out, value);
	}
	return MHD_YES;
}

void http_query_string(const struct http_req *r, struct buf *out)
{
	struct buf q = BUF_INIT(64u << 10);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_visit, &q);
	buf_append(out, q.data ? q.data : "", q.len);
	buf_release(&q);
}

void http_client_ip(const struct http_req *r, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

static void req_free(struct http_req *r)
{
	for (unsigned i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	buf_release(&r->body);
	buf_release(&r->out);
	buf_release(&r->sbuf);
	free(r->path);
	free(r);
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nhdrs == HTTP_MAX_HEADERS)
		return;
	r->hdrs[r->nhdrs].name = strdup(name);
	r->hdrs[r->nhdrs].value = strdup(value);
	r->nhdrs++;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_req *r = cls;
	if (r->sbuf.len) {
		size_t n = r->sbuf.len < max ? r->sbuf.len : max;
		memcpy(out, r->sbuf.data, n);
		buf_consume(&r->sbuf, n);
		r->srv->unsent -= n;
		return (ssize_t)n;
	}
	if (r->stream_done)
		return r->stream_failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing to send yet: park the connection until there is. */
	r->reader_waiting = true;
	r->suspended = true;
	MHD_suspend_connection(r->conn);
	return 0;
}

static enum MHD_Result queue_answer(struct http_req *r)
{
	struct MHD_Response *resp;
	if (r->stream) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_reader, r, NULL);
	} else if (r->out.len) {
		/* MHD takes the buffer: the answer is held once, not twice. */
		size_t len = r->out.len;
		char *body = buf_steal(&r->out);
		resp = body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE) : NULL;
		if (!resp)
			free(body);
		else
			r->srv->unsent += r->counted = len;
	} else {
		resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	/* From here the client must keep reading: one that stalls the answer
	 * for stall_s is cut off, so an unread answer cannot pin memory for
	 * the whole idle timeout. (A suspended stream is not stalled.) */
	if (r->srv->stall_s)
		MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, r->srv->stall_s);
	if (r->ctype[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	for (unsigned i = 0; i < r->nhdrs; i++)
		MHD_add_response_header(resp, r->hdrs[i].name, r->hdrs[i].value);
	if (r->stream) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	}
	if (r->srv->quiesced)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	r->state = REQ_ANSWERED;
	return rc;
}

static void wake(struct http_req *r)
{
	if (r->suspended) {
		r->suspended = false;
		r->reader_waiting = false;
		MHD_resume_connection(r->conn);
	}
}

static void set_answer(struct http_req *r, int status, const char *ctype)
{
	r->have_answer = true;
	r->status = status;
	snprintf(r->ctype, sizeof r->ctype, "%s", ctype ? ctype : "");
}

void http_respond(struct http_req *r, int status, const char *ctype, const char *body, size_t len)
{
	if (r->have_answer)
		return;
	set_answer(r, status, ctype);
	buf_reset(&r->out);
	if (buf_append(&r->out, body, len))
		r->status = 500;
	if (!r->in_handler)
		wake(r);
}

void http_stream_start(struct http_req *r, int status, const char *ctype)
{
	if (r->have_answer)
		return;
	set_answer(r, status, ctype);
	r->stream = true;
	if (!r->in_handler)
		wake(r);
}

void http_stream_write(struct http_req *r, const char *p, size_t n)
{
	if (!r->stream || r->stream_done)
		return;
	if (!buf_append(&r->sbuf, p, n))
		r->srv->unsent += n;
	if (r->reader_waiting)
		wake(r);
}

void http_stream_abort(struct http_req *r)
{
	if (!r->stream)
		return;
	r->stream_failed = true;
	http_stream_end(r);
}

void http_stream_end(struct http_req *r)
{
	if (!r->stream)
		return;
	r->stream_done = true;
	if (r->reader_waiting)
		wake(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->srv = s;
		r->conn = conn;
		snprintf(r->method, sizeof r->method, "%s", method);
		r->path = strdup(url);
		r->start_ns = clock_mono_ns();
		buf_init(&r->body, s->max_body);
		buf_init(&r->out, SIZE_MAX / 2);
		buf_init(&r->sbuf, SIZE_MAX / 2);
		r->state = REQ_BODY;
		*con_cls = r;
		s->inflight++;
		DLIST_PUSH(s->reqs, r);
		return r->path ? MHD_YES : MHD_NO;
	}
	if (r->state == REQ_BODY) {
		if (*upload_size) {
			if (!r->too_large && buf_append(&r->body, upload, *upload_size))
				r->too_large = true;
			*upload_size = 0;
			return MHD_YES;
		}
		r->state = REQ_WAITING;
		r->in_handler = true;
		s->h->request(r, s->ud);
		r->in_handler = false;
		if (r->have_answer)
			return queue_answer(r);
		r->suspended = true;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	if (r->state == REQ_WAITING && r->have_answer)
		return queue_answer(r);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	s->inflight--;
	s->unsent -= r->counted + r->sbuf.len;
	/* Kept alive, the connection is idle again: the idle timeout. */
	if (s->stall_s)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, s->timeout_s);
	DLIST_UNLINK(s->reqs, r);
	s->h->closed(r, s->ud);
	req_free(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_msg(LOG_DEBUG, "http", "%s", msg);
}

/* --- the daemon --------------------------------------------------------- */

static void on_ready(struct evsrc *src, uint32_t events)
{
	struct http_server *s = (struct http_server *)src;
	MHD_run(s->d);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, char err[256])
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || !colon[1]) {
		snprintf(err, 256, "--listen must be HOST:PORT (got '%s')", listen);
		return -EINVAL;
	}
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof host) {
		snprintf(err, 256, "--listen host is too long");
		return -EINVAL;
	}
	memcpy(host, listen, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535) {
		snprintf(err, 256, "--listen port must be 0..65535 (got '%s')", colon + 1);
		return -EINVAL;
	}
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM }, *ai;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%ld", port);
	int rc = getaddrinfo(strcmp(host, "*") == 0 || !host[0] ? NULL : host, portstr, &hints, &ai);
	if (rc) {
		snprintf(err, 256, "--listen: cannot resolve '%.100s': %s", host, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

static bool addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return false;
}

int http_start(struct http_server **out, const struct http_opts *o, char err[256])
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	int rc = parse_listen(o->listen, &ss, err);
	if (rc)
		return rc;
	struct http_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->src.cb = on_ready;
	s->loop = o->loop;
	s->h = o->handlers;
	s->ud = o->ud;
	s->max_body = o->max_body;
	s->timeout_s = o->timeout_s;
	s->stall_s = o->stall_s && o->stall_s < o->timeout_s ? o->stall_s : 0;
	s->loopback = addr_is_loopback(&ss);
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 << 10),
				MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, 256, "cannot listen on %s (in use, or not an address of this machine)", o->listen);
		free(s);
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = pi ? pi->port : 0;
	if (!di || evloop_add(o->loop, di->epoll_fd, EPOLLIN, &s->src)) {
		snprintf(err, 256, "cannot watch the HTTP daemon's epoll fd");
		MHD_stop_daemon(s->d);
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

void http_run(struct http_server *s)
{
	/* A resumed connection may need more than one round (process, then
	 * write); MHD says so with a zero timeout. */
	MHD_UNSIGNED_LONG_LONG t = 0;
	for (int i = 0; i < 4; i++) {
		MHD_run(s->d);
		if (MHD_get_timeout(s->d, &t) != MHD_YES || t > 0)
			break;
	}
}

int http_timeout_ms(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG t;
	if (MHD_get_timeout(s->d, &t) != MHD_YES)
		return -1;
	return t > 1000 ? 1000 : (int)t;
}

void http_quiesce(struct http_server *s)
{
	if (s->quiesced)
		return;
	s->quiesced = true;
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned http_inflight(const struct http_server *s)
{
	return s->inflight;
}

int http_port(const struct http_server *s)
{
	return s->port;
}

uint64_t http_unsent_bytes(const struct http_server *s)
{
	return s->unsent;
}

bool http_is_loopback(const struct http_server *s)
{
	return s->loopback;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	/* MHD refuses to stop (it aborts the process) while a connection is
	 * suspended: a drain that timed out leaves some waiting for their
	 * execution. Resume them and let MHD take them back first. */
	bool resumed = false;
	for (struct http_req *r = s->reqs; r; r = r->next)
		if (r->suspended) {
			r->suspended = false;
			MHD_resume_connection(r->conn);
			resumed = true;
		}
	if (resumed)
		MHD_run(s->d);
	MHD_stop_daemon(s->d);
	free(s);
}
