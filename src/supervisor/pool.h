/* pool — the scheduler: workers, tenant binding, the queue, deadlines.
 *
 * Theory of operation. The pool keeps ISOLATE_POOL_SIZE unbound workers
 * warm (started, sandboxed, idle) and at most ISOLATE_MAX_POOL_SIZE workers
 * in all. A worker is bound to the binding of its first execution until it
 * dies — a tenant's code mode, one function version, one session, or a
 * tenant's isolation "process" — so executions of different tenants never
 * share a process. A worker runs up to CORRAL_WORKER_CONCURRENCY of its
 * binding's executions at once (one for a session's and for "process").
 * A job goes to the least loaded worker of its binding with room, or to an
 * idle unbound one (also when its own are busy on the CPU: a CPU-bound
 * tenant spreads over the cores); else it waits in a bounded FIFO queue
 * while the pool starts a worker for it (or retires the longest-idle worker
 * of another binding to make room). A job that waits past the queue
 * timeout, or finds the queue full, is refused (the caller answers 503 with
 * Retry-After).
 *
 * Workers are recycled after CORRAL_WORKER_MAX_EXECUTIONS executions and
 * always after a timeout, crash or kill (wproc never reuses those); idle
 * bound workers retire after ISOLATE_IDLE_TIMEOUT_MS. Each worker slot owns
 * a cgroup for the life of the pool, because the first move of a process
 * into a new cgroup is the slow one.
 *
 * Everything runs on the service's one event loop: the pool registers each
 * worker's socket and pidfd in the loop's epoll (struct evsrc) and is told
 * of time passing through pool_tick. */
#ifndef CORRAL_POOL_H
#define CORRAL_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox/cg.h"
#include "supervisor/egress.h"
#include "supervisor/evloop.h"
#include "common/result.h"
#include "sandbox/sandbox.h"
#include "supervisor/wproc.h"

struct metrics;

struct pool_opts {
	unsigned size;               /* warm unbound workers */
	unsigned max;                /* workers in all */
	uint64_t idle_timeout_ms;    /* bound idle workers retire after this */
	unsigned max_execs;          /* recycle after this many (0: never) */
	unsigned queue_max;          /* waiting jobs */
	uint64_t queue_timeout_ms;   /* longest wait for a worker */
	uint64_t memory_bytes;       /* default cap */
	bool jit;
	const struct sandbox_caps *caps;
	const struct cg_root *cg_root;
	struct evloop *loop;
	struct metrics *metrics;
	struct egress *egress;       /* NULL: fetch is refused */
	/* ENABLE_MODULE_CACHE: a function-bound worker keeps its loaded
	 * handler between invocations; false retires it after each one. */
	bool fn_module_cache;
	/* MODULE_CACHE_MAX_SIZE: at most this many function-bound workers
	 * (loaded handlers); binding one more retires the longest-idle one.
	 * 0: only the pool's max bounds them. */
	unsigned fn_cache_max;
	/* Many executions per worker: how many at once (1: one per process,
	 * as before), and the memory cap their worker's cgroup then holds. */
	unsigned worker_concurrency;
	uint64_t worker_memory_bytes;
	unsigned cpus;               /* cores: a CPU-bound binding spreads over as many workers */
	/* In-flight executions (running + queued) on the node: -EAGAIN past
	 * it; 0: no limit. (The tenant's limit is ratelimit.c's.) */
	unsigned node_max;
};

struct pool_job;

struct pool_job_ops {
	void (*output)(struct pool_job *j, int stream, const char *p, size_t n);
	/* The job ended: r holds the outcome (refused jobs get OUTCOME_INTERNAL
	 * with refused set). r is freed after the call; the job is the
	 * caller's again. */
	void (*done)(struct pool_job *j, struct result *r, bool refused);
	/* Function mode (may be NULL otherwise). */
	void (*response_head)(struct pool_job *j, int status, const char *const *headers, size_t n);
	void (*response_body)(struct pool_job *j, const char *p, size_t n);
};

struct pool_job {
	char tenant[65];
	/* What a worker is bound to: the tenant for code mode, the tenant's
	 * function version for function mode ("" means the tenant). One that
	 * contains "#process" runs one execution at a time; one that contains
	 * "#wasm" goes only to a worker started with WebAssembly on. */
	char binding[200];
	/* Function mode: the package, sent to a worker the first time it is
	 * bound to this binding. Borrowed: alive until the job is done. */
	const struct package *pkg;
	struct wproc_job job;        /* the caller keeps its strings alive */
	const struct pool_job_ops *ops;
	void *ud;
	/* The pool's. */
	uint64_t enqueued_ns;
	uint64_t started_ns;
	struct pool_job *next;       /* queue link */
	struct pool_worker *worker;
	bool queued;
	bool cold;                   /* it was the first job of a freshly bound worker */
	uint64_t slot;               /* its number in its worker */
	unsigned retries;            /* workers that could not take it (memory, a dead one) */
};

struct pool;

/* Caller frees with pool_free. Returns 0 or -errno. */
int pool_new(struct pool **out, const struct pool_opts *o);
/* Starts the warm workers (in the background: they report READY later). */
void pool_start(struct pool *p);
/* Runs or queues the job. Returns 0, or -EAGAIN (nothing was taken) when
 * the node has node_max executions in flight or the queue is full. */
int pool_submit(struct pool *p, struct pool_job *j);
/* The caller no longer wants the job (its client went away): a queued job
 * is dropped; a running one is stopped, without callbacks. */
void pool_cancel(struct pool *p, struct pool_job *j);
/* Stops the job for its caller (POST .../cancel): a queued one ends at once
 * and a running one soon, both through ops->done with `cancelled`.
 * Returns 0, or -ESRCH when it has ended. */
int pool_stop(struct pool *p, struct pool_job *j);
/* Retires the workers bound to binding (a deleted session), a busy one
 * once its execution ends: what they hold must not outlive it. */
void pool_retire_binding(struct pool *p, const char *binding);
/* Tells the workers bound to @binding (a tenant's sessions) to forget
 * session @id's context: what they hold must not outlive it. */
void pool_drop_session(struct pool *p, const char *binding, const char *id);
/* Calls cb with the binding of every live bound worker whose binding
 * starts with prefix (cb may retire bindings). */
void pool_bindings(struct pool *p, const char *prefix, void (*cb)(void *ud, const char *binding), void *ud);
/* Deadlines, queue timeouts, idle retirement, the warm target. */
void pool_tick(struct pool *p, uint64_t now_ns);
/* True when the warm target is met (for /readyz). */
bool pool_ready(const struct pool *p);
struct pool_stats {
	unsigned total, available, active, starting, queued, max;
	uint64_t created, destroyed, corrupted;
	unsigned layers_min;         /* layers every live worker reported */
	/* Function mode's module cache: a worker bound to a function version
	 * holds its loaded modules. */
	unsigned fn_bound;           /* live workers bound to a function */
	uint64_t fn_evicted;         /* function-bound workers retired */
	unsigned inflight;           /* executions running in workers */
	unsigned inflight_max;       /* ... in the busiest worker */
};
void pool_stats(const struct pool *p, struct pool_stats *s);
/* Calls fn for each live worker with executions in flight: its pid and how many. */
void pool_each_busy(const struct pool *p, void (*fn)(void *ud, int pid, unsigned inflight),
		    void *ud);
/* A finished fetch from the egress thread: answered to its worker if it
 * still waits for it. Takes ownership of r. */
void pool_fetch_done(struct pool *p, struct egress_req *r);
/* Stops taking jobs; true once nothing runs and nothing is queued. */
bool pool_drain(struct pool *p);
void pool_free(struct pool *p);

#endif
