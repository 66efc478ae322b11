/* rand — random bytes and identifiers from the kernel (getrandom), failing
 * closed: when no randomness can be had, callers get an error, never a
 * predictable value. */
#ifndef CORRAL_RAND_H
#define CORRAL_RAND_H

#include <stddef.h>

/* Fills p with n (at most 256) random bytes. Returns 0 or -errno. */
int rand_bytes(void *p, size_t n);
/* Writes n uniformly drawn base62 characters (0-9A-Za-z) and a NUL to out
 * (n + 1 bytes): a byte is used only when below 248 (4 * 62), so
 * byte % 62 has no bias. Returns 0 or -errno. */
int rand_base62(char *out, size_t n);

#endif
