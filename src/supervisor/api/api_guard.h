/* api_guard — what a browser may make the service do.
 *
 * A web page the developer visits can send requests to the local service
 * (a form, a no-cors fetch) and, by DNS rebinding, make itself same-origin
 * with it and read the answers. Before any route runs:
 *
 * - Host: with no API keys (dev mode), only names that cannot be rebound
 *   are served — localhost and *.localhost, IP literals — and the names in
 *   CORRAL_ALLOWED_HOSTS. With keys, a page has no key to send.
 * - Origin and Sec-Fetch-Site: a request a browser marks as coming from
 *   another origin (an Origin that is not this Host's, "null", or
 *   Sec-Fetch-Site: cross-site) is refused unless CORRAL_ALLOWED_ORIGINS
 *   names its origin; those get CORS answers, preflights (OPTIONS)
 *   included. Top-level navigations (GET, Sec-Fetch-Mode: navigate) pass.
 * - Content-Type: a request with a body must label it application/json
 *   (or +json); the function-deploy routes check their archive types
 *   themselves. A form cannot send that without a preflight.
 *
 * /fn/ is the functions' own HTTP surface: its CORS is theirs, only the
 * Host rule applies to it. */
#ifndef CORRAL_API_GUARD_H
#define CORRAL_API_GUARD_H

#include <stdbool.h>

#include "supervisor/api/api_common.h"
#include "supervisor/http.h"

/* Checks r against the rules above for the route with this label (the
 * route table's). Returns true when the request may go on (CORS headers
 * added where they apply), false when it has been answered (a refusal, or
 * a preflight). */
bool api_guard(struct api *a, struct http_req *r, const char *label);

#endif
