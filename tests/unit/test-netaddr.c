/* test-netaddr — the addresses egress refuses (issue 16 point 8): the
 * IANA special-purpose blocks, and addresses embedding IPv4 judged by it. */
#include "supervisor/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "tap.h"

static int private_of(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, text, &s6->sin6_addr) != 1)
			return -1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, text, &s4->sin_addr) != 1)
			return -1;
	}
	return netaddr_private((const struct sockaddr *)&ss);
}

int main(void)
{
	static const char *const refused[] = {
		/* what the list always had */
		"0.0.0.0", "10.1.2.3", "127.0.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "100.64.0.1", "100.127.255.255", "224.0.0.1", "255.255.255.255",
		"::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
		/* what it missed (the list, and the registries') */
		"192.0.0.8", "192.0.0.170", "192.0.2.1", "198.18.0.1", "198.19.255.255", "198.51.100.7",
		"203.0.113.9", "240.0.0.1", "192.88.99.1",
		"64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:a9fe:a9fe::1", "2002:c0a8:101::", "2001::1", "2001:0:4136:e378::1",
		"2001:db8::1", "2001:2::1", "2001:10::1", "100::1", "fec0::1", "::ffff:0:a00:1",
		"::10.0.0.1", "3fff::1",
	};
	static const char *const allowed[] = {
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.128.0.1", "172.32.0.1", "192.0.1.1",
		"198.20.0.1", "223.255.255.254", "2606:4700:4700::1111", "2a00:1450:4001::200e",
		"64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2001:4860::8888",
	};
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		ok(private_of(refused[i]) == 1, "refused: %s", refused[i]);
	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
		ok(private_of(allowed[i]) == 0, "allowed: %s", allowed[i]);
	struct sockaddr un = { .sa_family = AF_UNIX };
	ok(netaddr_private(&un) == 1, "another address family: refused");
	return done_testing();
}
