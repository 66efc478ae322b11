/* Shared between engine.c and the modules it is made of: the engine's
 * state, and the host_*.c modules that install an execution's globals.
 * Nothing outside src/worker/ includes this. */
#ifndef CORRAL_ENGINE_INTERNAL_H
#define CORRAL_ENGINE_INTERNAL_H

#include <JavaScriptCore/JavaScript.h>
#include <stdbool.h>

#include "common/idmap.h"
#include "common/ipc.h"
#include "worker/bundles.h"
#include "worker/engine.h"
#include "worker/exec.h"
#include "worker/jsc.h"
#include "worker/jsval.h"
#include "worker/scache.h"

struct engine {
	JSContextGroupRef group;
	/* The embedded JS, compiled once per VM (bundles.h). */
	struct bundles bundles;
	/* Code-mode scripts compiled before, by their source (scache.h). */
	struct scache scache;
	/* Host functions shared by every execution's context; never given to
	 * user code as values. */
	JSGlobalContextRef host_ctx;
	JSObjectRef on_rejection;
	/* A context made while the worker was idle, with every global that
	 * does not depend on the request already installed. */
	JSGlobalContextRef spare;

	/* Function mode: the package, and the context that serves it. One
	 * context for every invocation of the package (its module cache and
	 * module state stay warm, as in any serverless runtime); the worker
	 * is bound to one tenant's one function version. */
	struct vfs *pkg;
	char *pkg_entry;
	char pkg_hash[65];
	bool pkg_ready;
	JSGlobalContextRef fn_ctx;
	JSObjectRef fn_rt;        /* the runtime's exports in fn_ctx; protected */
	uint64_t invocations;

	/* Sessions: the live global contexts of the tenant's sessions this
	 * worker has run (the pool binds a worker to one tenant's sessions),
	 * kept between their executions, most recently used first (session.c).
	 * A cache: the store holds each session's state, and a context that
	 * does not match it is rebuilt from it. */
	struct sess *sessions;
	unsigned nsessions;
	bool jit;
	bool wasm;                /* started with WebAssembly on (engine_opts.wasm) */
	JSScriptRef date_script;  /* install_lenient_date's, compiled once */

	/* The executions in flight: a list, by serial (bound functions),
	 * and a binary min-heap on wake_ns (the next timer or deadline). */
	struct engine_io io;
	struct exec *execs;
	unsigned inflight;
	uint64_t serials;
	struct idmap live;            /* serial -> exec */
	struct idmap fetches;         /* fetch id -> exec */
	struct exec **wheap;
	size_t nwheap, wheap_alloc;

	struct exec *cur;             /* the execution whose turn it is, if any */
	/* Executions that a bound function reached during another's turn (a
	 * function's invocations share a context): their state changed, and
	 * after_turn must look at them too. By serial. */
	uint64_t *touched;
	size_t ntouched, touched_alloc;
	/* Function invocations in flight, and those parked: nothing of their
	 * own left to run, their promise pending — another invocation's turn
	 * may still settle it (a promise they share). When every one in
	 * flight is parked, nothing can, and they end. */
	unsigned fn_inflight, fn_parked;
	bool ending_parked;
	bool terminated;              /* the watchdog stopped the turn in progress */
	int statm_fd;                 /* /proc/self/statm, or -1 */
	uint64_t *turn_slot;          /* the shared page's turn_slot, or NULL */
	const uint64_t *cancel_slot;  /* the shared page's cancel_slot, or NULL */
	uint64_t ctx_cost;            /* resident bytes a fresh context took, at most */
	uint64_t idle_rss;            /* resident bytes after the last collection (engine_collect) */
};

/* host_console.c: writes to the execution's output, enforcing the cap. */
void host_console_install(struct exec *x, JSObjectRef global);
void host_output(struct exec *x, int stream, const char *p, size_t n);
void host_output_flush(struct exec *x);

/* host_timers.c */
void host_timers_install(struct exec *x, JSObjectRef global);
/* Runs due timers; returns the deadline of the next one or 0 when none. */
uint64_t host_timers_run_due(struct exec *x);
void host_timers_clear(struct exec *x);

/* host_process.c */
void host_process_install(struct exec *x, JSObjectRef global);
/* A plain object of the execution's env vars. */
JSObjectRef host_env_object(struct exec *x);

/* host_runtime.c */
void host_runtime_install(struct exec *x, JSObjectRef global);
/* The stack bundle's exports (src/worker/js/stack.js), evaluated in x's
 * context now; NULL with *exc set when it fails. */
JSObjectRef host_runtime_stack(struct exec *x, JSValueRef *exc);
/* Loads the runtime into x's context (if not yet) and returns its exports,
 * or NULL with *exc set. */
JSObjectRef host_runtime_exports(struct exec *x, JSValueRef *exc);

/* host_invoke.c: function mode */
/* Calls the runtime's invoke(entry, request, sink); returns its promise or
 * NULL with *exc set. */
JSValueRef host_invoke(struct exec *x, JSObjectRef rt, JSValueRef *exc);

/* host_compat.c: Date's ISO leniency and JSON.parse's messages as V8's. */
void host_compat_install(struct exec *x, JSObjectRef global);

/* host_fetch.c */
JSValueRef host_fetch_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc);
JSValueRef host_fetch_want_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				size_t argc, const JSValueRef argv[], JSValueRef *exc);
JSValueRef host_fetch_abort_call(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				 size_t argc, const JSValueRef argv[], JSValueRef *exc);
/* Handles a FETCH_RESULT or FETCH_CHUNK frame. */
void host_fetch_result(struct exec *x, const struct ipc_msg *m);
void host_fetch_clear(struct exec *x);
/* The fetches that keep x alive: every one not answered yet, but a streamed
 * body that no read waits for (unread, it cannot run any of x's code). */
unsigned host_fetch_waiting(const struct exec *x);

/* host_zlib.c: host.zlib, and the release of an execution's handles */
JSObjectRef host_zlib_object(struct exec *x);
void host_zlib_clear(struct exec *x);
/* Handles open in the worker, every execution's. */
unsigned host_zlib_open_count(void);

#ifdef CORRAL_TEST_HOOKS
/* host_testhooks.c, test builds only */
void host_testhooks_install(struct exec *x, JSObjectRef global);
#endif

#endif
