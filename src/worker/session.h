/* session — a session's global context inside the worker (see session.c). */
#ifndef CORRAL_SESSION_H
#define CORRAL_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "worker/exec.h"

/* Whether a snippet needs rewriteSession: only let, const, class (and
 * using) declarations and top-level await do. May say yes needlessly,
 * never no wrongly. */
bool session_needs_rewrite(const char *p, size_t n);
/* Whether rewriteSession wrapped the code in an async function. */
bool session_rewrite_is_async(JSStringRef rw);
/* The most session contexts a worker keeps, and how long an idle one stays. */
#define ENGINE_SESSIONS_MAX 256
#define ENGINE_SESSION_IDLE_MS 120000

/* Puts x in its session's live context when the worker has one that has
 * run exactly the executions the request says (1), or forgets a stale one
 * and answers 0: the caller makes a fresh context and calls
 * session_begin(). -1 with res set (internal) if that context is in an
 * execution already. */
int session_enter(struct exec *x);
/* x->ctx is its session's live context: this request's env for its runtime. */
void session_resume(struct exec *x);
/* x->ctx is a fresh context, set up for the request: it becomes the
 * session's, with session.js loaded and the stored bindings restored.
 * Returns 0, or -1 with res set (internal). */
int session_begin(struct exec *x);
/* After the code: the session's bindings into res->state, on a budget of
 * its own. */
void session_snapshot(struct exec *x);
/* x is over: its context stays its session's (@keep: it ran to its end
 * as the store will record) or goes. */
void session_leave(struct exec *x, bool keep);
/* Forgets session @id's context (after its execution, if one runs). */
void session_drop(struct engine *e, const char *id);
void session_drop_all(struct engine *e);
/* The ids of the sessions whose contexts the worker holds, most recently
 * used first: at most @max into @ids; returns how many it holds. */
size_t session_ids(const struct engine *e, const char **ids, size_t max);
/* Drops contexts idle for their session's TTL or ENGINE_SESSION_IDLE_MS;
 * returns when the next one will be (0: none). */
uint64_t session_expire(struct engine *e, uint64_t now);

#endif
