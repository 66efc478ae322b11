/* netaddr — see netaddr.h. */
#include "supervisor/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct v4_block {
	uint32_t net;
	unsigned bits;
};

/* The IPv4 registry's blocks that are not globally reachable, plus
 * multicast and the reserved 240/4 (and broadcast). */
static const struct v4_block v4_blocks[] = {
	{ 0x00000000, 8 },   /* 0.0.0.0/8 "this network" */
	{ 0x0a000000, 8 },   /* 10/8 private */
	{ 0x64400000, 10 },  /* 100.64/10 shared (CGNAT) */
	{ 0x7f000000, 8 },   /* 127/8 loopback */
	{ 0xa9fe0000, 16 },  /* 169.254/16 link-local (cloud metadata) */
	{ 0xac100000, 12 },  /* 172.16/12 private */
	{ 0xc0000000, 24 },  /* 192.0.0.0/24 IETF protocol assignments */
	{ 0xc0000200, 24 },  /* 192.0.2.0/24 TEST-NET-1 */
	{ 0xc0586300, 24 },  /* 192.88.99.0/24 6to4 relay anycast (deprecated) */
	{ 0xc0a80000, 16 },  /* 192.168/16 private */
	{ 0xc6120000, 15 },  /* 198.18/15 benchmarking */
	{ 0xc6336400, 24 },  /* 198.51.100.0/24 TEST-NET-2 */
	{ 0xcb007100, 24 },  /* 203.0.113.0/24 TEST-NET-3 */
	{ 0xe0000000, 4 },   /* 224/4 multicast */
	{ 0xf0000000, 4 },   /* 240/4 reserved, 255.255.255.255 broadcast */
};

static bool v4_private(uint32_t a)
{
	for (size_t i = 0; i < sizeof v4_blocks / sizeof *v4_blocks; i++) {
		uint32_t mask = v4_blocks[i].bits ? ~0u << (32 - v4_blocks[i].bits) : 0;
		if ((a & mask) == v4_blocks[i].net)
			return true;
	}
	return false;
}

static uint32_t v4_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Whether the first bits of a equal those of the prefix p. */
static bool v6_in(const uint8_t *a, const uint8_t *p, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, p, bytes) != 0)
		return false;
	return !rest || ((a[bytes] ^ p[bytes]) & (0xff << (8 - rest))) == 0;
}

struct v6_block {
	uint8_t net[16];
	unsigned bits;
};

/* The IPv6 registry's blocks that are not globally reachable (the ones
 * embedding IPv4 are handled before). */
static const struct v6_block v6_blocks[] = {
	{ { 0 }, 128 },                                              /* ::/128 unspecified */
	{ { [15] = 1 }, 128 },                                       /* ::1 loopback */
	{ { 0x01, 0x00 }, 64 },                                      /* 100::/64 discard-only */
	{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },              /* 64:ff9b:1::/48 local-use NAT64 */
	{ { 0x20, 0x01, 0x00, 0x00 }, 32 },                          /* 2001::/32 Teredo */
	{ { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 }, 48 },              /* 2001:2::/48 benchmarking */
	{ { 0x20, 0x01, 0x00, 0x10 }, 28 },                          /* 2001:10::/28 ORCHID */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },                          /* 2001:db8::/32 documentation */
	{ { 0x3f, 0xff }, 20 },                                      /* 3fff::/20 documentation */
	{ { 0x5f, 0x00 }, 16 },                                      /* 5f00::/16 segment routing SIDs */
	{ { 0xfc }, 7 },                                             /* fc00::/7 unique local */
	{ { 0xfe, 0x80 }, 10 },                                      /* fe80::/10 link-local */
	{ { 0xfe, 0xc0 }, 10 },                                      /* fec0::/10 site-local (deprecated) */
	{ { 0xff }, 8 },                                             /* ff00::/8 multicast */
};

bool netaddr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return true;
	const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[12] = { 0 };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t siit[12] = { [8] = 0xff, [9] = 0xff };
	/* ::ffff:a.b.c.d, ::a.b.c.d (not :: and ::1), 64:ff9b::a.b.c.d,
	 * ::ffff:0:a.b.c.d: the IPv4 address decides. */
	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12) || !memcmp(a, siit, 12) ||
	    (!memcmp(a, zero, 12) && v4_at(a + 12) > 1))
		return v4_private(v4_at(a + 12));
	/* 2002:a.b.c.d::/48, 6to4. */
	if (a[0] == 0x20 && a[1] == 0x02)
		return v4_private(v4_at(a + 2));
	for (size_t i = 0; i < sizeof v6_blocks / sizeof *v6_blocks; i++)
		if (v6_in(a, v6_blocks[i].net, v6_blocks[i].bits))
			return true;
	return false;
}
