/* netaddr — which addresses sandboxed code may not reach through egress:
 * every block of the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * that is not globally reachable (RFC 6890 and its updates), and the
 * addresses that embed an IPv4 address (v4-mapped, v4-compatible, NAT64,
 * 6to4), judged by the address they embed. Teredo (2001::/32) tunnels to
 * an address the server cannot check: refused. */
#ifndef CORRAL_NETADDR_H
#define CORRAL_NETADDR_H

#include <stdbool.h>
#include <sys/socket.h>

/* true for an address egress refuses unless private addresses are allowed
 * (and for any family other than IPv4 and IPv6). */
bool netaddr_private(const struct sockaddr *sa);

#endif
