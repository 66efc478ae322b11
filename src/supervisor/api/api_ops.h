/* api_ops — the operator's routes: /healthz, /readyz, /metrics,
 * /v1/metrics, and GET /v1/executions/{id}. See api_ops.c. */
#ifndef CORRAL_API_OPS_H
#define CORRAL_API_OPS_H

#include <stdbool.h>

#include "supervisor/api/api_common.h"

void api_ops_healthz(struct api *a, struct http_req *r);
void api_ops_readyz(struct api *a, struct http_req *r);
/* Prometheus text, or (json) the JSON form of GET /v1/metrics. */
/* /metrics with API keys wants CORRAL_METRICS_TOKEN; answers 401 and
 * returns false otherwise. */
bool api_ops_metrics_allowed(struct api *a, struct http_req *r);
void api_ops_metrics(struct api *a, struct http_req *r, bool json);
void api_ops_execution_get(struct api *a, struct http_req *r, const char *id);

#endif
