/* wproc — see wproc.h. */
#include "supervisor/wproc.h"
#include "supervisor/egress_hdr.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/package.h"
#include "sandbox/spawn.h"
#include "common/clock.h"
#include "common/json.h"

#define WPROC_PIDS_MAX WPROC_PIDS_CAP
#define WPROC_WRITE_TIMEOUT_MS 2000

int wproc_start(struct wproc **out, const struct wproc_opts *o)
{
	static unsigned seq;
	struct wproc *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	static uint64_t serials;
	w->serial = ++serials;
	w->pid = -1;
	w->pidfd = -1;
	w->fd = -1;
	w->jit = o->jit;
	w->mem_cap = o->memory_bytes;
	w->cap = 1;
	ipc_reader_init(&w->rd, IPC_MAX_FRAME);
	int rc;
	if (o->cg_slot && o->cg_slot->version && (o->caps->layers & SANDBOX_CGROUP)) {
		w->cg = *o->cg_slot;
		rc = cg_worker_set_memory(&w->cg, o->memory_bytes);
		if (rc)
			goto fail;
		w->has_cg = true;
	} else if (o->cg_root && o->cg_root->version && (o->caps->layers & SANDBOX_CGROUP)) {
		char name[48];
		snprintf(name, sizeof name, "w%u", seq++);
		rc = cg_worker_create(o->cg_root, name, o->memory_bytes, WPROC_PIDS_MAX, &w->cg);
		if (rc)
			goto fail;
		w->has_cg = true;
		w->own_cg = true;
	}
	struct sandbox_inside inside = {
		.layers = o->caps->layers,
		.uid = o->uid,
		.gid = o->uid,
		.userns = false,
	};
	if (!w->has_cg)
		inside.layers &= ~(unsigned)SANDBOX_CGROUP;
	struct spawn_opts so = {
		.exe = spawn_worker_exe(),
		.ns_flags = (o->caps->layers & SANDBOX_NAMESPACES) ? o->caps->ns_flags : 0,
		.cg = w->has_cg ? &w->cg : NULL,
		.inside = &inside,
		.jit = o->jit,
		.warm_full = o->warm_full,
		.wasm = o->wasm,
		.rlimits = (o->caps->layers & SANDBOX_RLIMITS) != 0,
		.cpu_s = o->cpu_s,
		.stderr_fd = o->stderr_fd > 0 ? o->stderr_fd : -1,
	};
	struct spawn_child child;
	rc = spawn_worker(&so, &child);
	if (rc)
		goto fail;
	w->pid = child.pid;
	w->pidfd = child.pidfd;
	w->fd = child.fd;
	w->shared = child.shared;
	fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK);
	w->state = WPROC_STARTING;
	w->started_ns = clock_mono_ns();
	*out = w;
	return 0;
fail:
	if (w->own_cg)
		cg_worker_destroy(&w->cg);
	ipc_reader_release(&w->rd);
	free(w);
	return rc;
}

/* Writes a whole frame to the non-blocking socket, waiting for room; a
 * worker that does not read for WPROC_WRITE_TIMEOUT_MS is stuck. */
static int write_frame(struct wproc *w, const struct buf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(w->fd, b->data + off, b->len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		struct pollfd p = { w->fd, POLLOUT, 0 };
		int r = poll(&p, 1, WPROC_WRITE_TIMEOUT_MS);
		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

bool wproc_worn(const struct wproc *w)
{
	if (!w->base_rss || w->held_rss <= w->base_rss)
		return false;
	uint64_t allow = w->mem_cap / 4 > WPROC_HELD_MAX ? w->mem_cap / 4 : WPROC_HELD_MAX;
	return w->held_rss - w->base_rss > allow;
}

bool wproc_has_room(const struct wproc *w)
{
	return (w->state == WPROC_IDLE || w->state == WPROC_BUSY) && w->inflight < w->cap &&
	       w->kill_reason == WPROC_KILL_NONE && !w->last;
}

int wproc_set_capacity(struct wproc *w, unsigned cap, uint64_t memory_bytes)
{
	w->cap = cap ? cap : 1;
	if (w->cap == 1 || !memory_bytes)
		return 0;
	if (w->has_cg) {
		int rc = cg_worker_set_memory(&w->cg, memory_bytes);
		if (rc)
			return rc;
	}
	w->mem_cap = memory_bytes;
	return 0;
}

int wproc_exec(struct wproc *w, const struct wproc_job *job, void *user, uint64_t *slot)
{
	if (!wproc_has_room(w))
		return -EBUSY;
	bool alone = w->cap == 1;
	if (alone && w->has_cg) {
		if (job->memory_bytes && job->memory_bytes != w->mem_cap) {
			/* v1 refuses (EBUSY) a cap below what the worker holds
			 * now (a heap a larger job grew, not yet given back). */
			int rc = cg_worker_set_memory(&w->cg, job->memory_bytes);
			if (rc)
				return rc == -EBUSY ? -EDQUOT : rc;
		}
		cg_worker_reset_peak(&w->cg);
	}
	if (w->has_cg && w->inflight == 0)
		w->oom_before = cg_worker_oom_kills(&w->cg);
	if (alone && job->memory_bytes)
		w->mem_cap = job->memory_bytes;
	struct wproc_exec *x = calloc(1, sizeof *x);
	if (!x)
		return -ENOMEM;
	x->slot = ++w->next_slot;
	x->mem_cap = job->memory_bytes ? job->memory_bytes : w->mem_cap;
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN);
	uint64_t flags = (job->allow_eval ? IPC_EXEC_ALLOW_EVAL : 0) |
			 (job->function ? IPC_EXEC_FUNCTION : 0) |
			 (job->check ? IPC_EXEC_CHECK : 0) |
			 (job->typescript ? IPC_EXEC_TYPESCRIPT : 0) |
			 (job->wasm ? IPC_EXEC_WASM : 0) |
			 (job->last ? IPC_EXEC_LAST_IN_LIFE : 0);
	int rc = ipc_enc_begin(&b, IPC_MSG_EXEC);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_SLOT, x->slot);
	rc = rc ? rc : ipc_enc_str(&b, IPC_T_ID, job->id);
	rc = rc ? rc : ipc_enc_bytes(&b, IPC_T_CODE, job->code, job->code_len);
	if (job->filename)
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_FILENAME, job->filename);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_TIMEOUT_MS, job->timeout_ms);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_FLAGS, flags);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_OUTPUT_CAP, job->output_cap);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_MEMORY_MB, x->mem_cap >> 20);
	if (job->tmp_cap)
		rc = rc ? rc : ipc_enc_u64(&b, IPC_T_TMP_CAP, job->tmp_cap);
	if (job->function) {
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_METHOD, job->http.method);
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_URL, job->http.url);
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_PATH, job->http.path);
		if (job->http.client_ip)
			rc = rc ? rc : ipc_enc_str(&b, IPC_T_CLIENT_IP, job->http.client_ip);
		for (size_t i = 0; i < job->http.nheaders && !rc; i++)
			rc = ipc_enc_str(&b, IPC_T_HEADER, job->http.headers[i]);
		if (job->http.has_body)
			rc = rc ? rc : ipc_enc_bytes(&b, IPC_T_BODY, job->http.body ? job->http.body : "", job->http.body_len);
	}
	for (size_t i = 0; i < job->nenv && !rc; i++)
		rc = ipc_enc_str(&b, IPC_T_ENV, job->env[i]);
	if (job->session.id) {
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_SESSION, job->session.id);
		rc = rc ? rc : ipc_enc_u64(&b, IPC_T_SESSION_SEQ, job->session.seq);
		rc = rc ? rc : ipc_enc_u64(&b, IPC_T_STATE_MAX, job->session.state_max);
		if (job->session.ttl_ms)
			rc = rc ? rc : ipc_enc_u64(&b, IPC_T_SESSION_TTL_MS, job->session.ttl_ms);
		if (job->session.state)
			rc = rc ? rc : ipc_enc_bytes(&b, IPC_T_STATE, job->session.state, job->session.state_len);
	}
	rc = rc ? rc : ipc_enc_end(&b);
	if (!rc)
		rc = write_frame(w, &b);
	buf_release(&b);
	if (!rc)
		rc = idmap_put(&w->jobs, x->slot, x);
	if (rc) {
		free(x);
		return rc;
	}
	snprintf(x->id, sizeof x->id, "%s", job->id);
	x->start_ns = clock_mono_ns();
	x->timeout_ms = job->timeout_ms;
	/* A session's snapshot runs after the code, on a budget of its own. */
	x->kill_at_ns = x->start_ns + (job->timeout_ms + WPROC_GRACE_MS +
				       (job->session.id ? WPROC_SNAPSHOT_MS : 0)) * 1000000ull;
	x->session = job->session.id != NULL;
	x->state_max = job->session.state_max;
	x->out_cap = job->output_cap;
	x->user = user;
	if (!w->inflight || x->kill_at_ns < w->next_kill_ns)
		w->next_kill_ns = x->kill_at_ns;
	if (job->last)
		w->last = true;
	if (slot)
		*slot = x->slot;
	w->inflight++;
	w->state = WPROC_BUSY;
	return 0;
}

void wproc_forget(struct wproc *w, uint64_t slot)
{
	struct wproc_exec *x = idmap_get(&w->jobs, slot);
	if (x)
		x->user = NULL;
}

/* Records x as the execution the worker is killed for. */
static void blame(struct wproc *w, const struct wproc_exec *x)
{
	if (!x || w->blame)
		return;
	w->blame = x->slot;
	snprintf(w->blame_id, sizeof w->blame_id, "%s", x->id);
}

/* The execution a frame is about (its SLOT), or NULL. */
static struct wproc_exec *job_of(struct wproc *w, const struct ipc_msg *m)
{
	return idmap_get(&w->jobs, ipc_get_u64(m, IPC_T_SLOT, 0));
}

/* x has ended (its result is handed on): forget it. */
static void job_drop(struct wproc *w, struct wproc_exec *x)
{
	idmap_del(&w->jobs, x->slot);
	free(x);
	w->inflight--;
	if (!w->inflight && w->state == WPROC_BUSY)
		w->state = WPROC_IDLE;
}

struct each_ctx {
	void (*fn)(void *ud, void *user);
	void *ud;
};

static void each_one(void *ud, uint64_t key, void *v)
{
	struct each_ctx *c = ud;
	c->fn(c->ud, ((struct wproc_exec *)v)->user);
}

void wproc_each(struct wproc *w, void (*fn)(void *ud, void *user), void *ud)
{
	struct each_ctx c = { fn, ud };
	idmap_each(&w->jobs, each_one, &c);
}

static char *field_dup(const struct ipc_msg *m, enum ipc_tag tag)
{
	const struct ipc_field *f = ipc_get(m, tag);
	return f ? strndup(f->data, f->len) : NULL;
}

/* A session snapshot: {"v":1,"vars":[...]} (session.js). Returns 1 when it
 * is one, 0 when it is one that says it failed ("error": the stored state
 * stays as it was), -1 when it is not. */
static int state_check(const char *p, size_t n)
{
	json_error_t jerr;
	/* Stored as it is: only its shape is checked, so the escapes jansson
	 * refuses (a lone surrogate in a variable) are tamed for the parse. */
	char *tame = memchr(p, '\0', n) || json_check(p, n) ? NULL : json_tame_escapes(p, n);
	json_t *v = tame ? json_loadb(tame, n, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	free(tame);
	int rc = v && json_is_object(v) && json_integer_value(json_object_get(v, "v")) == 1 &&
		 json_is_array(json_object_get(v, "vars")) ? 1 : -1;
	if (rc == 1 && json_object_get(v, "error"))
		rc = 0;
	json_decref(v);
	return rc;
}

static bool needs_recycle(enum outcome o)
{
	return o == OUTCOME_TIMEOUT || o == OUTCOME_MEMORY_LIMIT || o == OUTCOME_OUTPUT_LIMIT ||
	       o == OUTCOME_KILLED || o == OUTCOME_INTERNAL;
}

static int handle_result(struct wproc *w, const struct ipc_msg *m, const struct wproc_cb *cb, void *ud)
{
	const struct ipc_field *id = ipc_get(m, IPC_T_ID);
	const struct ipc_field *st = ipc_get(m, IPC_T_STATUS);
	struct wproc_exec *x = job_of(w, m);
	char status[40];
	struct result r;
	if (!x || id->len != strlen(x->id) || memcmp(id->data, x->id, id->len) != 0 ||
	    st->len >= sizeof status)
		return -EPROTO;
	memcpy(status, st->data, st->len);
	status[st->len] = '\0';
	result_init(&r);
	if (outcome_parse(status, &r.status))
		return -EPROTO;
	snprintf(r.id, sizeof r.id, "%s", x->id);
	r.result_json = field_dup(m, IPC_T_RESULT);
	/* The result is spliced into our JSON as it is: it must be exactly one
	 * JSON value, or a worker could add keys of its own to the answer.
	 * JSON.stringify writes lone surrogates and NUL as \uXXXX escapes,
	 * which jansson refuses: hence json_check, not a parse. */
	const struct ipc_field *rf = ipc_get(m, IPC_T_RESULT);
	if (rf && rf->len && (memchr(rf->data, '\0', rf->len) || json_check(rf->data, rf->len))) {
		result_release(&r);
		return -EPROTO;
	}
	r.err_name = field_dup(m, IPC_T_ERR_NAME);
	r.err_message = field_dup(m, IPC_T_ERR_MESSAGE);
	/* Spliced in as it is, like the result: exactly one JSON string. */
	const struct ipc_field *mj = ipc_get(m, IPC_T_ERR_MESSAGE_JSON);
	if (mj && (mj->len < 2 || mj->data[0] != '"' || memchr(mj->data, '\0', mj->len) ||
		   json_check(mj->data, mj->len))) {
		result_release(&r);
		return -EPROTO;
	}
	r.err_message_json = field_dup(m, IPC_T_ERR_MESSAGE_JSON);
	r.err_stack = field_dup(m, IPC_T_ERR_STACK);
	r.err_line = ipc_get_u64(m, IPC_T_ERR_LINE, 0);
	r.err_column = ipc_get_u64(m, IPC_T_ERR_COLUMN, 0);
	r.wall_ns = ipc_get_u64(m, IPC_T_WALL_NS, 0);
	r.cpu_ns = ipc_get_u64(m, IPC_T_CPU_NS, 0);
	r.peak_memory = ipc_get_u64(m, IPC_T_PEAK_RSS, 0);
	r.truncated = ipc_get_u64(m, IPC_T_TRUNCATED, 0) != 0;
	r.warm = ipc_get_u64(m, IPC_T_WARM, 0) != 0;
	r.restored = ipc_get_u64(m, IPC_T_RESTORED, 0) != 0;
	const struct ipc_field *state = ipc_get(m, IPC_T_STATE);
	if (state) {
		/* Stored as it is and given back to this session's next worker:
		 * it must be one JSON object of the snapshot's shape. */
		int ok = x->session && state->len <= x->state_max ? state_check(state->data, state->len) : -1;
		if (ok < 0) {
			result_release(&r);
			return -EPROTO;
		}
		if (ok) {
			r.state = strndup(state->data, state->len);
			r.state_len = r.state ? state->len : 0;
		}
	}
	if (ipc_get(m, IPC_T_EXIT_CODE))
		r.exit_code = (int)(ipc_get_u64(m, IPC_T_EXIT_CODE, 0) & 0xff);
	/* An execution's peak is the worker's own account of what its turns
	 * grew (what earlier ones left is not its own); one that hit the
	 * cgroup's cap alone in its worker reports the cgroup's peak, what
	 * the kernel held it to. */
	if (w->has_cg && w->cap == 1 && r.status == OUTCOME_MEMORY_LIMIT) {
		uint64_t peak = cg_worker_peak(&w->cg);
		if (peak)
			r.peak_memory = peak;
	}
	void *user = x->user;
	w->execs++;
	job_drop(w, x);
	/* A worker that ran one execution alone is not trusted after a bad
	 * end; one that runs many ended it itself and goes on. */
	if ((w->cap == 1 && needs_recycle(r.status)) || r.status == OUTCOME_INTERNAL ||
	    r.status == OUTCOME_KILLED || (w->last && !w->inflight))
		wproc_kill(w, WPROC_KILL_RETIRE);
	if (cb->done)
		cb->done(w, &r, user);
	result_release(&r);
	return 0;
}

static int handle_fetch(struct wproc *w, const struct ipc_msg *m, const struct wproc_cb *cb, void *ud)
{
	struct wproc_exec *x = job_of(w, m);
	if (!x)
		return -EPROTO;
	struct egress_req *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->owner = w->serial;
	r->slot = x->slot;
	r->id = ipc_get_u64(m, IPC_T_FETCH_ID, 0);
	r->url = field_dup(m, IPC_T_URL);
	r->method = field_dup(m, IPC_T_METHOD);
	const struct ipc_field *body = ipc_get(m, IPC_T_BODY);
	if (body) {
		r->body = malloc(body->len ? body->len : 1);
		if (r->body)
			memcpy(r->body, body->data, body->len);
		r->body_len = body->len;
	}
	r->headers = ipc_get_all(m, IPC_T_HEADER, &r->nheaders);
	uint64_t now = clock_mono_ns();
	uint64_t left = x->kill_at_ns > now ? (x->kill_at_ns - now) / 1000000 : 1;
	uint64_t asked = ipc_get_u64(m, IPC_T_TIMEOUT_MS, left);
	r->timeout_ms = asked < left ? asked : left;
	buf_init(&r->resp_headers, 1);
	buf_init(&r->resp_body, 1);
	if (!r->url || !r->method || !r->headers || (body && !r->body) || memchr(r->url, '\0', strlen(r->url) + 1) != r->url + strlen(r->url)) {
		egress_req_free(r);
		return -ENOMEM;
	}
	/* The worker checked its header lines; it is not trusted. NUL is
	 * checked on the field: a line is a C string from here on. */
	for (unsigned i = 0; i < m->nfields; i++) {
		const struct ipc_field *hf = &m->fields[i];
		if (hf->tag == IPC_T_HEADER && memchr(hf->data, '\0', hf->len)) {
			snprintf(r->error, sizeof r->error, "refused: a request header holds a NUL byte");
			break;
		}
	}
	for (size_t i = 0; !r->error[0] && i < r->nheaders; i++)
		if (egress_hdr_check(r->headers[i]) == EGRESS_HDR_BAD)
			snprintf(r->error, sizeof r->error, "refused: request header '%.60s' is malformed "
				 "(CR, LF, or a name that is not a token)", r->headers[i]);
	if (r->error[0]) {
		wproc_fetch_reply(w, r);
		egress_req_free(r);
		return 0;
	}
	if (++x->fetches > 64) {
		snprintf(r->error, sizeof r->error, "refused: too many fetches in one execution");
		wproc_fetch_reply(w, r);
		egress_req_free(r);
		return 0;
	}
	if (!cb->fetch) {
		snprintf(r->error, sizeof r->error, "refused: fetch is not enabled here (no allowlist)");
		wproc_fetch_reply(w, r);
		egress_req_free(r);
		return 0;
	}
	cb->fetch(w, r, x->user);
	return 0;
}

int wproc_load_package(struct wproc *w, const struct package *p)
{
	if (w->state != WPROC_IDLE || w->inflight)
		return -EBUSY;
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN);
	int rc = 0;
	for (size_t i = 0; i < p->nfiles && !rc; i++) {
		rc = ipc_enc_begin(&b, IPC_MSG_PACKAGE_FILE);
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_PATH, p->files[i].path);
		rc = rc ? rc : ipc_enc_bytes(&b, IPC_T_DATA, p->files[i].data, p->files[i].len);
		rc = rc ? rc : ipc_enc_end(&b);
		rc = rc ? rc : write_frame(w, &b);
	}
	rc = rc ? rc : ipc_enc_begin(&b, IPC_MSG_PACKAGE_END);
	rc = rc ? rc : ipc_enc_str(&b, IPC_T_PACKAGE_HASH, p->hash);
	rc = rc ? rc : ipc_enc_str(&b, IPC_T_ENTRY, p->entry);
	rc = rc ? rc : ipc_enc_end(&b);
	rc = rc ? rc : write_frame(w, &b);
	buf_release(&b);
	return rc;
}

int wproc_cancel(struct wproc *w, uint64_t slot)
{
	if (!idmap_get(&w->jobs, slot) || w->kill_reason != WPROC_KILL_NONE)
		return -ESRCH;
	/* The word first: a turn that is running sees it at the watchdog's
	 * next check (5 ms of CPU); the frame ends it between turns. */
	if (w->shared)
		__atomic_store_n(&w->shared->cancel_slot, slot, __ATOMIC_RELAXED);
	struct buf b = BUF_INIT(IPC_HEADER_LEN + 32);
	int rc = ipc_enc_begin(&b, IPC_MSG_CANCEL);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_SLOT, slot);
	rc = rc ? rc : ipc_enc_end(&b);
	rc = rc ? rc : write_frame(w, &b);
	buf_release(&b);
	return rc;
}

int wproc_drop_session(struct wproc *w, const char *id)
{
	if (w->kill_reason != WPROC_KILL_NONE)
		return -ESRCH;
	struct buf b = BUF_INIT(IPC_HEADER_LEN + 128);
	int rc = ipc_enc_begin(&b, IPC_MSG_DROP_SESSION);
	rc = rc ? rc : ipc_enc_str(&b, IPC_T_SESSION, id);
	rc = rc ? rc : ipc_enc_end(&b);
	rc = rc ? rc : write_frame(w, &b);
	buf_release(&b);
	return rc;
}

int wproc_fetch_reply(struct wproc *w, const struct egress_req *r)
{
	if (!idmap_get(&w->jobs, r->slot) || w->kill_reason != WPROC_KILL_NONE)
		return -ESRCH;
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN);
	/* More of a streamed body, or its end (egress.h). */
	bool chunk = r->kind == EGRESS_CHUNK || (r->kind == EGRESS_DONE && r->streamed);
	int rc = ipc_enc_begin(&b, chunk ? IPC_MSG_FETCH_CHUNK : IPC_MSG_FETCH_RESULT);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_SLOT, r->slot);
	rc = rc ? rc : ipc_enc_u64(&b, IPC_T_FETCH_ID, r->id);
	if (chunk) {
		if (r->error[0])
			rc = rc ? rc : ipc_enc_str(&b, IPC_T_ERROR, r->error);
		rc = rc ? rc : ipc_enc_bytes(&b, IPC_T_BODY, r->resp_body.data ? r->resp_body.data : "", r->resp_body.len);
		rc = rc ? rc : ipc_enc_u64(&b, IPC_T_MORE, r->kind == EGRESS_CHUNK);
	} else if (r->error[0]) {
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_ERROR, r->error);
	} else {
		rc = rc ? rc : ipc_enc_u64(&b, IPC_T_STATUS_CODE, (uint64_t)r->status);
		rc = rc ? rc : ipc_enc_str(&b, IPC_T_STATUS_TEXT, r->status_text);
		const char *p = r->resp_headers.data, *end = p ? p + r->resp_headers.len : NULL;
		while (!rc && p && p < end) {
			const char *eol = memchr(p, '\n', (size_t)(end - p));
			size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
			while (n && (p[n - 1] == '\r'))
				n--;
			if (n && n <= 16384)
				rc = ipc_enc_bytes(&b, IPC_T_HEADER, p, n);
			p = eol ? eol + 1 : end;
		}
		rc = rc ? rc : ipc_enc_bytes(&b, IPC_T_BODY, r->resp_body.data ? r->resp_body.data : "", r->resp_body.len);
		if (r->kind == EGRESS_HEAD)
			rc = rc ? rc : ipc_enc_u64(&b, IPC_T_MORE, 1);
	}
	rc = rc ? rc : ipc_enc_end(&b);
	if (!rc)
		rc = write_frame(w, &b);
	buf_release(&b);
	return rc;
}

static int handle_msg(struct wproc *w, const struct ipc_msg *m, const struct wproc_cb *cb, void *ud)
{
	switch (m->type) {
	case IPC_MSG_READY:
		if (w->state != WPROC_STARTING)
			return -EPROTO;
		w->layers = (unsigned)ipc_get_u64(m, IPC_T_LAYERS, 0);
		w->base_rss = w->held_rss = ipc_get_u64(m, IPC_T_RSS, 0);
		w->state = WPROC_IDLE;
		if (cb->ready)
			cb->ready(w, ud);
		return 0;
	case IPC_MSG_OUTPUT: {
		uint64_t stream = ipc_get_u64(m, IPC_T_STREAM, 0);
		const struct ipc_field *d = ipc_get(m, IPC_T_DATA);
		struct wproc_exec *x = job_of(w, m);
		if (!x || (stream != IPC_STREAM_STDOUT && stream != IPC_STREAM_STDERR))
			return -EPROTO;
		size_t n = d->len;
		bool over = x->out_bytes + n > x->out_cap;
		if (over)
			n = (size_t)(x->out_cap - x->out_bytes);
		x->out_bytes += n;
		if (n && cb->output)
			cb->output(w, (int)stream, d->data, n, x->user);
		if (over) {
			/* The worker's own count should have stopped it: it did not. */
			blame(w, x);
			wproc_kill(w, WPROC_KILL_OUTPUT);
			return -ECANCELED;
		}
		return 0;
	}
	case IPC_MSG_RESULT:
		return handle_result(w, m, cb, ud);
	case IPC_MSG_IDLE:
		w->held_rss = ipc_get_u64(m, IPC_T_RSS, 0);
		return 0;
	case IPC_MSG_FETCH:
		return handle_fetch(w, m, cb, ud);
	case IPC_MSG_FETCH_ABORT:
		if (!job_of(w, m))
			return -EPROTO;
		if (cb->fetch_abort)
			cb->fetch_abort(w, ipc_get_u64(m, IPC_T_FETCH_ID, 0), ud);
		return 0;
	case IPC_MSG_RESPONSE_HEAD: {
		struct wproc_exec *x = job_of(w, m);
		uint64_t status = ipc_get_u64(m, IPC_T_STATUS_CODE, 0);
		if (!x || x->resp_head || status < 100 || status > 999)
			return -EPROTO;
		size_t n = 0;
		const char *hs[512];
		char *copies[512];
		for (unsigned i = 0; i < m->nfields && n < 512; i++) {
			const struct ipc_field *f = &m->fields[i];
			if (f->tag != IPC_T_HEADER)
				continue;
			/* "name: value", no CR/LF/NUL: the worker is not trusted. */
			const char *colon = memchr(f->data, ':', f->len);
			if (!colon || colon == f->data || memchr(f->data, '\r', f->len) || memchr(f->data, '\n', f->len) ||
			    memchr(f->data, '\0', f->len))
				goto bad_head;
			copies[n] = strndup(f->data, f->len);
			hs[n] = copies[n];
			n++;
		}
		x->resp_head = true;
		if (cb->response_head)
			cb->response_head(w, (int)status, hs, n, x->user);
		for (size_t i = 0; i < n; i++)
			free(copies[i]);
		return 0;
bad_head:
		for (size_t i = 0; i < n; i++)
			free(copies[i]);
		return -EPROTO;
	}
	case IPC_MSG_RESPONSE_BODY: {
		const struct ipc_field *d = ipc_get(m, IPC_T_DATA);
		struct wproc_exec *x = job_of(w, m);
		if (!x || !x->resp_head)
			return -EPROTO;
		if (x->out_bytes + d->len > x->out_cap) {
			blame(w, x);
			wproc_kill(w, WPROC_KILL_OUTPUT);
			return -ECANCELED;
		}
		x->out_bytes += d->len;
		if (cb->response_body)
			cb->response_body(w, d->data, d->len, x->user);
		return 0;
	}
	default:
		return -EPROTO;
	}
}

int wproc_on_readable(struct wproc *w, const struct wproc_cb *cb, void *ud)
{
	if (w->state == WPROC_DEAD)
		return -ESRCH;
	for (;;) {
		long n = ipc_reader_fill(&w->rd, w->fd);
		if (n == -EAGAIN)
			return 0;
		if (n == 0 || n == -ECONNRESET)
			return -EPIPE;
		if (n == -ENOBUFS) {
			wproc_kill(w, WPROC_KILL_PROTOCOL);
			return -EPROTO;
		}
		if (n < 0)
			return (int)n;
		struct ipc_msg m;
		int r;
		while ((r = ipc_reader_next(&w->rd, &m)) == 1) {
			w->heard_ns = clock_mono_ns();
			int rc = handle_msg(w, &m, cb, ud);
			if (rc == -EPROTO)
				wproc_kill(w, WPROC_KILL_PROTOCOL);
			if (rc)
				return rc;
			if (w->kill_reason != WPROC_KILL_NONE)
				return -ECANCELED;
		}
		if (r < 0) {
			wproc_kill(w, WPROC_KILL_PROTOCOL);
			return -EPROTO;
		}
	}
}

static uint64_t rss_bytes(pid_t pid)
{
	char path[64], tmp[128];
	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, tmp, sizeof tmp - 1);
	close(fd);
	if (n <= 0)
		return 0;
	tmp[n] = '\0';
	unsigned long long size, resident;
	if (sscanf(tmp, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

struct overdue {
	uint64_t now, slot, next;
};

static void find_overdue(void *ud, uint64_t key, void *v)
{
	struct overdue *o = ud;
	struct wproc_exec *x = v;
	if (x->kill_at_ns <= o->now && !o->slot)
		o->slot = x->slot;
	if (x->kill_at_ns < o->next)
		o->next = x->kill_at_ns;
}

void wproc_tick(struct wproc *w, uint64_t now)
{
	if (w->inflight && now >= w->next_kill_ns) {
		/* Silent for the grace: stuck. Still talking: overdue only past the
		 * busy grace too. */
		bool silent = now - w->heard_ns > WPROC_GRACE_MS * 1000000ull;
		uint64_t extra = silent ? 0 : WPROC_BUSY_GRACE_MS * 1000000ull;
		struct overdue o = { now - extra, 0, UINT64_MAX };
		idmap_each(&w->jobs, find_overdue, &o);
		w->next_kill_ns = o.next;
		if (o.slot) {
			/* The worker should have ended it at its deadline and did
			 * not answer in the grace after: it is stuck in JS that
			 * never yields (or it is not ours any more). */
			blame(w, idmap_get(&w->jobs, o.slot));
			wproc_kill(w, WPROC_KILL_DEADLINE);
			return;
		}
	}
	if (w->state == WPROC_STARTING && now - w->started_ns > WPROC_READY_TIMEOUT_MS * 1000000ull) {
		wproc_kill(w, WPROC_KILL_RETIRE);
		return;
	}
	if (w->inflight && !w->has_cg && w->mem_cap && rss_bytes(w->pid) > w->mem_cap)
		wproc_kill(w, WPROC_KILL_MEMORY);
}

void wproc_kill(struct wproc *w, enum wproc_kill_reason why)
{
	if (w->pid <= 0 || w->kill_reason != WPROC_KILL_NONE)
		return;
	w->kill_reason = why;
	if (w->pidfd >= 0 && syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0) == 0)
		return;
	kill(w->pid, SIGKILL);
}

bool wproc_reusable(const struct wproc *w)
{
	return w->state == WPROC_IDLE && w->kill_reason == WPROC_KILL_NONE && !w->last;
}

/* The outcome of x, in flight in a worker that has died: its own when it
 * is the execution the worker died of (or it was alone), else `killed`
 * with the reason its neighbour gave. */
static void died_result(struct wproc *w, const struct wproc_exec *x, unsigned at_death, uint64_t turn, int st,
			const struct rusage *ru, struct result *r)
{
	char msg[200];
	snprintf(r->id, sizeof r->id, "%s", x->id);
	/* One the worker never took off its socket (its slot is past the
	 * last the shared page says it took; slots only grow) did nothing:
	 * it may run elsewhere. */
	r->not_started = w->shared && x->slot > __atomic_load_n(&w->shared->seen_slot, __ATOMIC_ACQUIRE);
	r->wall_ns = clock_mono_ns() - x->start_ns;
	r->cpu_ns = ((uint64_t)ru->ru_utime.tv_sec + (uint64_t)ru->ru_stime.tv_sec) * 1000000000ull +
		    ((uint64_t)ru->ru_utime.tv_usec + (uint64_t)ru->ru_stime.tv_usec) * 1000ull;
	r->peak_memory = (uint64_t)ru->ru_maxrss * 1024;
	if (w->has_cg) {
		uint64_t peak = cg_worker_peak(&w->cg);
		if (peak)
			r->peak_memory = peak;
	}
	bool oom = w->has_cg && cg_worker_oom_kills(&w->cg) > w->oom_before;
	int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	/* Alone at its death (or in a worker of one), what killed the worker
	 * was this execution's doing. */
	/* ... or, with no overrun of ours to blame, the one whose turn was
	 * running (the shared page says which). */
	bool own = w->cap == 1 || x->slot == w->blame || (!w->blame && (turn ? x->slot == turn : at_death == 1));
	if (!own) {
		const char *why = NULL;
		switch (w->kill_reason) {
		case WPROC_KILL_DEADLINE:
			why = "did not yield at its deadline";
			break;
		case WPROC_KILL_OUTPUT:
			why = "passed its output cap unstopped";
			break;
		case WPROC_KILL_MEMORY:
			why = NULL;
			break;
		default:
			break;
		}
		r->status = OUTCOME_KILLED;
		r->signal = SIGKILL;
		if (why && w->blame)
			snprintf(msg, sizeof msg, "the worker was killed because execution %s, running beside this one, %s",
				 w->blame_id, why);
		else if (oom || w->kill_reason == WPROC_KILL_MEMORY)
			snprintf(msg, sizeof msg, "the worker was killed: the executions in it held more than its shared %llu MB memory cap",
				 (unsigned long long)(w->mem_cap >> 20));
		else if (w->kill_reason == WPROC_KILL_PROTOCOL)
			snprintf(msg, sizeof msg, "the worker sent a malformed frame and was killed");
		else if (sig && sig != SIGKILL)
			snprintf(msg, sizeof msg, "the worker crashed (SIG%s)", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		else
			snprintf(msg, sizeof msg, "the worker was killed (SIGKILL)");
		result_set_error(r, "KilledError", msg);
		return;
	}
	switch (w->kill_reason) {
	case WPROC_KILL_DEADLINE:
		r->status = OUTCOME_TIMEOUT;
		snprintf(msg, sizeof msg, "execution exceeded its %llu ms deadline and was killed",
			 (unsigned long long)x->timeout_ms);
		result_set_error(r, "TimeoutError", msg);
		return;
	case WPROC_KILL_OUTPUT:
		r->status = OUTCOME_OUTPUT_LIMIT;
		r->truncated = true;
		snprintf(msg, sizeof msg, "stdout and stderr passed their %llu-byte cap",
			 (unsigned long long)x->out_cap);
		result_set_error(r, "OutputLimitError", msg);
		return;
	case WPROC_KILL_MEMORY:
		r->status = OUTCOME_MEMORY_LIMIT;
		snprintf(msg, sizeof msg, "execution exceeded its %llu MB memory cap (RSS polling)",
			 (unsigned long long)(w->mem_cap >> 20));
		result_set_error(r, "MemoryLimitError", msg);
		return;
	case WPROC_KILL_PROTOCOL:
		r->status = OUTCOME_KILLED;
		r->signal = SIGKILL;
		result_set_error(r, "KilledError", "the worker sent a malformed frame and was killed");
		return;
	default:
		break;
	}
	if (oom) {
		r->status = OUTCOME_MEMORY_LIMIT;
		snprintf(msg, sizeof msg, "execution exceeded its %llu MB memory cap",
			 (unsigned long long)(w->mem_cap >> 20));
		result_set_error(r, "MemoryLimitError", msg);
	} else if (sig == SIGXCPU) {
		r->status = OUTCOME_TIMEOUT;
		result_set_error(r, "TimeoutError", "execution exceeded its CPU-time backstop");
	} else if (sig) {
		r->status = OUTCOME_KILLED;
		r->signal = sig;
		if (sig == SIGSYS)
			snprintf(msg, sizeof msg, "sandbox violation: a forbidden system call (SIGSYS)");
		else if (sig == SIGKILL)
			snprintf(msg, sizeof msg, "the worker was killed (SIGKILL)");
		else
			snprintf(msg, sizeof msg, "the worker crashed (SIG%s)", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		result_set_error(r, "KilledError", msg);
	} else {
		r->status = OUTCOME_INTERNAL;
		snprintf(msg, sizeof msg, "the worker exited with status %d before reporting",
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		result_set_error(r, "InternalError", msg);
	}
}

static void first_job(void *ud, uint64_t key, void *v)
{
	struct wproc_exec **out = ud;
	if (!*out)
		*out = v;
}

void wproc_reap(struct wproc *w, const struct wproc_cb *cb, void *ud)
{
	if (w->pid <= 0)
		return;
	int st = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	if (w->state != WPROC_DEAD && w->kill_reason == WPROC_KILL_NONE) {
		/* It closed its socket; give it a moment to exit on its own. */
		for (int i = 0; i < 100; i++) {
			pid_t p = wait4(w->pid, &st, WNOHANG, &ru);
			if (p == w->pid)
				goto reaped;
			usleep(1000);
		}
		wproc_kill(w, WPROC_KILL_RETIRE);
	}
	while (wait4(w->pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
reaped:
	w->state = WPROC_DEAD;
	unsigned at_death = w->inflight;
	/* The execution whose turn was running when it died, if in flight. */
	uint64_t turn = w->shared ? __atomic_load_n(&w->shared->turn_slot, __ATOMIC_RELAXED) : 0;
	if (turn && !idmap_get(&w->jobs, turn))
		turn = 0;
	while (w->inflight) {
		struct wproc_exec *x = NULL;
		idmap_each(&w->jobs, first_job, &x);
		if (!x)
			break;
		struct result r;
		result_init(&r);
		died_result(w, x, at_death, turn, st, &ru, &r);
		void *user = x->user;
		job_drop(w, x);
		if (cb && cb->done)
			cb->done(w, &r, user);
		result_release(&r);
	}
	w->state = WPROC_DEAD;
	w->pid = -1;
	if (w->own_cg)
		cg_worker_destroy(&w->cg);
	w->has_cg = w->own_cg = false;
}

static void free_job(void *ud, uint64_t key, void *v)
{
	free(v);
}

/* Kills the worker (waiting for it with reap) and frees the handle. */
static void release(struct wproc *w, bool reap)
{
	if (!w)
		return;
	if (w->pid > 0) {
		wproc_kill(w, WPROC_KILL_RETIRE);
		if (reap)
			wproc_reap(w, NULL, NULL);
	}
	if (w->fd >= 0)
		close(w->fd);
	if (w->pidfd >= 0)
		close(w->pidfd);
	ipc_reader_release(&w->rd);
	if (w->shared)
		munmap(w->shared, sizeof *w->shared);
	idmap_each(&w->jobs, free_job, NULL);
	idmap_release(&w->jobs);
	free(w);
}

void wproc_abandon(struct wproc *w)
{
	release(w, false);
}

void wproc_free(struct wproc *w)
{
	release(w, true);
}
