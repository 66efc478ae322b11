/* store/values — what the store's front (store.c) and its backends
 * (sqlite*.c) both use: the failure message, the newest schema version,
 * what a valid package hash looks like, and freeing what operations hand
 * back. Kept apart so that uses go one way: store.c picks a backend, the
 * backend and store.c use this file, and no backend calls into store.c. */
#include "supervisor/store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

int store__fail(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return rc;
}

int store_schema_latest(void)
{
	return store_migrations_count ? store_migrations[store_migrations_count - 1].version : 0;
}

void store_strings_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i])
			OPENSSL_cleanse(v[i], strlen(v[i]));
		free(v[i]);
	}
	free(v);
}

bool store_package_hash_valid(const char *hash)
{
	if (!hash)
		return false;
	for (size_t i = 0; i < STORE_PACKAGE_HASH_LEN; i++)
		if (!((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f')))
			return false;
	return hash[STORE_PACKAGE_HASH_LEN] == '\0';
}

void store_history_free(struct store_history_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++) {
		free(rows[i].code);
		free(rows[i].result);
		free(rows[i].out);
		free(rows[i].err);
		free(rows[i].error);
	}
	free(rows);
}
