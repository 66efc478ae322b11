/* exec — one execution inside the worker: its context, request, result,
 * timers, pending fetches and output, shared by the engine and the host_*
 * modules that install its globals.
 *
 * The worker runs one execution's JavaScript at a time on one thread, and
 * exec_current is the execution whose JavaScript runs now: host functions
 * find their execution through it. */
#ifndef CORRAL_EXEC_H
#define CORRAL_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "worker/engine.h"
#include "worker/jsc.h"

#define ENGINE_WATCHDOG_SLICE 0.005 /* seconds of CPU per watchdog check */
#define ENGINE_MAX_TIMERS 100000
#define ENGINE_MAX_FETCHES 32

enum exec_term {
	TERM_NONE = 0,
	TERM_TIMEOUT,
	TERM_OUTPUT,
};

struct timer {
	uint64_t when_ns;
	uint64_t seq;        /* FIFO among equal deadlines */
	uint32_t id;
	uint32_t interval_ms; /* 0: one-shot */
	JSObjectRef fn;      /* protected while the timer lives */
	JSValueRef *args;    /* protected */
	size_t nargs;
};

struct exec {
	struct engine *eng;
	JSGlobalContextRef ctx;
	const struct exec_req *req;
	struct exec_res *res;
	const struct engine_io *io;

	uint64_t start_ns, deadline_ns, cpu_start_ns;
	enum exec_term term;

	/* Output not yet handed to io, all of one stream. */
	struct buf pending;
	int pending_stream;
	uint64_t out_total;

	/* Timers: a binary min-heap on (when_ns, seq). */
	struct timer *timers;
	size_t ntimers, timers_alloc;
	uint32_t next_timer_id;
	uint64_t next_seq;

	/* The first uncaught error (from a timer, a microtask, an unhandled
	 * rejection); it ends the execution as `error`. Protected. */
	JSValueRef uncaught;

	/* The completion value's promise, when it was one. */
	enum { PROMISE_NONE, PROMISE_PENDING, PROMISE_FULFILLED, PROMISE_REJECTED } pstate;
	JSValueRef pvalue; /* protected */
	bool tla;          /* the code was rewritten for top-level await */

	JSObjectRef inspect; /* lazily loaded bundle exports; protected */

	int rt_state;        /* runtime: 0 not loaded, 1 loading or failed, 2 in */
	JSObjectRef rt_obj;  /* its exports once in; protected */
	struct vfs *vfs;     /* the execution's files, made on first use */
	double time_origin_ms;
	bool exited;         /* process.exit() was called */
	int exit_code;

	/* Function mode: what the handler has sent. */
	bool resp_head_sent, resp_ended;

	/* fetch() requests waiting for the supervisor's answer. */
	struct fetch_pending {
		uint64_t id;
		JSObjectRef cb;      /* protected */
	} fetches[ENGINE_MAX_FETCHES];
	unsigned nfetches;
};

/* The execution whose JavaScript runs now, or NULL. */
extern struct exec *exec_current;
/* Records the first uncaught error (a timer's, a microtask's, an unhandled
 * rejection's); the execution ends as `error` with it. */
void exec_uncaught(struct exec *x, JSValueRef err);
/* The inspect bundle's exports in x's context (loaded on first use), or NULL. */
JSObjectRef exec_inspect(struct exec *x);

#endif
