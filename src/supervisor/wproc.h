/* wproc — the supervisor's side of one worker process.
 *
 * Starts a worker (spawn.c) with its own cgroup, sends it executions, reads
 * its frames, enforces what the worker cannot be trusted to enforce on
 * itself (each execution's wall deadline plus grace, its output cap, the
 * memory cap when there is no cgroup, well-formed frames), and maps every
 * way a worker can end to one outcome per execution in flight. It does no
 * waiting of its own: the caller's loop (poll in `corral run`, epoll in
 * `corral serve`) calls wproc_on_readable when wproc->fd is readable and
 * wproc_tick at least every WPROC_TICK_MS while executions run.
 *
 * Capacity. A worker runs up to wproc->cap executions at once (engine.h),
 * each under the slot number wproc_exec gave it (every frame about one
 * execution carries it). With cap 1 (isolation "process", a session's
 * isolation "process", `corral run`) the cgroup's memory cap is each execution's own, and a
 * worker that timed out, crashed or was killed is never reused. With a
 * larger cap the cgroup holds the worker's shared cap (wproc_set_capacity)
 * and the worker enforces each execution's limits itself: a timeout or a
 * memory_limit ends one execution, not the worker. If the worker dies all
 * the same, every execution in it ends with an outcome that names why.
 *
 * States: STARTING → (READY frame) → IDLE ⇄ BUSY (executions in flight);
 * any protocol error, kill or exit → DEAD. */
#ifndef CORRAL_WPROC_H
#define CORRAL_WPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/cg.h"
#include "supervisor/egress.h"
#include "common/idmap.h"
#include "common/ipc.h"
#include "common/result.h"
#include "sandbox/sandbox.h"

#define WPROC_TICK_MS 10
#define WPROC_GRACE_MS 100
/* An overdue execution kills its worker only once the worker has also been
 * silent for WPROC_GRACE_MS (stuck in one turn); one that is still sending
 * (working through other executions' turns, or a backlog of starts under
 * load) gets up to this much longer before it is killed all the same. */
#define WPROC_BUSY_GRACE_MS 5000
/* What an idle worker may hold past what it started with (or a quarter of
 * its cap, if more) before it is retired (wproc_worn). */
#define WPROC_HELD_MAX (32u << 20)
#define WPROC_SNAPSHOT_MS 1000 /* a session snapshot's budget after the code */
#define WPROC_READY_TIMEOUT_MS 10000
#define WPROC_PIDS_CAP 256 /* threads per worker (pids cgroup) */

enum wproc_state { WPROC_STARTING, WPROC_IDLE, WPROC_BUSY, WPROC_DEAD };

enum wproc_kill_reason {
	WPROC_KILL_NONE = 0,
	WPROC_KILL_DEADLINE,
	WPROC_KILL_OUTPUT,
	WPROC_KILL_MEMORY,   /* RSS polling fallback */
	WPROC_KILL_PROTOCOL, /* a malformed or unexpected frame */
	WPROC_KILL_RETIRE,   /* the supervisor's choice: recycle, shutdown */
};

struct wproc_opts {
	const struct sandbox_caps *caps;
	const struct cg_root *cg_root;  /* NULL or version 0: no cgroup */
	/* A cgroup kept by the caller across workers (a pool slot: the first
	 * move into a cgroup is the slow one); NULL: wproc makes its own. */
	const struct cg_worker *cg_slot;
	uint64_t memory_bytes;          /* initial cap */
	bool jit;
	bool warm_full;                 /* see engine_warm */
	bool wasm;                      /* WebAssembly on in its VM (spawn --wasm=1) */
	uint64_t cpu_s;                 /* RLIMIT_CPU backstop; 0: none */
	uid_t uid;                      /* the unprivileged uid (root only) */
	int stderr_fd;                  /* the worker's stderr; -1: ours (0 is taken as -1) */
};

struct wproc_job {
	const char *id;
	const char *code;
	size_t code_len;
	const char *filename;
	uint64_t timeout_ms;
	uint64_t memory_bytes;
	uint64_t output_cap;
	bool allow_eval;
	bool typescript;
	bool wasm;             /* keep WebAssembly (only a wasm worker has it) */
	bool last;             /* the worker exits after this one */
	const char *const *env;
	size_t nenv;
	uint64_t tmp_cap;      /* /tmp bytes; 0: the worker's default */
	bool check;            /* compile the code as a module only (a deploy's check) */
	/* Function mode: an HTTP request for the loaded package's handler. */
	bool function;
	struct ipc_http http;
	struct ipc_session session;   /* see struct exec_req */
};

struct wproc;

/* ready gets the ud given to wproc_on_readable; the others get the user
 * pointer of the execution they are about (wproc_exec's). */
struct wproc_cb {
	void (*ready)(struct wproc *w, void *ud);
	void (*output)(struct wproc *w, int stream, const char *p, size_t n, void *ud);
	/* The execution ended; r is the caller's to read, freed after the call. */
	void (*done)(struct wproc *w, struct result *r, void *ud);
	/* The code asked for an HTTP request (a validated frame): the callee
	 * takes ownership of req and answers with wproc_fetch_reply. NULL:
	 * every fetch is refused. */
	void (*fetch)(struct wproc *w, struct egress_req *req, void *ud);
	/* The code gave up a fetch it asked for (id: the worker's own). */
	void (*fetch_abort)(struct wproc *w, uint64_t id, void *ud);
	/* Function mode: the handler's response head (status, "name: value"
	 * headers, validated) and body chunks, as they come. */
	void (*response_head)(struct wproc *w, int status, const char *const *headers, size_t n, void *ud);
	void (*response_body)(struct wproc *w, const char *p, size_t n, void *ud);
};

struct wproc {
	uint64_t serial;          /* unique in this process: tags fetches */
	enum wproc_state state;
	pid_t pid;
	int pidfd;
	int fd;
	unsigned layers;          /* what the worker said it put in force */
	uint64_t started_ns;
	uint64_t execs;
	bool jit;
	bool has_cg;
	bool own_cg;              /* destroy the cgroup at reap */
	struct cg_worker cg;
	struct ipc_reader rd;
	enum wproc_kill_reason kill_reason;

	/* The executions in flight, by slot. */
	struct idmap jobs;
	unsigned inflight;
	unsigned cap;             /* at most this many at once (1 unless set) */
	uint64_t next_slot;
	uint64_t mem_cap;         /* the cgroup's (or the RSS poll's) cap */
	uint64_t oom_before;
	uint64_t blame;           /* the slot whose overrun made wproc kill the worker */
	char blame_id[65];        /* ... and its id */
	uint64_t next_kill_ns;    /* no execution is overdue before this */
	uint64_t heard_ns;        /* when the worker last sent a frame */
	uint64_t base_rss;        /* resident bytes it started with (READY) */
	uint64_t held_rss;        /* ... it held after its last idle collection (IDLE) */
	struct spawn_shared *shared; /* the page the worker writes (spawn.h), or NULL */
	bool last;                /* no more executions: it ends after these */
	void *user;               /* for the caller */
};

/* One execution in a worker (wproc.c's). */
struct wproc_exec {
	uint64_t slot;
	char id[65];
	uint64_t start_ns;
	uint64_t kill_at_ns;      /* deadline + grace */
	uint64_t timeout_ms;
	uint64_t out_bytes, out_cap;
	uint64_t mem_cap;
	unsigned fetches;         /* asked for by this execution */
	bool resp_head;           /* function mode: the head came */
	bool session;             /* a session's execution: a state may come back */
	uint64_t state_max;       /* ... of at most this many bytes */
	void *user;               /* the caller's, given to the callbacks */
};

/* Starts a worker; it is STARTING until its READY frame. Caller frees with
 * wproc_free. Returns 0 or -errno. */
int wproc_start(struct wproc **out, const struct wproc_opts *o);
/* Sends one execution to a worker that has room (wproc_has_room). Returns 0
 * or -errno: -EDQUOT when a cap-1 worker holds more memory than the job's
 * cap allows. */
int wproc_exec(struct wproc *w, const struct wproc_job *job, void *user, uint64_t *slot);
/* The caller no longer wants to hear of the execution in slot: it runs
 * to its end, and the callbacks get NULL for it. */
void wproc_forget(struct wproc *w, uint64_t slot);
bool wproc_has_room(const struct wproc *w);
/* Whether the worker, idle and collected, still holds so much more than it
 * started with (WPROC_HELD_MAX, or a quarter of its cap) that the next
 * execution would be charged for it: retire it. */
bool wproc_worn(const struct wproc *w);
/* Lets the worker run cap executions at once; with cap > 1 its cgroup's
 * memory cap becomes memory_bytes, shared by them. Returns 0 or -errno. */
int wproc_set_capacity(struct wproc *w, unsigned cap, uint64_t memory_bytes);
/* The user pointer of each execution in flight. */
void wproc_each(struct wproc *w, void (*fn)(void *ud, void *user), void *ud);
/* Reads and handles what the worker sent. Returns 0, or -errno when the
 * worker is gone or was killed for what it sent (then call wproc_reap). */
int wproc_on_readable(struct wproc *w, const struct wproc_cb *cb, void *ud);
/* Enforces the deadline and the polled memory cap. */
void wproc_tick(struct wproc *w, uint64_t now_ns);
void wproc_kill(struct wproc *w, enum wproc_kill_reason why);
/* Waits for the worker to exit (it must have been killed or have closed its
 * socket) and, if an execution was in flight, reports its outcome through
 * cb->done. */
void wproc_reap(struct wproc *w, const struct wproc_cb *cb, void *ud);
bool wproc_reusable(const struct wproc *w);
struct package;
/* Sends a function's package to an IDLE worker (before its first
 * invocation). Returns 0 or -errno. */
int wproc_load_package(struct wproc *w, const struct package *p);
/* Stops the execution in slot: it ends `cancelled` (its result comes as
 * any other's). -ESRCH when it has ended. */
int wproc_cancel(struct wproc *w, uint64_t slot);
/* Tells the worker to forget session @id's live context (it was deleted). */
int wproc_drop_session(struct wproc *w, const char *id);
/* Sends the answer to a fetch (r->error set for a refusal); -ESRCH when
 * its execution has ended. */
int wproc_fetch_reply(struct wproc *w, const struct egress_req *r);
void wproc_free(struct wproc *w);
/* For a process about to exit: kills the worker and frees the handle
 * without waiting for the kernel to tear the worker down (~30 ms for a
 * pid namespace's init with a JSC heap). Its cgroup is left for the next
 * corral to sweep (cg.c). */
void wproc_abandon(struct wproc *w);

#endif
