/* api_session — sessions: their routes, and the lanes that run a session's
 * executions one at a time. See api_session.c. */
#ifndef CORRAL_API_SESSION_H
#define CORRAL_API_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor/api/api_common.h"
#include "supervisor/api/api_exec.h"

void api_session_routes(struct api *a, struct http_req *r, const char *path);
/* Runs x in its session's lane: now when the lane is free, else after the
 * executions before it. Answers the request itself on any fault. Returns
 * true when x was taken (running or waiting). */
bool api_session_submit(struct api *a, struct api_exec *x);
/* The client of x went away while it waited in its lane. */
void api_session_closed(struct api *a, struct api_exec *x);
/* Starts what waits in free lanes (from the loop, never inside a pool
 * callback). */
void api_session_kick(struct api *a);
/* Deletes expired sessions and refreshes the sessions gauge (every
 * CORRAL_SESSION_SWEEP_S). */
void api_sessions_sweep(struct api *a);
void api_session_release(struct api *a);
/* The pool binding of a session: its tenant's session workers
 * ("sessions:TENANT"), or with @own_process (isolation "process") a worker
 * of its own ("session:TENANT/ID"). */
void api_session_binding(const char *tenant, const char *id, bool own_process, char *out,
			 size_t n);

#endif
