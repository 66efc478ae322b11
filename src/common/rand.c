/* rand — see rand.h. */
#include "common/rand.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

int rand_bytes(void *p, size_t n)
{
	/* getrandom() gives up to 256 bytes whole once the pool is ready,
	 * so only a signal before that can cut in. */
	ssize_t got;
	do
		got = getrandom(p, n, 0);
	while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : (size_t)got == n ? 0 : -EIO;
}

int rand_base62(char *out, size_t n)
{
	static const char abc[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[64];
	size_t have = 0, used = sizeof rnd;
	while (have < n) {
		if (used == sizeof rnd) {
			int rc = rand_bytes(rnd, sizeof rnd);
			if (rc) {
				explicit_bzero(rnd, sizeof rnd);
				return rc;
			}
			used = 0;
		}
		unsigned char b = rnd[used++];
		if (b < 248)
			out[have++] = abc[b % 62];
	}
	out[n] = '\0';
	explicit_bzero(rnd, sizeof rnd);
	return 0;
}
