/* Helpers shared by the store's unit tests (test-store.c,
 * test-store-sessions.c). */
#ifndef CORRAL_TEST_STORE_UTIL_H
#define CORRAL_TEST_STORE_UTIL_H

#include <ftw.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "supervisor/store/store.h"
#include "tap.h"

static inline int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline struct store *open_ok(const char *dir)
{
	char err[STORE_ERR_LEN] = "";
	struct store *s = NULL;
	int rc = store_open(dir, &s, err);
	if (rc) {
		diag("store_open('%s'): %d %s", dir, rc, err);
		return NULL;
	}
	return s;
}

/* Runs one SQL statement on DIR/corral.db and returns the first column of
 * its first row as text in @out (or "" if none). Returns the SQLite code. */
static inline int peek(const char *dir, const char *sql, char *out, size_t cap)
{
	char path[512];
	snprintf(path, sizeof path, "%s/corral.db", dir);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (out)
		out[0] = '\0';
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW && out) {
				const char *t = (const char *)sqlite3_column_text(st, 0);
				snprintf(out, cap, "%s", t ? t : "");
			}
			if (rc == SQLITE_ROW || rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK)
			diag("peek '%s': %s", sql, sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return rc;
}

static inline int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

#endif
