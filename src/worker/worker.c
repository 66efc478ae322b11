/* worker — see worker.h. */
#include "worker/worker.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int io_next(void *ud, struct ipc_msg *m, int timeout_ms)
{
	struct worker *wk = ud;
	for (;;) {
		int r = ipc_reader_next(&wk->rd, m);
		if (r)
			return r < 0 ? -EPROTO : 1;
		struct pollfd p = { wk->fd, POLLIN, 0 };
		int n = poll(&p, 1, timeout_ms);
		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		long got = ipc_reader_fill(&wk->rd, wk->fd);
		if (got <= 0 && got != -EAGAIN && got != -EINTR)
			return -EPIPE;
	}
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

static void on_output(void *ud, int stream, const char *p, size_t n)
{
	struct worker *wk = ud;
	while (n && !wk->broken) {
		size_t k = n < (256u << 10) ? n : (256u << 10);
		ipc_enc_begin(&wk->out, IPC_MSG_OUTPUT);
		ipc_enc_u64(&wk->out, IPC_T_STREAM, (uint64_t)stream);
		ipc_enc_bytes(&wk->out, IPC_T_DATA, p, k);
		send_frame(wk);
		p += k;
		n -= k;
	}
}

static void send_result(struct worker *wk, const char *id, const struct exec_res *r)
{
	struct buf *b = &wk->out;
	ipc_enc_begin(b, IPC_MSG_RESULT);
	ipc_enc_str(b, IPC_T_ID, id);
	ipc_enc_str(b, IPC_T_STATUS, outcome_name(r->status));
	if (r->result.len)
		ipc_enc_bytes(b, IPC_T_RESULT, r->result.data, r->result.len);
	if (r->err_name)
		ipc_enc_str(b, IPC_T_ERR_NAME, r->err_name);
	if (r->err_message)
		ipc_enc_str(b, IPC_T_ERR_MESSAGE, r->err_message);
	if (r->err_stack)
		ipc_enc_str(b, IPC_T_ERR_STACK, r->err_stack);
	if (r->err_line) {
		ipc_enc_u64(b, IPC_T_ERR_LINE, r->err_line);
		ipc_enc_u64(b, IPC_T_ERR_COLUMN, r->err_column);
	}
	ipc_enc_u64(b, IPC_T_WALL_NS, r->wall_ns);
	ipc_enc_u64(b, IPC_T_CPU_NS, r->cpu_ns);
	ipc_enc_u64(b, IPC_T_PEAK_RSS, r->peak_rss);
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

/* Runs one EXEC frame. Returns whether the worker may run another. */
static bool run_exec(struct worker *wk, struct engine *eng, const struct ipc_msg *m)
{
	const struct ipc_field *id = ipc_get(m, IPC_T_ID);
	const struct ipc_field *code = ipc_get(m, IPC_T_CODE);
	uint64_t flags = ipc_get_u64(m, IPC_T_FLAGS, 0);
	char idbuf[65];
	char *filename = NULL;
	const struct ipc_field *fn = ipc_get(m, IPC_T_FILENAME);
	snprintf(idbuf, sizeof idbuf, "%.*s", (int)id->len, id->data);
	if (fn)
		filename = strndup(fn->data, fn->len);

	size_t nenv = 0, nh = 0;
	char **env = ipc_get_all(m, IPC_T_ENV, &nenv);
	char **headers = ipc_get_all(m, IPC_T_HEADER, &nh);
	const struct ipc_field *fbody = ipc_get(m, IPC_T_BODY);
	char *method = NULL, *url = NULL, *path = NULL, *ip = NULL, *body = NULL;
	const struct ipc_field *f;
	if ((f = ipc_get(m, IPC_T_METHOD)))
		method = strndup(f->data, f->len);
	if ((f = ipc_get(m, IPC_T_URL)))
		url = strndup(f->data, f->len);
	if ((f = ipc_get(m, IPC_T_PATH)))
		path = strndup(f->data, f->len);
	if ((f = ipc_get(m, IPC_T_CLIENT_IP)))
		ip = strndup(f->data, f->len);
	if (fbody) {
		body = malloc(fbody->len ? fbody->len : 1);
		if (body)
			memcpy(body, fbody->data, fbody->len);
	}
	char *session = NULL;
	if ((f = ipc_get(m, IPC_T_SESSION)))
		session = strndup(f->data, f->len);
	const struct ipc_field *state = ipc_get(m, IPC_T_STATE);
	struct exec_req req = {
		.id = idbuf,
		.code = code->data,
		.code_len = code->len,
		.filename = filename,
		.timeout_ms = ipc_get_u64(m, IPC_T_TIMEOUT_MS, 5000),
		.output_cap = ipc_get_u64(m, IPC_T_OUTPUT_CAP, 1u << 20),
		.allow_eval = (flags & IPC_EXEC_ALLOW_EVAL) != 0,
		.typescript = (flags & IPC_EXEC_TYPESCRIPT) != 0,
		.env = (const char *const *)env,
		.nenv = env ? nenv : 0,
		.tmp_cap = ipc_get_u64(m, IPC_T_TMP_CAP, 0),
		.function = (flags & IPC_EXEC_FUNCTION) != 0,
		.check = (flags & IPC_EXEC_CHECK) != 0,
		.http = {
			.method = method,
			.url = url,
			.path = path,
			.client_ip = ip,
			.headers = (const char *const *)headers,
			.nheaders = headers ? nh : 0,
			.body = body,
			.body_len = fbody ? fbody->len : 0,
			.has_body = body != NULL,
		},
		.session = {
			.id = session,
			.seq = ipc_get_u64(m, IPC_T_SESSION_SEQ, 0),
			.state = state ? state->data : NULL,
			.state_len = state ? state->len : 0,
			.state_max = ipc_get_u64(m, IPC_T_STATE_MAX, 8u << 20),
		},
	};
	struct engine_io io = { on_output, flush_frames, io_send, io_next, wk };
	struct exec_res res;
	engine_exec(eng, &req, &res, &io);
	send_result(wk, idbuf, &res);
	flush_frames(wk);
	bool again = res.reusable && !(flags & IPC_EXEC_LAST_IN_LIFE) && !wk->broken;
	exec_res_release(&res);
	ipc_strings_free(env, nenv);
	ipc_strings_free(headers, nh);
	free(method);
	free(url);
	free(path);
	free(ip);
	free(body);
	free(session);
	free(filename);
	return again;
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
	struct engine_opts eo = { .jit = arg_num(argc, argv, "--jit", 1) != 0 };
	struct engine *eng = NULL;

	signal(SIGPIPE, SIG_IGN);
	int rc = engine_new(&eng, &eo);
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
	ipc_enc_begin(&wk.out, IPC_MSG_READY);
	ipc_enc_u64(&wk.out, IPC_T_LAYERS, (uint64_t)layers);
	send_frame(&wk);
	flush_frames(&wk);

	ipc_reader_init(&wk.rd, IPC_MAX_FRAME);
	bool again = true, pkg_open = false;
	while (again && !wk.broken) {
		struct ipc_msg m;
		int r = ipc_reader_next(&wk.rd, &m);
		if (r == 0) {
			long n = ipc_reader_fill(&wk.rd, wk.fd);
			if (n == -EINTR)
				continue;
			if (n <= 0)
				break; /* the supervisor is gone, or told us to stop */
			continue;
		}
		if (r == 1 && m.type == IPC_MSG_FETCH_RESULT)
			continue; /* the answer to a fetch of an execution that is over */
		if (r == 1 && (m.type == IPC_MSG_PACKAGE_FILE || m.type == IPC_MSG_PACKAGE_END)) {
			if (load_package(eng, &m, &pkg_open)) {
				fprintf(stderr, "corral worker: a package frame could not be loaded\n");
				break;
			}
			continue;
		}
		if (r < 0 || m.type != IPC_MSG_EXEC) {
			fprintf(stderr, "corral worker: malformed frame from the supervisor\n");
			break;
		}
		again = run_exec(&wk, eng, &m);
		if (again)
			engine_prepare(eng);
	}
	ipc_reader_release(&wk.rd);
	buf_release(&wk.out);
	buf_release(&wk.send);
	/* No engine_free: the process ends here and the kernel reclaims all
	 * of it faster than a VM teardown would. */
	_exit(0);
}
