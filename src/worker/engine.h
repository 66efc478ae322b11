/* engine — the JavaScriptCore VM inside a worker, and one execution in it.
 *
 * Theory of operation. A worker owns one engine: one JSC context group (a VM,
 * with its heap, JIT and code cache) created before the sandbox closes. Each
 * execution gets a fresh global context in that group, so no global, prototype
 * or closure of one execution is visible to the next, while compiled code and
 * the embedded libraries stay warm. The worker's own event loop (timers, the
 * result promise) runs inside engine_exec; JSC drains microtasks each time a
 * call into JS returns.
 *
 * Deadlines are enforced twice in here: JSC's watchdog fires every
 * ENGINE_WATCHDOG_SLICE of CPU time spent in one entry into JS and asks our
 * callback, which decides from the execution's own wall deadline (so a chain
 * of timers or promises cannot reset the clock); between entries the event
 * loop stops waiting at the deadline. The supervisor is the third enforcer. */
#ifndef CORRAL_ENGINE_H
#define CORRAL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ipc.h"
#include "common/outcome.h"
#include "common/buf.h"

struct engine;

/* A session's snapshot runs after its code on this budget (wproc gives the
 * worker WPROC_SNAPSHOT_MS more before killing it). */
#define ENGINE_SNAPSHOT_MS 800

struct engine_opts {
	bool jit;
};

struct exec_req {
	const char *id;
	const char *code;
	size_t code_len;
	const char *filename;     /* shown in stacks; "main.js" if NULL */
	uint64_t timeout_ms;
	uint64_t output_cap;      /* stdout + stderr bytes */
	bool allow_eval;
	bool typescript;
	const char *const *env;   /* "NAME=value" strings */
	size_t nenv;
	uint64_t tmp_cap;         /* bytes /tmp may hold; 0: 10 MiB */

	/* Compile the code as a CommonJS module (transpiled first when it is
	 * TypeScript or an ES module) and report rejected or ok: nothing runs. */
	bool check;
	/* Function mode: invoke the loaded package's handler with this request. */
	bool function;
	struct ipc_http http;

	/* Sessions: the code runs in the session's own global context, kept
	 * between executions while the worker lives. When the live context is
	 * another session's or has not run exactly session.seq executions, it
	 * is rebuilt and session.state restored into it first. After the code,
	 * the bindings are snapshotted into res->state. */
	struct ipc_session session;
};

struct exec_res {
	enum outcome status;
	struct buf result;        /* JSON text of the result, empty when none */
	char *err_name;           /* heap strings, NULL when not set */
	char *err_message;
	char *err_stack;
	uint64_t err_line, err_column; /* 0 when unknown */
	uint64_t wall_ns, cpu_ns, peak_rss;
	bool truncated;
	bool reusable;            /* false: the worker must not run anything else */
	int exit_code;            /* process.exit's code, or -1 */
	bool warm;                /* function mode: the handler was already loaded */
	struct buf state;         /* sessions: the snapshot after the code, empty when none */
	bool restored;            /* sessions: the context was rebuilt from the stored state */
};

struct engine_io {
	/* Called with output as it is produced, in the order written. */
	void (*output)(void *ud, int stream, const char *p, size_t n);
	/* Called before the execution waits (timers): output given so far
	 * must reach the supervisor now. */
	void (*flush)(void *ud);
	/* Sends one encoded frame to the supervisor now (fetch requests,
	 * a handler's response). */
	int (*send)(void *ud, const char *p, size_t n);
	/* Waits up to timeout_ms for a frame from the supervisor: 1 with *m
	 * set (valid until the next call), 0 on timeout, -errno. */
	int (*next)(void *ud, struct ipc_msg *m, int timeout_ms);
	void *ud;
};

/* Caller frees with engine_free. Returns 0 or -errno. */
int engine_new(struct engine **out, const struct engine_opts *opts);
void engine_free(struct engine *e);
/* Runs a little JS before the sandbox closes. Nothing in JSC needs it to
 * work under the sandbox (measured: Intl, regexps, Date, GC and the JIT all
 * start fine after lock-down); full also exercises the JIT, GC, Intl and the
 * inspect bundle once, which a pool worker can afford (~25 ms) and which
 * takes that cost off its first request. */
int engine_warm(struct engine *e, bool full);
/* Makes the next execution's context ahead of time (call while idle): the
 * ~0.1 ms of context creation and global installation leave the request's
 * path. */
void engine_prepare(struct engine *e);
/* Runs one execution to its end. res is initialized by the call; release it
 * with exec_res_release. Returns 0, or -errno when the engine itself failed
 * (res->status is then OUTCOME_INTERNAL). */
int engine_exec(struct engine *e, const struct exec_req *req, struct exec_res *res,
		const struct engine_io *io);

/* Function mode: the package a worker serves, loaded once (before its
 * first invocation). begin drops any earlier one. Returns 0 or -errno. */
int engine_package_begin(struct engine *e);
int engine_package_add(struct engine *e, const char *path, const void *data, size_t n);
int engine_package_end(struct engine *e, const char *hash, const char *entry);
bool engine_package_ready(const struct engine *e);

void exec_res_init(struct exec_res *res);
void exec_res_release(struct exec_res *res);

#endif
