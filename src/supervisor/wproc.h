/* wproc — the supervisor's side of one worker process.
 *
 * Starts a worker (spawn.c) with its own cgroup, sends it executions, reads
 * its frames, enforces what the worker cannot be trusted to enforce on
 * itself (the wall deadline plus grace, the output cap, the memory cap when
 * there is no cgroup, well-formed frames), and maps every way a worker can
 * end to one outcome. It does no waiting of its own: the caller's loop
 * (poll in `corral run`, epoll in `corral serve`) calls wproc_on_readable
 * when wproc->fd is readable and wproc_tick at least every WPROC_TICK_MS
 * while an execution runs. A worker that timed out, crashed or was killed
 * is never reused: wproc_reusable() says so.
 *
 * States: STARTING → (READY frame) → IDLE → (wproc_exec) → BUSY → (RESULT)
 * → IDLE …; any protocol error, kill or exit → DEAD. */
#ifndef CORRAL_WPROC_H
#define CORRAL_WPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/cg.h"
#include "supervisor/egress.h"
#include "common/ipc.h"
#include "common/result.h"
#include "sandbox/sandbox.h"

#define WPROC_TICK_MS 10
#define WPROC_GRACE_MS 100
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

struct wproc_cb {
	void (*ready)(struct wproc *w, void *ud);
	void (*output)(struct wproc *w, int stream, const char *p, size_t n, void *ud);
	/* The execution ended; r is the caller's to read, freed after the call. */
	void (*done)(struct wproc *w, struct result *r, void *ud);
	/* The code asked for an HTTP request (a validated frame): the callee
	 * takes ownership of req and answers with wproc_fetch_reply. NULL:
	 * every fetch is refused. */
	void (*fetch)(struct wproc *w, struct egress_req *req, void *ud);
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

	/* The execution in flight (BUSY). */
	char exec_id[65];
	uint64_t exec_start_ns;
	uint64_t kill_at_ns;      /* deadline + grace */
	uint64_t timeout_ms;
	uint64_t out_bytes, out_cap;
	uint64_t mem_cap;
	uint64_t oom_before;
	unsigned fetches;         /* in flight for this execution */
	bool resp_head;           /* function mode: the head came */
	bool session;             /* a session's execution: a state may come back */
	uint64_t state_max;       /* ... of at most this many bytes */
	bool last;
	void *user;               /* for the caller */
};

/* Starts a worker; it is STARTING until its READY frame. Caller frees with
 * wproc_free. Returns 0 or -errno. */
int wproc_start(struct wproc **out, const struct wproc_opts *o);
/* Sends one execution to an IDLE worker. Returns 0 or -errno: -EDQUOT
 * when the worker holds more memory than the job's cap allows. */
int wproc_exec(struct wproc *w, const struct wproc_job *job);
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
/* Sends the answer to a fetch (r->error set for a refusal). */
int wproc_fetch_reply(struct wproc *w, const struct egress_req *r);
void wproc_free(struct wproc *w);
/* For a process about to exit: kills the worker and frees the handle
 * without waiting for the kernel to tear the worker down (~30 ms for a
 * pid namespace's init with a JSC heap). Its cgroup is left for the next
 * corral to sweep (cg.c). */
void wproc_abandon(struct wproc *w);

#endif
