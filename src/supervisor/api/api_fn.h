/* api_fn — function mode over HTTP: deploys, functions and versions, their
 * env, and invocations. See api_fn.c. */
#ifndef CORRAL_API_FN_H
#define CORRAL_API_FN_H

#include "supervisor/api/api_common.h"

/* The function-mode routes. path is the request path. */
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
