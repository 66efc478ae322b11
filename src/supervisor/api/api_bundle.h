/* api_bundle — ad-hoc bundles: upload once, run the fetch handler by
 * content hash. See api_bundle.c. */
#ifndef CORRAL_API_BUNDLE_H
#define CORRAL_API_BUNDLE_H

#include "supervisor/api/api_common.h"

/* PUT /v1/bundles and POST /v1/bundles/{hash}/fetch. */
void api_bundle_routes(struct api *a, struct http_req *r, const char *path);

#endif
