/* egress_hdr — see egress_hdr.h. */
#include "supervisor/egress_hdr.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char *const dropped[] = {
	"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer",
	"upgrade", "expect", "via", "date", "accept-charset", "accept-encoding",
	"access-control-request-headers", "access-control-request-method",
	"http2-settings", "proxy-connection",
};

static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

enum egress_hdr egress_hdr_check(const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon || colon == line || strpbrk(line, "\r\n"))
		return EGRESS_HDR_BAD;
	size_t n = (size_t)(colon - line);
	for (size_t i = 0; i < n; i++)
		if (!tchar((unsigned char)line[i]))
			return EGRESS_HDR_BAD;
	for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
		if (strlen(dropped[i]) == n && strncasecmp(line, dropped[i], n) == 0)
			return EGRESS_HDR_DROP;
	/* Proxy-Authorization and the rest are for a proxy; there is none. */
	if (n >= 6 && strncasecmp(line, "proxy-", 6) == 0)
		return EGRESS_HDR_DROP;
	return EGRESS_HDR_SEND;
}
