/* egress — see egress.h. */
#include "supervisor/egress.h"
#include "supervisor/netaddr.h"
#include "supervisor/egress_hdr.h"
#include "common/clock.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define ALLOW_MAX 256
/* How long a head whose body has not started waits for it before it goes
 * out on its own (a streamed answer). */
#define EGRESS_HEAD_WAIT_MS 20

struct allow_rule {
	char host[256];   /* lower case; "*.x" matches subdomains of x */
	unsigned port;    /* 0: any */
};

struct egress_allow {
	struct allow_rule rules[ALLOW_MAX];
	size_t nrules;
};

struct egress {
	struct egress_opts o;
	struct egress_allow *allow;
	egress_policy_fn policy;
	void *policy_ud;
	int efd;                   /* eventfd: results are waiting */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	struct egress_req *in, *done, *done_tail;
	struct egress_abort_ask *aborts;
	bool stop;
	CURLM *multi;
	struct egress_req *active;  /* in the multi handle (thread's own) */
};

struct egress_abort_ask {
	uint64_t owner, id;
	struct egress_abort_ask *next;
};

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* --- policy ------------------------------------------------------------- */

int egress_allow_parse(struct egress_allow **out, const char *list, const char *what, char err[256])
{
	struct egress_allow *e = calloc(1, sizeof *e);
	*out = NULL;
	if (!e)
		return -ENOMEM;
	const char *p = list ? list : "";
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n) {
			if (e->nrules == ALLOW_MAX || n >= sizeof e->rules[0].host) {
				snprintf(err, 256, "%s: too many or too long entries", what);
				free(e);
				return -EINVAL;
			}
			struct allow_rule *r = &e->rules[e->nrules];
			memcpy(r->host, p, n);
			r->host[n] = '\0';
			char *colon = strrchr(r->host, ':');
			if (colon && !strchr(colon, ']')) {
				char *end;
				long port = strtol(colon + 1, &end, 10);
				if (*end || port <= 0 || port > 65535) {
					snprintf(err, 256, "%s: bad port in '%.100s'", what, r->host);
					free(e);
					return -EINVAL;
				}
				r->port = (unsigned)port;
				*colon = '\0';
			}
			for (char *c = r->host; *c; c++)
				*c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
			if (!r->host[0]) {
				snprintf(err, 256, "%s: empty host in the list", what);
				free(e);
				return -EINVAL;
			}
			e->nrules++;
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	*out = e;
	return 0;
}

void egress_allow_free(struct egress_allow *a)
{
	free(a);
}

bool egress_allow_match(const struct egress_allow *e, const char *host, unsigned port)
{
	char h[256];
	size_t n = strlen(host);
	if (!e || n >= sizeof h)
		return false;
	for (size_t i = 0; i <= n; i++)
		h[i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] + 32 : host[i]);
	if (n && h[n - 1] == '.')
		h[--n] = '\0';
	for (size_t i = 0; i < e->nrules; i++) {
		const struct allow_rule *r = &e->rules[i];
		if (r->port && r->port != port)
			continue;
		if (r->host[0] == '*' && r->host[1] == '.') {
			size_t sl = strlen(r->host + 1); /* ".suffix" */
			if (n > sl && strcmp(h + n - sl, r->host + 1) == 0)
				return true;
		} else if (strcmp(h, r->host) == 0) {
			return true;
		}
	}
	return false;
}

bool egress_allowed(const struct egress *e, const char *host, unsigned port)
{
	return egress_allow_match(e->allow, host, port);
}

void egress_set_policy(struct egress *e, egress_policy_fn fn, void *ud)
{
	e->policy = fn;
	e->policy_ud = ud;
}


/* --- requests ----------------------------------------------------------- */

void egress_req_free(struct egress_req *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->method);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->body);
	buf_release(&r->resp_headers);
	buf_release(&r->resp_body);
	free(r);
}

static void finish(struct egress *e, struct egress_req *r)
{
	pthread_mutex_lock(&e->mu);
	r->next = NULL;
	if (e->done_tail)
		e->done_tail->next = r;
	else
		e->done = r;
	e->done_tail = r;
	pthread_mutex_unlock(&e->mu);
	uint64_t one = 1;
	ssize_t w = write(e->efd, &one, sizeof one);
	(void)w;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct egress_req *r = ud;
	size_t len = size * n;
	r->head_done = true;
	/* The cap is on the whole body, handed over in pieces or not. */
	if (r->body_total + len > r->body_cap || buf_append(&r->resp_body, p, len)) {
		snprintf(r->error, sizeof r->error, "response body over the %llu-byte cap",
			 (unsigned long long)r->body_cap);
		return 0; /* aborts the transfer */
	}
	r->body_total += len;
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct egress_req *r = ud;
	size_t len = size * n;
	/* The blank line after a final (not 1xx) status's headers. */
	if (len <= 2 && (len == 0 || p[0] == '\r' || p[0] == '\n')) {
		if (r->head_status >= 200)
			r->head_done = true;
		return len;
	}
	/* A new status line (after a 100 Continue) starts the headers over. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		buf_reset(&r->resp_headers);
		const char *code = memchr(p, ' ', len);
		r->head_status = code ? strtol(code + 1, NULL, 10) : 0;
		const char *sp = memchr(p, ' ', len);
		const char *sp2 = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - p)) : NULL;
		if (sp2) {
			size_t tl = len - (size_t)(sp2 + 1 - p);
			while (tl && (sp2[tl] == '\r' || sp2[tl] == '\n' || sp2[tl] == '\0'))
				tl--;
			snprintf(r->status_text, sizeof r->status_text, "%.*s", (int)tl, sp2 + 1);
			r->status_text[strcspn(r->status_text, "\r\n")] = '\0';
		}
		return len;
	}
	if (memchr(p, ':', len) && buf_append(&r->resp_headers, p, len))
		return 0;
	return len;
}

/* Every address curl connects to, after DNS: the place the private-address
 * rule is enforced, so a name that resolves (or re-resolves) inward is
 * caught. */
static curl_socket_t on_open(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct egress_req *r = ud;
	(void)purpose;
	if (!r->allow_private && netaddr_private(&addr->addr)) {
		r->refused_addr = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static CURL *make_easy(struct egress *e, struct egress_req *r, struct curl_slist **hl)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)e->o.max_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, r);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "corral-fetch/0.1");
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	if (!strcasecmp(r->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (r->body_len || !strcasecmp(r->method, "POST") || !strcasecmp(r->method, "PUT") ||
	    !strcasecmp(r->method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	struct curl_slist *l = NULL;
	for (size_t i = 0; i < r->nheaders; i++)
		if (egress_hdr_check(r->headers[i]) == EGRESS_HDR_SEND)
			l = curl_slist_append(l, r->headers[i]);
	/* curl adds "Expect: 100-continue" to large bodies: not for us. */
	l = curl_slist_append(l, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
	*hl = l;
	return c;
}

/* Hands the head of r (the first time) or the body that came since, as an
 * item of its own: r stays with the transfer. */
static void hand_over(struct egress *e, struct egress_req *r)
{
	struct egress_req *ev = calloc(1, sizeof *ev);
	if (!ev)
		return; /* it goes out with the next piece, or at the end */
	ev->kind = r->streamed ? EGRESS_CHUNK : EGRESS_HEAD;
	ev->owner = r->owner;
	ev->slot = r->slot;
	ev->id = r->id;
	if (!r->streamed) {
		curl_easy_getinfo(r->handle, CURLINFO_RESPONSE_CODE, &ev->status);
		memcpy(ev->status_text, r->status_text, sizeof ev->status_text);
		ev->resp_headers = r->resp_headers;
		buf_init(&r->resp_headers, 256u << 10);
	}
	ev->resp_body = r->resp_body;
	buf_init(&r->resp_body, ev->resp_body.cap);
	r->streamed = true;
	finish(e, ev);
}

static void *run(void *arg)
{
	struct egress *e = arg;
	for (;;) {
		pthread_mutex_lock(&e->mu);
		bool stop = e->stop;
		struct egress_req *in = e->in;
		e->in = NULL;
		pthread_mutex_unlock(&e->mu);
		if (stop) {
			while (e->active) {
				struct egress_req *r = e->active;
				e->active = r->active_next;
				curl_multi_remove_handle(e->multi, r->handle);
				curl_easy_cleanup(r->handle);
				curl_slist_free_all(r->easy);
				egress_req_free(r);
			}
			while (in) {
				struct egress_req *r = in;
				in = in->next;
				egress_req_free(r);
			}
			break;
		}
		while (in) {
			struct egress_req *r = in;
			in = in->next;
			struct curl_slist *hl = NULL;
			CURL *c = make_easy(e, r, &hl);
			if (!c) {
				snprintf(r->error, sizeof r->error, "cannot set up the request");
				curl_slist_free_all(hl);
				finish(e, r);
				continue;
			}
			r->easy = hl; /* freed with the handle */
			r->handle = c;
			r->active_next = e->active;
			e->active = r;
			curl_multi_add_handle(e->multi, c);
		}
		pthread_mutex_lock(&e->mu);
		struct egress_abort_ask *ab = e->aborts;
		e->aborts = NULL;
		pthread_mutex_unlock(&e->mu);
		while (ab) {
			struct egress_abort_ask *a = ab;
			ab = a->next;
			for (struct egress_req **pp = &e->active; *pp; pp = &(*pp)->active_next) {
				struct egress_req *r = *pp;
				if (r->owner != a->owner || r->id != a->id)
					continue;
				*pp = r->active_next;
				curl_multi_remove_handle(e->multi, r->handle);
				curl_easy_cleanup(r->handle);
				curl_slist_free_all(r->easy);
				egress_req_free(r);
				break;
			}
			free(a);
		}
		int running = 0;
		curl_multi_perform(e->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(e->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			CURL *c = m->easy_handle;
			struct egress_req *r = NULL;
			curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&r);
			if (m->data.result == CURLE_OK) {
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
			} else if (!r->error[0]) {
				if (r->refused_addr)
					snprintf(r->error, sizeof r->error,
						 "refused: the host resolves to a private, loopback or link-local address");
				else if (m->data.result == CURLE_FILESIZE_EXCEEDED)
					snprintf(r->error, sizeof r->error, "response body over the %llu-byte cap",
						 (unsigned long long)e->o.max_bytes);
				else if (m->data.result == CURLE_OPERATION_TIMEDOUT)
					snprintf(r->error, sizeof r->error, "timed out after %llu ms",
						 (unsigned long long)r->timeout_ms);
				else
					snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(m->data.result));
			}
			curl_multi_remove_handle(e->multi, c);
			curl_slist_free_all(r->easy);
			r->easy = NULL;
			curl_easy_cleanup(c);
			r->handle = NULL;
			for (struct egress_req **pp = &e->active; *pp; pp = &(*pp)->active_next)
				if (*pp == r) {
					*pp = r->active_next;
					break;
				}
			finish(e, r);
		}
		/* What is still arriving with its headers in goes out as it is:
		 * its head once body bytes came, or EGRESS_HEAD_WAIT_MS after the
		 * headers (an event stream that waits for its first event), so a
		 * small answer whose body follows its headers by a moment still
		 * goes out whole, in one frame. */
		uint64_t now = clock_mono_ns();
		int wait_ms = 1000;
		for (struct egress_req *r = e->active; r; r = r->active_next) {
			if (!r->head_done)
				continue;
			if (!r->head_ns)
				r->head_ns = now;
			uint64_t waited = (now - r->head_ns) / 1000000;
			if (r->streamed ? r->resp_body.len > 0
					: r->resp_body.len > 0 || waited >= EGRESS_HEAD_WAIT_MS)
				hand_over(e, r);
			else if (!r->streamed && (int)(EGRESS_HEAD_WAIT_MS - waited) < wait_ms)
				wait_ms = (int)(EGRESS_HEAD_WAIT_MS - waited);
		}
		curl_multi_poll(e->multi, NULL, 0, wait_ms, NULL);
	}
	return NULL;
}

int egress_new(struct egress **out, const struct egress_opts *o, char err[256])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct egress *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->o = *o;
	if (!e->o.max_bytes)
		e->o.max_bytes = 10u << 20;
	int rc = egress_allow_parse(&e->allow, o->allow, "CORRAL_FETCH_ALLOW", err);
	if (rc) {
		free(e);
		return rc;
	}
	pthread_once(&once, global_init);
	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e->multi = curl_multi_init();
	pthread_mutex_init(&e->mu, NULL);
	if (e->efd < 0 || !e->multi) {
		snprintf(err, 256, "cannot set up libcurl");
		egress_free(e);
		return -ENOMEM;
	}
	*out = e;
	return 0;
}

static bool parse_target(const char *url, char *scheme, size_t sn, char *host, size_t hn, unsigned *port)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL, *p = NULL;
	bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		  curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
		  curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
		  curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK;
	if (ok) {
		snprintf(scheme, sn, "%s", s);
		snprintf(host, hn, "%s", h);
		/* IPv6 literals come bracketed. */
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		*port = (unsigned)atoi(p);
	}
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return ok;
}

void egress_submit(struct egress *e, struct egress_req *r)
{
	char scheme[16], host[256];
	unsigned port = 0;
	buf_init(&r->resp_headers, 256u << 10);
	buf_init(&r->resp_body, e->o.max_bytes);
	r->body_cap = e->o.max_bytes;
	if (r->timeout_ms == 0 || r->timeout_ms > e->o.max_timeout_ms)
		r->timeout_ms = e->o.max_timeout_ms ? e->o.max_timeout_ms : 30000;
	if (!parse_target(r->url, scheme, sizeof scheme, host, sizeof host, &port)) {
		snprintf(r->error, sizeof r->error, "refused: '%.100s' is not a valid URL", r->url);
	} else if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		snprintf(r->error, sizeof r->error, "refused: only http and https (got '%s:')", scheme);
	} else if (!egress_allowed(e, host, port)) {
		snprintf(r->error, sizeof r->error, "refused: %.100s is not on the fetch allowlist (CORRAL_FETCH_ALLOW)", host);
	} else if (e->policy && r->tenant[0]) {
		char why[200] = "";
		if (!e->policy(e->policy_ud, r->tenant, host, port, why, sizeof why))
			snprintf(r->error, sizeof r->error, "refused: %.100s:%u %s", host, port,
				 why[0] ? why : "is not on this tenant's egress allowlist");
	}
	r->allow_private = e->o.allow_private;
	if (r->error[0]) {
		finish(e, r);
		return;
	}
	if (!e->thread_started) {
		if (pthread_create(&e->thread, NULL, run, e) != 0) {
			snprintf(r->error, sizeof r->error, "cannot start the egress thread");
			finish(e, r);
			return;
		}
		e->thread_started = true;
	}
	pthread_mutex_lock(&e->mu);
	r->next = e->in;
	e->in = r;
	pthread_mutex_unlock(&e->mu);
	curl_multi_wakeup(e->multi);
}

void egress_abort(struct egress *e, uint64_t owner, uint64_t id)
{
	if (!e->thread_started)
		return;
	struct egress_abort_ask *a = calloc(1, sizeof *a);
	if (!a)
		return; /* the transfer runs to its end or its timeout */
	a->owner = owner;
	a->id = id;
	pthread_mutex_lock(&e->mu);
	a->next = e->aborts;
	e->aborts = a;
	pthread_mutex_unlock(&e->mu);
	curl_multi_wakeup(e->multi);
}

struct egress_req *egress_take(struct egress *e)
{
	uint64_t v;
	ssize_t n = read(e->efd, &v, sizeof v);
	(void)n;
	pthread_mutex_lock(&e->mu);
	struct egress_req *r = e->done;
	if (r) {
		e->done = r->next;
		if (!e->done)
			e->done_tail = NULL;
		r->next = NULL;
	}
	pthread_mutex_unlock(&e->mu);
	return r;
}

int egress_fd(const struct egress *e)
{
	return e->efd;
}

void egress_free(struct egress *e)
{
	if (!e)
		return;
	if (e->thread_started) {
		pthread_mutex_lock(&e->mu);
		e->stop = true;
		pthread_mutex_unlock(&e->mu);
		curl_multi_wakeup(e->multi);
		pthread_join(e->thread, NULL);
	}
	/* Whatever is left: never started, or done and not taken. */
	while (e->in) {
		struct egress_req *r = e->in;
		e->in = r->next;
		egress_req_free(r);
	}
	while (e->done) {
		struct egress_req *r = e->done;
		e->done = r->next;
		egress_req_free(r);
	}
	while (e->aborts) {
		struct egress_abort_ask *a = e->aborts;
		e->aborts = a->next;
		free(a);
	}
	if (e->multi)
		curl_multi_cleanup(e->multi);
	egress_allow_free(e->allow);
	if (e->efd >= 0)
		close(e->efd);
	pthread_mutex_destroy(&e->mu);
	free(e);
}
