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
/* Whether the engine's live session context is this request's session and
 * has run exactly the executions the request says it has. */
bool session_is_current(const struct engine *e, const struct exec_req *req);
/* x->ctx is the live session context: this request's env for its runtime. */
void session_resume(struct exec *x);
/* x->ctx is a fresh context, set up for the request: it becomes the
 * session's, with session.js loaded and the stored bindings restored.
 * Returns 0, or -1 with res set (internal). */
int session_begin(struct exec *x);
/* After the code: the session's bindings into res->state, on a budget of
 * its own. */
void session_snapshot(struct exec *x);
/* Forgets the live session context. */
void session_drop(struct engine *e);

#endif
