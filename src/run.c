/* run — see run.h.
 *
 * The same path the service takes, minus HTTP: probe the sandbox, start one
 * worker (wproc.c), wait for READY, send the code, pump frames until the
 * result or the worker's death, print, exit with the outcome's code. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/cg.h"
#include "common/config.h"
#include "supervisor/egress.h"
#include "common/ipc.h"
#include "common/outcome.h"
#include "common/result.h"
#include "sandbox/sandbox.h"
#include "common/buf.h"
#include "common/clock.h"
#include "supervisor/wproc.h"

#define RUN_MAX_CODE (16u << 20)
#define RUN_EXIT_USAGE 2
#define RUN_EXIT_OTHER 125

struct run {
	struct egress *egress;
	bool json;
	bool done;
	bool ready;
	struct wproc_job job;
	struct result res;
	struct buf out, err, both; /* captured for --json */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: corral run [options] FILE|-\n"
		"Runs a JavaScript file (or stdin, with -) in the sandbox.\n"
		"\n"
		"  --timeout MS     deadline for the whole execution (default 5000; 1..300000)\n"
		"  --memory MB      memory cap of the worker (default 128; 32..65536)\n"
		"  --max-output N   stdout+stderr byte cap (default 1048576)\n"
		"  --json           print the result object of the HTTP API instead\n"
		"  --no-jit         run the engine without its JIT compilers\n"
		"  --allow-eval     allow eval and new Function\n"
		"  --allow-wasm     allow WebAssembly (the worker's deadline kill ends a wasm loop)\n"
		"  --typescript     the code is TypeScript (the default for .ts and .mts files)\n"
		"  --env K=V        set process.env.K (repeatable)\n"
		"  --allow-fetch L  let fetch() reach these hosts (comma-separated, *.suffix)\n"
		"  --allow-private-fetch  also private, loopback and link-local addresses\n"
		"  --repeat N       run it N times in one worker, a fresh context each time\n"
		"                   (with --json: one result object per line)\n"
		"\n"
		"exit codes: 0 ok, 1 error, 2 rejected or bad usage, 124 timeout,\n"
		"137 memory_limit, 125 anything else (output_limit, killed, internal)\n");
}

static int read_all(int fd, struct buf *b)
{
	char tmp[65536];
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		int rc = buf_append(b, tmp, (size_t)n);
		if (rc)
			return rc;
	}
}

static void on_ready(struct wproc *w, void *ud)
{
	struct run *r = ud;
	r->ready = true;
	int rc = wproc_exec(w, &r->job, r, NULL);
	if (rc) {
		fprintf(stderr, "corral: cannot send the code to the worker: %s\n", strerror(-rc));
		wproc_kill(w, WPROC_KILL_RETIRE);
	}
}

static void on_output(struct wproc *w, int stream, const char *p, size_t n, void *ud)
{
	struct run *r = ud;
	if (r->json) {
		buf_append(stream == IPC_STREAM_STDOUT ? &r->out : &r->err, p, n);
		buf_append(&r->both, p, n);
	} else {
		(void)ipc_write_all(stream == IPC_STREAM_STDOUT ? 1 : 2, p, n);
	}
}

static void on_done(struct wproc *w, struct result *res, void *ud)
{
	struct run *r = ud;
	r->done = true;
	r->res = *res;
	/* Take ownership of the strings. */
	res->result_json = res->err_name = res->err_message = res->err_message_json = res->err_stack = NULL;
}

static void on_fetch(struct wproc *w, struct egress_req *req, void *ud)
{
	struct run *r = ud;
	egress_submit(r->egress, req);
}

static void on_fetch_abort(struct wproc *w, uint64_t id, void *ud)
{
	struct run *r = ud;
	egress_abort(r->egress, w->serial, id);
}

/* Copies what the worker wrote to its stderr (its own diagnostics, never
 * the program's output, which comes in frames) to ours. */
static void forward_stderr(int *fd)
{
	char tmp[4096];
	ssize_t n;
	while ((n = read(*fd, tmp, sizeof tmp)) > 0)
		(void)ipc_write_all(2, tmp, (size_t)n);
	if (n == 0) {
		close(*fd);
		*fd = -1;
	}
}

static void print_human(const struct run *r)
{
	const struct result *res = &r->res;
	if (res->status == OUTCOME_OK)
		return;
	if (res->status == OUTCOME_ERROR || res->status == OUTCOME_REJECTED) {
		if (res->err_stack && res->status == OUTCOME_ERROR)
			fprintf(stderr, "Uncaught %s\n", res->err_stack);
		else if (res->err_line)
			fprintf(stderr, "%s:%llu:%llu: %s: %s\n", r->job.filename,
				(unsigned long long)res->err_line, (unsigned long long)res->err_column,
				res->err_name ? res->err_name : "Error", res->err_message ? res->err_message : "");
		else
			fprintf(stderr, "Uncaught %s: %s\n", res->err_name ? res->err_name : "Error",
				res->err_message ? res->err_message : "");
		return;
	}
	fprintf(stderr, "corral: %s: %s\n", outcome_name(res->status),
		res->err_message ? res->err_message : outcome_meaning(res->status));
}

int run_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "memory", required_argument, NULL, 'm' },
		{ "max-output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-jit", no_argument, NULL, 'J' },
		{ "allow-eval", no_argument, NULL, 'E' },
		{ "allow-wasm", no_argument, NULL, 'W' },
		{ "typescript", no_argument, NULL, 'T' },
		{ "env", required_argument, NULL, 'e' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "allow-fetch", required_argument, NULL, 'F' },
		{ "allow-private-fetch", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t timeout_ms = 5000, memory_mb = 128, output_cap = 1u << 20, repeat = 1;
	bool jit = true, allow_eval = false, json = false, allow_private = false, typescript = false, wasm = false;
	const char *allow_fetch = NULL;
	const char **env = calloc((size_t)argc + 1, sizeof *env);
	size_t nenv = 0;
	char err[CONFIG_ERR_LEN];
	int c, code = RUN_EXIT_OTHER;

	if (!env)
		return RUN_EXIT_OTHER;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (config_parse_u64("--timeout", optarg, CONFIG_TIMEOUT_MS_MIN, CONFIG_TIMEOUT_MS_MAX, &timeout_ms, err))
				goto bad;
			break;
		case 'm':
			if (config_parse_u64("--memory", optarg, CONFIG_MEMORY_MB_MIN, CONFIG_MEMORY_MB_MAX, &memory_mb, err))
				goto bad;
			break;
		case 'o':
			if (config_parse_u64("--max-output", optarg, CONFIG_OUTPUT_MIN, CONFIG_OUTPUT_MAX, &output_cap, err))
				goto bad;
			break;
		case 'r':
			if (config_parse_u64("--repeat", optarg, 1, 1000000, &repeat, err))
				goto bad;
			break;
		case 'j': json = true; break;
		case 'F': allow_fetch = optarg; break;
		case 'P': allow_private = true; break;
		case 'J': jit = false; break;
		case 'E': allow_eval = true; break;
		case 'W': wasm = true; break;
		case 'T': typescript = true; break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				snprintf(err, sizeof err, "--env takes NAME=value (got '%s')", optarg);
				goto bad;
			}
			env[nenv++] = optarg;
			break;
		case 'h':
			usage(stdout);
			free(env);
			return 0;
		default:
			snprintf(err, sizeof err, "unknown or incomplete option '%s'", argv[optind - 1]);
			goto bad;
		}
	}
	if (optind != argc - 1) {
		snprintf(err, sizeof err, optind >= argc ? "a FILE (or - for stdin) is required"
							 : "only one FILE may be given");
		goto bad;
	}

	const char *path = argv[optind];
	struct buf src = BUF_INIT(RUN_MAX_CODE);
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "corral: cannot open '%s': %s\n", path, strerror(errno));
		free(env);
		return RUN_EXIT_USAGE;
	}
	int rc = read_all(fd, &src);
	if (fd > 0)
		close(fd);
	if (rc) {
		fprintf(stderr, "corral: cannot read '%s': %s\n", path,
			rc == -ENOBUFS ? "larger than 16 MiB" : strerror(-rc));
		buf_release(&src);
		free(env);
		return RUN_EXIT_USAGE;
	}

	signal(SIGPIPE, SIG_IGN);
	struct sandbox_caps caps;
	struct cg_root cg;
	sandbox_probe(&caps, &cg, false);

	struct run r = { .json = json };
	char id[40];
	if (result_new_id(id, sizeof id)) {
		fprintf(stderr, "corral run: no randomness for an execution id\n");
		return RUN_EXIT_OTHER;
	}
	const char *base = strrchr(path, '/');
	r.job = (struct wproc_job){
		.id = id,
		.code = src.data ? src.data : "",
		.code_len = src.len,
		.filename = strcmp(path, "-") == 0 ? "stdin.js" : (base ? base + 1 : path),
		.timeout_ms = timeout_ms,
		.memory_bytes = memory_mb << 20,
		.output_cap = output_cap,
		.allow_eval = allow_eval,
		.wasm = wasm,
		.typescript = typescript || (strlen(path) > 3 && (!strcmp(path + strlen(path) - 3, ".ts") ||
								  !strcmp(path + strlen(path) - 4, ".mts"))),
		.last = repeat == 1,
		.env = env,
		.nenv = nenv,
	};
	buf_init(&r.out, output_cap);
	buf_init(&r.err, output_cap);
	buf_init(&r.both, output_cap);
	result_init(&r.res);

	/* The worker's stderr comes through us: when we exit, nothing waits
	 * for the killed worker to finish dying before the caller sees EOF. */
	int errpipe[2] = { -1, -1 };
	if (pipe2(errpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		errpipe[0] = errpipe[1] = -1;
	struct wproc_opts wo = {
		.stderr_fd = errpipe[1],
		.caps = &caps,
		.cg_root = &cg,
		.memory_bytes = memory_mb << 20,
		.jit = jit,
		.wasm = wasm,
		.cpu_s = timeout_ms / 1000 + 2,
		.uid = (uid_t)(100000 + getpid() % 50000),
	};
	struct wproc *w = NULL;
	if (allow_fetch) {
		struct egress_opts eo = { .allow = allow_fetch, .allow_private = allow_private,
					  .max_bytes = 10u << 20, .max_timeout_ms = timeout_ms };
		char eerr[256];
		if (egress_new(&r.egress, &eo, eerr)) {
			fprintf(stderr, "corral run: %s\n", eerr);
			code = RUN_EXIT_USAGE;
			goto out;
		}
	}
	struct wproc_cb cb = { .ready = on_ready, .output = on_output, .done = on_done,
			       .fetch = allow_fetch ? on_fetch : NULL,
			       .fetch_abort = allow_fetch ? on_fetch_abort : NULL };
	rc = wproc_start(&w, &wo);
	if ((rc == -EPERM || rc == -EINVAL || rc == -ENOSPC || rc == -EUSERS) &&
	    (caps.layers & SANDBOX_NAMESPACES)) {
		sandbox_drop_namespaces(&caps, rc);
		rc = wproc_start(&w, &wo);
	}
	if (errpipe[1] >= 0) {
		close(errpipe[1]);
		errpipe[1] = -1;
	}
	if (caps.note[0])
		fprintf(stderr, "corral: warning: weaker sandbox: %s\n", caps.note);
	if (rc) {
		fprintf(stderr, "corral: cannot start a worker: %s\n", strerror(-rc));
		goto out;
	}
	code = 0;
	for (uint64_t i = 0; i < repeat; i++) {
		r.done = false;
		r.job.last = i + 1 == repeat;
		if (i > 0) {
			if (result_new_id(id, sizeof id)) {
				fprintf(stderr, "corral: no randomness for an execution id\n");
				code = RUN_EXIT_OTHER;
				break;
			}
			if (!wproc_reusable(w)) {
				fprintf(stderr, "corral: the worker cannot be reused after '%s'; stopping after %llu runs\n",
					outcome_name(r.res.status), (unsigned long long)i);
				break;
			}
			result_release(&r.res);
			buf_reset(&r.out);
			buf_reset(&r.err);
			buf_reset(&r.both);
			rc = wproc_exec(w, &r.job, &r, NULL);
			if (rc) {
				fprintf(stderr, "corral: cannot send the code to the worker: %s\n", strerror(-rc));
				code = RUN_EXIT_OTHER;
				break;
			}
		}
		while (!r.done) {
			struct pollfd p[3] = { { w->fd, POLLIN, 0 }, { r.egress ? egress_fd(r.egress) : -1, POLLIN, 0 },
					       { errpipe[0], POLLIN, 0 } };
			int n = poll(p, 3, WPROC_TICK_MS);
			if (n > 0 && p[2].revents)
				forward_stderr(&errpipe[0]);
			if (n > 0 && p[1].revents) {
				struct egress_req *er;
				while ((er = egress_take(r.egress))) {
					wproc_fetch_reply(w, er);
					egress_req_free(er);
				}
			}
			if (n > 0 && p[0].revents) {
				rc = wproc_on_readable(w, &cb, &r);
				if (rc < 0 && !r.done) {
					wproc_reap(w, &cb, &r);
					break;
				}
			}
			wproc_tick(w, clock_mono_ns());
		}
		if (!r.done) {
			fprintf(stderr, "corral: the worker failed to start (see its message above)\n");
			code = RUN_EXIT_OTHER;
			break;
		}
		snprintf(r.res.id, sizeof r.res.id, "%s", id);
		if (json) {
			struct buf b = BUF_INIT(SIZE_MAX / 2);
			struct result_output ro = { &r.out, &r.err, &r.both };
			result_to_json(&r.res, &ro, &b);
			buf_putc(&b, '\n');
			(void)ipc_write_all(1, b.data, b.len);
			buf_release(&b);
		} else {
			print_human(&r);
		}
		if (code == 0)
			code = result_exit_code(&r.res);
	}
out:
	/* The worker is killed and not waited for: the answer is out, and
	 * its teardown is the kernel's (its cgroup is swept by the next run). */
	if (errpipe[0] >= 0) {
		forward_stderr(&errpipe[0]);
		if (errpipe[0] >= 0)
			close(errpipe[0]);
	}
	wproc_abandon(w);
	egress_free(r.egress);
	result_release(&r.res);
	buf_release(&r.out);
	buf_release(&r.err);
	buf_release(&r.both);
	buf_release(&src);
	free(env);
	return code;
bad:
	fprintf(stderr, "corral run: %s\n\n", err);
	usage(stderr);
	free(env);
	return RUN_EXIT_USAGE;
}
