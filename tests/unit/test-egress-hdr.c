/* test-egress-hdr — the supervisor's own check of the request header lines
 * a (possibly compromised) worker asks egress to send (issue 16 point 5). */
#include "supervisor/egress_hdr.h"

#include "tap.h"

int main(void)
{
	static const char *const bad[] = {
		"X-A: b\r\nHost: evil", "X-A: b\nX-B: c", "X-A\rB: c", ": empty name", "no colon",
		"Bad Name: x", "X(y): z", "X-\x7f: z", "\xc3\xa9: latin",
	};
	static const char *const dropped[] = {
		"Host: evil.example", "host:evil", "Content-Length: 5", "Transfer-Encoding: chunked",
		"Connection: close", "Keep-Alive: 5", "TE: trailers", "Trailer: X", "Upgrade: h2c",
		"Expect: 100-continue", "Proxy-Authorization: Basic eA==", "proxy-connection: x",
		"Via: 1.1 x", "Date: now", "Accept-Encoding: br", "Accept-Charset: x",
		"Access-Control-Request-Method: PUT", "HTTP2-Settings: x",
	};
	static const char *const sent[] = {
		"X-Test: yes", "Authorization: Bearer t", "Cookie: a=b", "User-Agent: mine",
		"Origin: https://a.example", "Referer: https://a.example/", "Content-Type: application/json",
		"Accept: */*", "X-Host: not host", "Hostname: x", "x-api-key: k", "A!#$%&'*+-.^_`|~: tokens",
		"X-Empty:",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(egress_hdr_check(bad[i]) == EGRESS_HDR_BAD, "refused: %zu", i);
	for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
		ok(egress_hdr_check(dropped[i]) == EGRESS_HDR_DROP, "dropped: %s", dropped[i]);
	for (size_t i = 0; i < sizeof sent / sizeof *sent; i++)
		ok(egress_hdr_check(sent[i]) == EGRESS_HDR_SEND, "sent: %s", sent[i]);
	return done_testing();
}
