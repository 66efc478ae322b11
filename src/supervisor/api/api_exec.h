/* api_exec — one code-mode execution (POST /v1/execute, /api/execute), from
 * its parse to its answer: validation of the body, the output filter, the
 * tenant's policy, the pool job, and the JSON, SSE or NDJSON answer.
 * A session's execution is one of these with hooks (api_session.c). */
#ifndef CORRAL_API_EXEC_H
#define CORRAL_API_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/result.h"
#include "supervisor/api/api_common.h"
#include "supervisor/filter.h"
#include "supervisor/pool.h"

enum exec_mode { MODE_JSON, MODE_SSE, MODE_NDJSON, MODE_COMPAT };

struct api_exec;

/* What a session adds to an execution; set by the session's lane when the
 * execution joins it. */
struct api_exec_hooks {
	/* x ended (res NULL: it was refused before it ran). */
	void (*done)(struct api *a, struct api_exec *x, const struct result *res);
	/* PII tokens, numbered per session (ud: the api_exec). */
	int (*token)(void *ud, const char *kind, const char *value, size_t n, unsigned *num);
};

/* One code-mode execution request, from its parse to its answer. */
struct api_exec {
	int kind;                 /* 0 here; api_fn.c's invocations differ */
	struct pool_job pj;
	struct api *api;
	struct http_req *r;       /* NULL once the client is gone */
	enum exec_mode mode;
	char id[65];
	char *code;
	size_t code_len;
	char **env;
	size_t nenv;
	int pii;                  /* the request's "pii": 1, 0, or -1 when not given */
	bool own_process;         /* isolation "process": a worker of its own */
	int allow_eval;           /* the request's "allow_eval": 1, 0, or -1 when not given */
	int wasm;                 /* the request's "wasm": 1, 0, or -1 when not given */
	struct buf out, err, both;
	struct filter *flt;       /* what leaves the execution goes through it */
	struct api_tenant_cfg *tc; /* held while flt borrows its rules */
	struct filter_stream fs_out, fs_err;
	bool rl_held;
	bool running;             /* in the pool */
	int64_t started_at;       /* Unix ms, for the session's history */

	/* Sessions: the executions of one session run one at a time, in
	 * order, through its lane (api_session.c). */
	char session_id[65];
	struct api_lane *lane;
	const struct api_exec_hooks *hooks; /* the lane's, while x is in one */
	bool in_lane;             /* waiting in the lane, not yet in the pool */
	struct api_exec *lane_next;
	bool session_pii;         /* the session's own default */
	char *state;              /* the stored state sent with the job; owned */
	/* The env values the session was given before, with this request's:
	 * its output is filtered for all of them (a binding keeps a secret
	 * past the request that brought it). */
	char **fenv;
	size_t nfenv;
	char *secrets_commit;     /* the session's new secrets text, NULL: unchanged */
	bool not_run;             /* answered here (the policy): no worker saw it */
	unsigned tokens_asked;    /* PII token lookups so far (the session's token hook) */
	struct api_exec *prev, *next; /* api->live: started, not yet freed */
	bool live;
};

/* Parses and validates an execution body. Answers 4xx and returns NULL on
 * any fault, naming the field. Caller frees with api__exec_free. */
struct api_exec *api__exec_parse(struct api *a, struct http_req *r, bool compat);
/* Sends x to the pool (or answers it at once when the tenant's validation
 * policy rejects the code). Returns 0, or -EAGAIN when the queue is full
 * (x is untouched and still the caller's). */
int api__exec_start(struct api_exec *x);
/* Starts the answer of a running execution (headers, the SSE/NDJSON stream). */
void api__exec_started(struct api_exec *x);
void api__exec_free(struct api_exec *x);
/* POST /v1/executions/{id}/cancel; rest is what follows the prefix. */
void api_exec_cancel(struct api *a, struct http_req *r, const char *rest);
/* Ends x as refused (503) or with an error answer before it ran. */
void api__exec_refuse(struct api_exec *x, int status, const char *code, const char *field, const char *msg);

#endif
