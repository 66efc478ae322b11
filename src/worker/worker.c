/* worker — see worker.h. */
#include "worker/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include "worker/engine.h"
#include "common/ipc.h"
#include "sandbox/sandbox.h"
#include "sandbox/spawn.h"
#include "common/clock.h"


struct worker {
	int fd;
	struct ipc_reader rd;
	struct buf out;   /* frame being encoded */
	struct buf send;  /* frames waiting to go, written together */
	uint64_t sent_ns; /* when send was last written */
	bool broken;      /* the socket failed: stop */
	bool last;        /* an execution was the last of the worker's life */
	struct spawn_shared *shared; /* the page shared with the supervisor, or NULL */
};

#define SEND_AT (256u << 10)

/* Writes what is waiting: one write (and one wake-up of the supervisor)
 * for the output and the result of a short execution. */
static void flush_frames(void *ud)
{
	struct worker *wk = ud;
	if (!wk->broken && wk->send.len && ipc_write_all(wk->fd, wk->send.data, wk->send.len))
		wk->broken = true;
	buf_reset(&wk->send);
	wk->sent_ns = clock_mono_ns();
}

static int io_send(void *ud, const char *p, size_t n)
{
	struct worker *wk = ud;
	flush_frames(wk);
	if (wk->broken || ipc_write_all(wk->fd, p, n)) {
		wk->broken = true;
		return -EPIPE;
	}
	return 0;
}

static void send_frame(struct worker *wk)
{
	if (wk->broken || ipc_enc_end(&wk->out) || buf_append(&wk->send, wk->out.data, wk->out.len)) {
		wk->broken = true;
		return;
	}
	/* Output of code that never waits still streams: at least every
	 * 20 ms, or every SEND_AT bytes. */
	if (wk->send.len >= SEND_AT || clock_mono_ns() - wk->sent_ns > 20000000ull)
		flush_frames(wk);
}

static void on_output(void *ud, uint64_t slot, int stream, const char *p, size_t n)
{
	struct worker *wk = ud;
	while (n && !wk->broken) {
		size_t k = n < (256u << 10) ? n : (256u << 10);
		ipc_enc_begin(&wk->out, IPC_MSG_OUTPUT);
		ipc_enc_u64(&wk->out, IPC_T_SLOT, slot);
		ipc_enc_u64(&wk->out, IPC_T_STREAM, (uint64_t)stream);
		ipc_enc_bytes(&wk->out, IPC_T_DATA, p, k);
		send_frame(wk);
		p += k;
		n -= k;
	}
}

static void send_result(struct worker *wk, const struct exec_req *req, const struct exec_res *r)
{
	struct buf *b = &wk->out;
	ipc_enc_begin(b, IPC_MSG_RESULT);
	ipc_enc_u64(b, IPC_T_SLOT, req->slot);
	ipc_enc_str(b, IPC_T_ID, req->id);
	ipc_enc_str(b, IPC_T_STATUS, outcome_name(r->status));
	if (r->result.len)
		ipc_enc_bytes(b, IPC_T_RESULT, r->result.data, r->result.len);
	if (r->err_name)
		ipc_enc_str(b, IPC_T_ERR_NAME, r->err_name);
	if (r->err_message)
		ipc_enc_str(b, IPC_T_ERR_MESSAGE, r->err_message);
	if (r->err_message_json)
		ipc_enc_str(b, IPC_T_ERR_MESSAGE_JSON, r->err_message_json);
	if (r->err_stack)
		ipc_enc_str(b, IPC_T_ERR_STACK, r->err_stack);
	if (r->err_line) {
		ipc_enc_u64(b, IPC_T_ERR_LINE, r->err_line);
		ipc_enc_u64(b, IPC_T_ERR_COLUMN, r->err_column);
	}
	ipc_enc_u64(b, IPC_T_WALL_NS, r->wall_ns);
	ipc_enc_u64(b, IPC_T_CPU_NS, r->cpu_ns);
	ipc_enc_u64(b, IPC_T_PEAK_RSS, r->peak_mem);
	ipc_enc_u64(b, IPC_T_TRUNCATED, r->truncated);
	if (r->exit_code >= 0)
		ipc_enc_u64(b, IPC_T_EXIT_CODE, (uint64_t)r->exit_code);
	if (r->warm)
		ipc_enc_u64(b, IPC_T_WARM, 1);
	if (r->state.len)
		ipc_enc_bytes(b, IPC_T_STATE, r->state.data, r->state.len);
	if (r->restored)
		ipc_enc_u64(b, IPC_T_RESTORED, 1);
	send_frame(wk);
}

/* What an EXEC frame asks, copied out of the frame: the engine keeps it
 * until the execution ends (on_done frees it). */
struct owned_req {
	struct exec_req req;
	char id[65];
	char *code, *filename, *method, *url, *path, *ip, *body, *session, *state;
	char **env, **headers;
	size_t nenv, nheaders;
};

static char *dup_field(const struct ipc_msg *m, enum ipc_tag tag, size_t *len)
{
	const struct ipc_field *f = ipc_get(m, tag);
	if (!f)
		return NULL;
	char *p = malloc(f->len + 1);
	if (p) {
		memcpy(p, f->data, f->len);
		p[f->len] = '\0';
		if (len)
			*len = f->len;
	}
	return p;
}

static void owned_req_free(struct owned_req *o)
{
	ipc_strings_free(o->env, o->nenv);
	ipc_strings_free(o->headers, o->nheaders);
	free(o->code);
	free(o->filename);
	free(o->method);
	free(o->url);
	free(o->path);
	free(o->ip);
	free(o->body);
	free(o->session);
	free(o->state);
	free(o);
}

static struct owned_req *owned_req_new(const struct ipc_msg *m)
{
	struct owned_req *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	const struct ipc_field *id = ipc_get(m, IPC_T_ID);
	snprintf(o->id, sizeof o->id, "%.*s", (int)id->len, id->data);
	uint64_t flags = ipc_get_u64(m, IPC_T_FLAGS, 0);
	size_t code_len = 0, body_len = 0, state_len = 0;
	o->code = dup_field(m, IPC_T_CODE, &code_len);
	o->filename = dup_field(m, IPC_T_FILENAME, NULL);
	o->method = dup_field(m, IPC_T_METHOD, NULL);
	o->url = dup_field(m, IPC_T_URL, NULL);
	o->path = dup_field(m, IPC_T_PATH, NULL);
	o->ip = dup_field(m, IPC_T_CLIENT_IP, NULL);
	o->body = dup_field(m, IPC_T_BODY, &body_len);
	o->session = dup_field(m, IPC_T_SESSION, NULL);
	o->state = dup_field(m, IPC_T_STATE, &state_len);
	o->env = ipc_get_all(m, IPC_T_ENV, &o->nenv);
	o->headers = ipc_get_all(m, IPC_T_HEADER, &o->nheaders);
	if (!o->code) {
		owned_req_free(o);
		return NULL;
	}
	o->req = (struct exec_req){
		.slot = ipc_get_u64(m, IPC_T_SLOT, 0),
		.id = o->id,
		.code = o->code,
		.code_len = code_len,
		.filename = o->filename,
		.timeout_ms = ipc_get_u64(m, IPC_T_TIMEOUT_MS, 5000),
		.memory_bytes = ipc_get_u64(m, IPC_T_MEMORY_MB, 0) << 20,
		.output_cap = ipc_get_u64(m, IPC_T_OUTPUT_CAP, 1u << 20),
		.allow_eval = (flags & IPC_EXEC_ALLOW_EVAL) != 0,
		.typescript = (flags & IPC_EXEC_TYPESCRIPT) != 0,
		.wasm = (flags & IPC_EXEC_WASM) != 0,
		.env = (const char *const *)o->env,
		.nenv = o->env ? o->nenv : 0,
		.tmp_cap = ipc_get_u64(m, IPC_T_TMP_CAP, 0),
		.function = (flags & IPC_EXEC_FUNCTION) != 0,
		.check = (flags & IPC_EXEC_CHECK) != 0,
		.http = {
			.method = o->method,
			.url = o->url,
			.path = o->path,
			.client_ip = o->ip,
			.headers = (const char *const *)o->headers,
			.nheaders = o->headers ? o->nheaders : 0,
			.body = o->body,
			.body_len = body_len,
			.has_body = o->body != NULL,
		},
		.session = {
			.id = o->session,
			.seq = ipc_get_u64(m, IPC_T_SESSION_SEQ, 0),
			.state = o->state,
			.state_len = state_len,
			.state_max = ipc_get_u64(m, IPC_T_STATE_MAX, 8u << 20),
			.ttl_ms = ipc_get_u64(m, IPC_T_SESSION_TTL_MS, 0),
		},
	};
	if (flags & IPC_EXEC_LAST_IN_LIFE)
		o->req.last = true;
	return o;
}

static void on_done(void *ud, struct exec_req *req, struct exec_res *res)
{
	struct worker *wk = ud;
	send_result(wk, req, res);
	if (!res->reusable || req->last)
		wk->last = true;
	owned_req_free((struct owned_req *)req);
}

/* A function's package arrives as PACKAGE_FILE frames and a PACKAGE_END,
 * before its first invocation. */
static int load_package(struct engine *eng, const struct ipc_msg *m, bool *open)
{
	if (!*open) {
		if (engine_package_begin(eng))
			return -1;
		*open = true;
	}
	if (m->type == IPC_MSG_PACKAGE_FILE) {
		const struct ipc_field *p = ipc_get(m, IPC_T_PATH), *d = ipc_get(m, IPC_T_DATA);
		char path[1025];
		snprintf(path, sizeof path, "%.*s", (int)p->len, p->data);
		return engine_package_add(eng, path, d ? d->data : "", d ? d->len : 0) ? -1 : 0;
	}
	const struct ipc_field *h = ipc_get(m, IPC_T_PACKAGE_HASH), *en = ipc_get(m, IPC_T_ENTRY);
	char hash[65], entry[1025];
	snprintf(hash, sizeof hash, "%.*s", (int)h->len, h->data);
	snprintf(entry, sizeof entry, "%.*s", (int)en->len, en->data);
	*open = false;
	return engine_package_end(eng, hash, entry) ? -1 : 0;
}

static unsigned long arg_num(int argc, char **argv, const char *name, unsigned long dflt)
{
	size_t n = strlen(name);
	for (int i = 2; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return strtoul(argv[i] + n + 1, NULL, 10);
	return dflt;
}

/* Handles one frame from the supervisor. Returns 0, or -1 when the worker
 * must stop (a frame it cannot take). */
static int on_frame(struct worker *wk, struct engine *eng, const struct ipc_msg *m, bool *pkg_open)
{
	switch (m->type) {
	case IPC_MSG_EXEC: {
		struct owned_req *o = owned_req_new(m);
		if (!o) {
			fprintf(stderr, "corral worker: out of memory for an execution\n");
			return -1;
		}
		/* Taken: if the worker dies from here on, the supervisor knows
		 * this one may have run (one it never took may run elsewhere). */
		if (wk->shared)
			__atomic_store_n(&wk->shared->seen_slot, o->req.slot, __ATOMIC_RELEASE);
		engine_start(eng, &o->req);
		return 0;
	}
	case IPC_MSG_FETCH_RESULT:
	case IPC_MSG_FETCH_CHUNK:
		engine_frame(eng, m);
		return 0;
	case IPC_MSG_CANCEL:
		engine_cancel(eng, ipc_get_u64(m, IPC_T_SLOT, 0));
		return 0;
	case IPC_MSG_DROP_SESSION: {
		char *id = dup_field(m, IPC_T_SESSION, NULL);
		if (id)
			engine_drop_session(eng, id);
		free(id);
		return 0;
	}
	case IPC_MSG_PACKAGE_FILE:
	case IPC_MSG_PACKAGE_END:
		if (load_package(eng, m, pkg_open)) {
			fprintf(stderr, "corral worker: a package frame could not be loaded\n");
			return -1;
		}
		return 0;
	default:
		fprintf(stderr, "corral worker: malformed frame from the supervisor\n");
		return -1;
	}
}

int worker_main(int argc, char **argv)
{
	struct worker wk = {
		.fd = SPAWN_WORKER_FD,
		.out = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN),
		.send = BUF_INIT(2 * (IPC_MAX_FRAME + IPC_HEADER_LEN)),
	};
	struct sandbox_inside in = {
		.layers = (unsigned)arg_num(argc, argv, "--layers", SANDBOX_ALL),
		.uid = (uid_t)arg_num(argc, argv, "--uid", 65534),
		.gid = (gid_t)arg_num(argc, argv, "--gid", 65534),
		.userns = arg_num(argc, argv, "--userns", 0) != 0,
	};
	/* Opened before the sandbox closes: each execution is charged with
	 * the resident memory its turns add. */
	/* The page shared with the supervisor (spawn.h), mapped before the
	 * sandbox closes; its fd is not needed after. */
	void *page = mmap(NULL, sizeof *wk.shared, PROT_READ | PROT_WRITE, MAP_SHARED, SPAWN_SHARED_FD, 0);
	wk.shared = page == MAP_FAILED ? NULL : page;
	close(SPAWN_SHARED_FD);
	struct engine_opts eo = {
		.jit = arg_num(argc, argv, "--jit", 1) != 0,
		.wasm = arg_num(argc, argv, "--wasm", 0) != 0,
		.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC),
		.turn_slot = wk.shared ? &wk.shared->turn_slot : NULL,
		.cancel_slot = wk.shared ? &wk.shared->cancel_slot : NULL,
	};
	struct engine_io io = { on_output, io_send, on_done, &wk };
	struct engine *eng = NULL;

	signal(SIGPIPE, SIG_IGN);
	int rc = engine_new(&eng, &eo, &io);
	if (rc) {
		fprintf(stderr, "corral worker: cannot create the engine: %s\n", strerror(-rc));
		return 1;
	}
	rc = engine_warm(eng, arg_num(argc, argv, "--warm", 0) != 0);
	if (rc)
		fprintf(stderr, "corral worker: engine warm-up failed (continuing)\n");
	int layers = sandbox_enter(&in);
	if (layers < 0) {
		fprintf(stderr, "corral worker: cannot close the sandbox: %s\n", strerror(-layers));
		return 1;
	}
	engine_prepare(eng);
	engine_collect(eng); /* the first reading: what the worker holds to start with */
	ipc_enc_begin(&wk.out, IPC_MSG_READY);
	ipc_enc_u64(&wk.out, IPC_T_LAYERS, (uint64_t)layers);
	ipc_enc_u64(&wk.out, IPC_T_RSS, engine_rss(eng));
	send_frame(&wk);
	flush_frames(&wk);

	ipc_reader_init(&wk.rd, IPC_MAX_FRAME);
	bool pkg_open = false, gone = false;
	while (!wk.broken && !gone) {
		/* Frames that have arrived, then what is due. */
		struct ipc_msg m;
		int r;
		while (!gone && (r = ipc_reader_next(&wk.rd, &m)) != 0) {
			if (r < 0 || on_frame(&wk, eng, &m, &pkg_open))
				gone = true;
		}
		if (gone)
			break;
		uint64_t wake = engine_run(eng);
		flush_frames(&wk);
		if (wk.last && engine_inflight(eng) == 0)
			break;
		if (engine_inflight(eng) == 0) {
			/* What the ended executions left goes back first; the
			 * supervisor hears what the worker still holds. */
			uint64_t kept = engine_collect(eng);
			if (kept) {
				ipc_enc_begin(&wk.out, IPC_MSG_IDLE);
				ipc_enc_u64(&wk.out, IPC_T_RSS, kept);
				send_frame(&wk);
				flush_frames(&wk);
			}
			engine_prepare(eng);
		}
		int timeout = -1;
		if (wake) {
			uint64_t now = clock_mono_ns();
			timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
		}
		struct pollfd p = { wk.fd, POLLIN, 0 };
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			long got = ipc_reader_fill(&wk.rd, wk.fd);
			if (got <= 0 && got != -EAGAIN && got != -EINTR)
				break; /* the supervisor is gone, or told us to stop */
		}
	}
	ipc_reader_release(&wk.rd);
	buf_release(&wk.out);
	buf_release(&wk.send);
	/* No engine_free: the process ends here and the kernel reclaims all
	 * of it faster than a VM teardown would. */
	_exit(0);
}
