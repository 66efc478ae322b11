/* Shared between api.c (code mode, operations) and api_fn.c (function
 * mode). Nothing else includes this. */
#ifndef CORRAL_API_INTERNAL_H
#define CORRAL_API_INTERNAL_H

#include <stdbool.h>

#include "api.h"
#include "result.h"
#include "util/buf.h"

void api__respond_json(struct http_req *r, int status, const struct buf *b);
void api__error_json(struct http_req *r, int status, const char *code, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void api__retry_after(struct http_req *r, unsigned s);
/* Sets tenant, or answers 401 and returns false. */
bool api__authenticate(struct api *a, struct http_req *r, char tenant[65], bool compat);
/* Queues an execution record for the next api_flush_records. */
void api__record(struct api *a, const char *id, const char *tenant, const struct result *res,
		 const struct buf *logs);

/* api_fn.c: the function-mode routes. path is the request path. */
void api_fn_functions(struct api *a, struct http_req *r, const char *path);
void api_fn_invoke(struct api *a, struct http_req *r, const char *path);
void api_fn_closed(struct api *a, struct http_req *r, void *app);
void api_fn_release(struct api *a);
/* Whether an http_req's app object is a function invocation's. */
int api_fn_kind(const void *app);
/* The same for a deploy waiting for its entry check. */
int api_fn_deploy_kind(const void *app);
void api_fn_deploy_closed(struct api *a, void *app);

#endif
