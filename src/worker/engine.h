/* engine — the JavaScriptCore VM inside a worker, and the executions in it.
 *
 * Theory of operation. A worker owns one engine: one JSC context group (a VM,
 * with its heap, JIT and code cache) created before the sandbox closes. Each
 * code-mode execution gets a fresh global context in that group, so no
 * global, prototype or closure of one execution is visible to another, while
 * compiled code and the embedded libraries stay warm. A function's
 * invocations share the function's one context (its module state), each
 * with its own request and response.
 *
 * Many executions are in flight at once, interleaved on the worker's one
 * thread: an execution runs in turns — its first evaluation, a due timer, a
 * fetch's answer — each one entry into JS plus the microtasks it queues
 * (JSC drains them when the entry returns). Between turns an execution
 * costs only its context. engine_start runs an execution's first turn,
 * engine_frame delivers a fetch's answer, engine_run runs what is due and
 * says when to call it next; an execution that has nothing left to run (or
 * was stopped) ends, and io->done gets its result.
 *
 * Limits are each execution's own: JSC's watchdog fires every
 * ENGINE_WATCHDOG_SLICE of CPU time spent in one entry and asks our
 * callback, which stops the entry when the execution in its turn is past its
 * wall deadline or has grown the process's resident memory past its own
 * memory cap (growth is charged to the execution whose turn it happened in);
 * between turns engine_run ends an execution at its deadline. A stopped
 * turn ends only its execution: the VM goes on serving the others. The
 * supervisor is the backstop (a worker that stops answering is killed). */
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
/* Growth of resident memory past the last collection that makes the idle
 * worker collect (a full collection costs ~1-5 ms; a hello leaves ~0). */
#define ENGINE_COLLECT_SLACK (8u << 20)

struct engine_opts {
	bool jit;
	bool wasm;                /* WebAssembly on in the VM (process-wide; set before it exists) */
	int statm_fd;             /* /proc/self/statm, opened before the sandbox closes; -1: none */
	uint64_t *turn_slot;      /* where to say whose turn runs (the shared page), or NULL */
	const uint64_t *cancel_slot; /* the supervisor's cancel word (the shared page), or NULL */
};

struct exec_req {
	uint64_t slot;            /* the supervisor's number for it (ipc.h) */
	const char *id;
	const char *code;
	size_t code_len;
	const char *filename;     /* shown in stacks; "main.js" if NULL */
	uint64_t timeout_ms;
	uint64_t memory_bytes;    /* resident growth it may cause; 0: no cap of its own */
	uint64_t output_cap;      /* stdout + stderr bytes */
	bool allow_eval;
	bool typescript;
	bool wasm;                /* the execution may use WebAssembly (needs engine_opts.wasm) */
	const char *const *env;   /* "NAME=value" strings */
	size_t nenv;
	uint64_t tmp_cap;         /* bytes /tmp may hold; 0: 10 MiB */

	/* Compile the code as a CommonJS module (transpiled first when it is
	 * TypeScript or an ES module) and report rejected or ok: nothing runs. */
	bool check;
	/* The worker ends after this execution (and those in flight). */
	bool last;
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
	char *err_message_json;   /* the message as a JSON string, when the text loses some of it */
	char *err_stack;
	uint64_t err_line, err_column; /* 0 when unknown */
	uint64_t wall_ns, cpu_ns;  /* cpu: the sum over its own turns */
	uint64_t peak_mem;        /* the most resident memory charged to it at once */
	bool truncated;
	bool reusable;            /* false: the worker must not run anything else */
	int exit_code;            /* process.exit's code, or -1 */
	bool warm;                /* function mode: the handler was already loaded */
	struct buf state;         /* sessions: the snapshot after the code, empty when none */
	bool restored;            /* sessions: the context was rebuilt from the stored state */
};

struct engine_io {
	/* Called with an execution's output as it is produced, in order. */
	void (*output)(void *ud, uint64_t slot, int stream, const char *p, size_t n);
	/* Sends one encoded frame to the supervisor (fetch requests, a
	 * handler's response). */
	int (*send)(void *ud, const char *p, size_t n);
	/* The execution ended: res is valid during the call; req goes back
	 * to the caller (it gave it to engine_start). */
	void (*done)(void *ud, struct exec_req *req, struct exec_res *res);
	void *ud;
};

/* Caller frees with engine_free. Returns 0 or -errno. */
int engine_new(struct engine **out, const struct engine_opts *opts, const struct engine_io *io);
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
/* Gives back what ended executions left (call while idle, before
 * engine_prepare): when resident memory grew by ENGINE_COLLECT_SLACK since
 * the last time, a full collection and a return of free heap pages to the
 * kernel. So the next execution is charged only for its own memory.
 * Returns the resident bytes after it, or 0 when it was not needed. */
uint64_t engine_collect(struct engine *e);
/* Resident bytes of the worker now (0: unknown). */
uint64_t engine_rss(struct engine *e);
/* Starts an execution and runs its first turn; req is the engine's until
 * io->done hands it back (possibly before this returns). */
void engine_start(struct engine *e, struct exec_req *req);
/* Handles a frame from the supervisor for an execution in flight
 * (FETCH_RESULT); frames for executions that have ended are dropped. */
void engine_frame(struct engine *e, const struct ipc_msg *m);
/* Stops the execution the supervisor numbers slot: it ends `cancelled`
 * (its turn, if one runs, is stopped by the watchdog through the shared
 * page's cancel word). Nothing if it has ended. */
void engine_cancel(struct engine *e, uint64_t slot);
/* Forgets session @id's live context (it was deleted): at once, or when
 * the execution in it ends. */
void engine_drop_session(struct engine *e, const char *id);
/* Runs every turn that is due (timers, deadlines). Returns the monotonic
 * time at which to call it again, or 0 when nothing waits on time. */
uint64_t engine_run(struct engine *e);
/* Executions in flight. */
unsigned engine_inflight(const struct engine *e);

/* Function mode: the package a worker serves, loaded once (before its
 * first invocation). begin drops any earlier one. Returns 0 or -errno. */
int engine_package_begin(struct engine *e);
int engine_package_add(struct engine *e, const char *path, const void *data, size_t n);
int engine_package_end(struct engine *e, const char *hash, const char *entry);
bool engine_package_ready(const struct engine *e);

void exec_res_init(struct exec_res *res);
void exec_res_release(struct exec_res *res);

#endif
