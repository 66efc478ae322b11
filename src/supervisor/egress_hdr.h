/* egress_hdr — the request headers sandboxed code may send through egress.
 *
 * The worker is not trusted: every "Name: value" line is checked again
 * here. A line with CR, LF or NUL, an empty name or one that is not an
 * RFC 9110 token refuses the fetch. Headers that describe the connection
 * or the message's framing — which curl sets from the request itself —
 * are dropped, as the Fetch standard's forbidden request headers are: a
 * Host override or a Content-Length beside Transfer-Encoding would reach a
 * shared front end behind an allowlisted host as a request smuggling shape.
 * End-to-end headers a server-side client sets (Authorization, Cookie,
 * Origin, Referer, User-Agent) are sent as given. */
#ifndef CORRAL_EGRESS_HDR_H
#define CORRAL_EGRESS_HDR_H

enum egress_hdr {
	EGRESS_HDR_SEND,
	EGRESS_HDR_DROP,   /* forbidden: left out */
	EGRESS_HDR_BAD,    /* malformed: the fetch is refused */
};

enum egress_hdr egress_hdr_check(const char *line);

#endif
