/* api — the HTTP routes of docs/api.md: the route table and what the
 * service's loop calls.
 *
 * The route table maps method and path to a handler in one of the route
 * files (api_exec, api_fn, api_session, api_settings, api_ops); each
 * handler checks auth, validates its input (a 4xx JSON error naming the
 * field for anything wrong), and either answers at once or submits a job to
 * the pool and answers when the job ends (JSON, SSE or NDJSON). */
#ifndef CORRAL_API_H
#define CORRAL_API_H

#include "supervisor/api/api_common.h"
#include "supervisor/http.h"

/* Once per loop turn: starts what waits in free session lanes and writes
 * the executions recorded since the last call in one transaction. */
void api_flush_records(struct api *a);
/* Every CORRAL_SESSION_SWEEP_S: expired sessions. */
void api_sweep(struct api *a);
void api_release(struct api *a);

extern const struct http_handlers api_handlers;

#endif
