/* store/sqlite_packages — package blobs beside the database.
 *
 * A blob is the file DIR/packages/<hash> (the directory created
 * 0700 on the first put), never in the database: a package may be tens of
 * megabytes, and the database stays small enough to back up by copying. A
 * put writes a temporary file ".tmp-<hash>-XXXXXX" in the same directory
 * (0600), fsyncs it, renames it into place and fsyncs the directory, so a
 * blob under its final name is always whole. Two processes putting the same
 * hash at once both succeed: the second rename replaces identical bytes.
 * Garbage collection races with deploys in other processes; it is safe
 * because (1) gc holds the database's write lock while it judges and
 * unlinks, so no publish commits a reference in between; (2) it spares
 * blobs younger than a grace period (store.c), which covers the gap between
 * a put and its publish, a gap no lock spans; and (3) a put of a blob that
 * is stored already renews its mtime under the same write lock, so gc sees
 * either the new time or, having run first, no file, and the put writes it
 * anew. */
#include "supervisor/store/sqlite_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_PKG_TMP ".tmp-"

/*        id                 sql */
#define PKGS_SQL(X) \
	X(PKG_REFERENCED,    "SELECT EXISTS (SELECT 1 FROM versions WHERE package_hash = ?1)")

SQ_TABLE(pkgs, SQ_T_PKGS, PKGS_SQL)

/* Writes "DIR/packages/@name" into @buf. */
static int sq_pkg_path(struct store *s, char buf[PATH_MAX], const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", sq_of(s)->pkgdir, name);
	if (n < 0 || n >= PATH_MAX)
		return store__fail(s, -ENAMETOOLONG, "cannot keep packages in '%s': path too long",
				   sq_of(s)->pkgdir);
	return 0;
}

/* Makes the entries of directory @dir durable: a created, renamed or
 * removed name survives a crash once this returns 0. */
static int sq_fsync_dir(struct store *s, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return store__fail(s, -errno, "cannot open '%s': %s", dir, strerror(errno));
	int rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	if (rc)
		return store__fail(s, rc, "cannot sync '%s': %s", dir, strerror(-rc));
	return 0;
}

/* Creates DIR/packages (0700) unless it exists. */
static int sq_pkgdir_ensure(struct store *s)
{
	struct sq *q = sq_of(s);
	if (mkdir(q->pkgdir, 0700) == 0)
		return sq_fsync_dir(s, q->dir);
	if (errno != EEXIST)
		return store__fail(s, -errno, "cannot create '%s': %s", q->pkgdir, strerror(errno));
	struct stat sb;
	if (lstat(q->pkgdir, &sb) != 0)
		return store__fail(s, -errno, "cannot use '%s': %s", q->pkgdir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return store__fail(s, -ENOTDIR, "cannot use '%s': not a directory", q->pkgdir);
	return 0;
}

static int sq_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len > (1u << 30) ? (1u << 30) : len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int sq__package_put(struct store *s, const char *hash, const void *blob, size_t len)
{
	struct sq *q = sq_of(s);
	char path[PATH_MAX], tmp[PATH_MAX];
	int rc = sq_pkgdir_ensure(s);
	if (!rc)
		rc = sq_pkg_path(s, path, hash);
	if (rc)
		return rc;

	/* Stored already: a new mtime restarts the gc grace period. Under the
	 * write lock, so a gc runs wholly before (and the blob is then written
	 * anew) or wholly after (and sees the new time). */
	rc = sq__tx_begin(s);
	if (rc)
		return rc;
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			rc = store__fail(s, -EIO, "cannot use package '%s': not a regular file", path);
		else if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) != 0)
			rc = store__fail(s, -errno, "cannot touch package '%s': %s", path,
					 strerror(errno));
	} else {
		rc = errno == ENOENT ? -ENOENT
				     : store__fail(s, -errno, "cannot look at package '%s': %s", path,
						   strerror(errno));
	}
	if (rc == 0 || rc == -ENOENT) {
		int crc = sq__tx_commit(s);
		rc = crc ? crc : rc;
	} else {
		sq__tx_rollback(s);
	}
	if (rc != -ENOENT)
		return rc;

	int n = snprintf(tmp, sizeof tmp, "%s/" SQ_PKG_TMP "%s-XXXXXX", q->pkgdir, hash);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return store__fail(s, -ENAMETOOLONG, "cannot keep packages in '%s': path too long",
				   q->pkgdir);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return store__fail(s, -errno, "cannot create a file in '%s': %s", q->pkgdir,
				   strerror(errno));
	/* mkostemp asks for 0600 but the umask could take more away. */
	if (fchmod(fd, 0600) != 0) {
		rc = store__fail(s, -errno, "cannot chmod '%s': %s", tmp, strerror(errno));
		goto fail_fd;
	}
	rc = sq_write_all(fd, blob, len);
	if (rc) {
		store__fail(s, rc, "cannot write '%s': %s", tmp, strerror(-rc));
		goto fail_fd;
	}
	if (fsync(fd) != 0) {
		rc = store__fail(s, -errno, "cannot sync '%s': %s", tmp, strerror(errno));
		goto fail_fd;
	}
	if (close(fd) != 0) {
		rc = store__fail(s, -errno, "cannot write '%s': %s", tmp, strerror(errno));
		goto fail_tmp;
	}
	/* No lock needed: the file was just written, so no gc takes it. */
	if (rename(tmp, path) != 0) {
		rc = store__fail(s, -errno, "cannot rename '%s' to '%s': %s", tmp, path,
				 strerror(errno));
		goto fail_tmp;
	}
	return sq_fsync_dir(s, q->pkgdir);

fail_fd:
	close(fd);
fail_tmp:
	unlink(tmp);
	return rc;
}

static int sq__package_get(struct store *s, const char *hash, void **blob, size_t *len)
{
	char path[PATH_MAX];
	int rc = sq_pkg_path(s, path, hash);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return store__fail(s, -errno, "cannot open package '%s': %s", path, strerror(errno));
	}
	struct stat sb;
	char *buf = NULL;
	if (fstat(fd, &sb) != 0) {
		rc = store__fail(s, -errno, "cannot stat package '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = store__fail(s, -EIO, "cannot read package '%s': not a regular file", path);
		goto out;
	}
	if ((uint64_t)sb.st_size >= SIZE_MAX) {
		rc = store__fail(s, -EFBIG, "cannot read package '%s': too big", path);
		goto out;
	}
	size_t size = (size_t)sb.st_size, got = 0;
	buf = malloc(size ? size : 1);
	if (!buf) {
		rc = store__fail(s, -ENOMEM, "cannot read package '%s': %s", path, strerror(ENOMEM));
		goto out;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			store__fail(s, rc, "cannot read package '%s': %s", path,
				    r < 0 ? strerror(-rc) : "shorter than its size");
			goto out;
		}
		got += (size_t)r;
	}
	*blob = buf;
	*len = size;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int64_t sq_mtime_ms(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

static int sq__packages_gc(struct store *s, int64_t before, uint64_t *removed)
{
	struct sq *q = sq_of(s);
	DIR *d = opendir(q->pkgdir);
	if (!d) {
		if (errno == ENOENT)
			return 0; /* nothing was ever put */
		return store__fail(s, -errno, "cannot open '%s': %s", q->pkgdir, strerror(errno));
	}
	/* The write lock: no publish commits while blobs are judged and removed. */
	int rc = sq__tx_begin(s);
	if (rc)
		goto out;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno)
				rc = store__fail(s, -errno, "cannot read '%s': %s", q->pkgdir,
						 strerror(errno));
			break;
		}
		bool blob = store_package_hash_valid(e->d_name);
		bool tmp = !blob && !strncmp(e->d_name, SQ_PKG_TMP, strlen(SQ_PKG_TMP));
		struct stat sb;
		if (!blob && !tmp)
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode) || sq_mtime_ms(&sb) >= before)
			continue;
		if (blob) {
			sqlite3_stmt *st = NULL;
			int64_t used = 1;
			rc = sq_stmt(s, SQ_PKG_REFERENCED, &st);
			if (rc)
				break;
			sqlite3_bind_text(st, 1, e->d_name, -1, SQLITE_STATIC);
			rc = sq__step(s, st, "cannot collect packages", &used);
			if (rc)
				break;
			if (used)
				continue;
		}
		if (unlinkat(dirfd(d), e->d_name, 0) != 0) {
			if (errno == ENOENT)
				continue; /* another process's gc */
			rc = store__fail(s, -errno, "cannot remove '%s/%s': %s", q->pkgdir, e->d_name,
					 strerror(errno));
			break;
		}
		if (blob)
			(*removed)++;
	}
	rc = sq__tx_end(s, rc);
out:
	closedir(d);
	return rc;
}

/* The operations this file serves (see store_ops). */
#define OPS(X) X(package_put) X(package_get) X(packages_gc)
SQ_OPS_FILL(packages, OPS)
