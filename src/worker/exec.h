/* exec — one execution inside the worker: its context, request, result,
 * timers, pending fetches and output, shared by the engine and the host_*
 * modules that install its globals.
 *
 * Many executions are in flight in a worker (engine.h), but one thread runs
 * one turn of one execution's JavaScript at a time, and exec_current is the
 * execution whose turn it is: host functions find their execution through
 * it. Functions that must reach one execution whatever turn calls them (a
 * function's response sink, the handlers of its invocation's promise: the
 * invocations share one context) are bound to it with exec_bind_fn. */
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
	TERM_MEMORY,
	TERM_CANCELLED,
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
	uint64_t serial;      /* unique in the worker, never reused: for bound functions */
	JSGlobalContextRef ctx;
	struct sess *sess;   /* the session whose context ctx is, if any */
	const struct exec_req *req;
	struct exec_res *res;
	const struct engine_io *io;
	struct exec_res own_res;
	struct exec *prev, *next;   /* the engine's executions in flight */
	size_t heap_index;          /* in the engine's wake heap */
	uint64_t wake_ns;           /* its next timer or its deadline */

	uint64_t start_ns, deadline_ns;
	enum exec_term term;

	/* Accounting over its own turns. */
	uint64_t cpu_ns, turn_cpu_ns;
	uint64_t mem_held, mem_peak, turn_rss;

	/* The completion value (code mode) or the invocation's promise
	 * (function mode), kept until the end; protected. */
	JSValueRef value;
	bool have_value;
	bool ran;             /* its code was evaluated */
	bool reported;        /* its result is in res already */
	bool touched;         /* in the engine's touched list */
	bool parked;          /* see engine_internal.h */

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
		bool streaming;      /* its head came: now its body, chunk by chunk */
		bool wanted;         /* streaming, and a read of the body waits */
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
/* A new native source(url) for runtime/stack.js: the text a stack frame's
 * URL was evaluated from, or null (see exec.c). */
JSObjectRef exec_source_fn(JSContextRef ctx);

/* A function object that calls cb with x for as long as x is in flight,
 * from whatever turn it is called, and does nothing (returns undefined)
 * once x has ended. */
typedef JSValueRef (*exec_fn)(struct exec *x, JSContextRef ctx, JSObjectRef self, size_t argc,
			      const JSValueRef argv[], JSValueRef *exc);
JSObjectRef exec_bind_fn(struct exec *x, const char *name, exec_fn cb);

#endif
