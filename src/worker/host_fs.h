/* host_fs — the file system an execution sees: its package, read-only,
 * rooted at "/", and "/tmp", writable, in memory, private to the execution
 * and capped (CORRAL_TMP_MB: the specification's disk limit).
 *
 * Nothing here touches the host's file system: the package arrives as bytes
 * over IPC and lives in the worker's memory; /tmp is freed when the
 * execution ends. Paths are absolute, normalized by the caller's JS side
 * and checked again here ("..", NUL and relative paths are refused). */
#ifndef CORRAL_HOST_FS_H
#define CORRAL_HOST_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vfs;

enum vfs_type { VFS_NONE = 0, VFS_FILE, VFS_DIR };

struct vfs_stat {
	enum vfs_type type;
	uint64_t size;
	double mtime_ms;
};

/* tmp_cap: bytes /tmp may hold. Caller frees with vfs_free. */
struct vfs *vfs_new(uint64_t tmp_cap);
/* A vfs whose package is base's (borrowed: base must outlive it, and is
 * never written through it), with a /tmp of its own: an invocation's view
 * of a function's package. */
struct vfs *vfs_new_over(const struct vfs *base, uint64_t tmp_cap);
void vfs_free(struct vfs *v);
/* Adds a read-only package file (the package loader; not reachable from JS).
 * Copies data. Returns 0 or -errno. */
int vfs_add_package_file(struct vfs *v, const char *path, const void *data, size_t n, double mtime_ms);
/* Lookups. read returns a borrowed pointer valid until the next write. */
int vfs_stat(const struct vfs *v, const char *path, struct vfs_stat *st);
const void *vfs_read(const struct vfs *v, const char *path, size_t *n);
/* Calls cb for each direct child name of the directory; -ENOENT/-ENOTDIR. */
int vfs_list(const struct vfs *v, const char *path, void (*cb)(void *ud, const char *name), void *ud);
/* Writes: only under /tmp. -EROFS elsewhere, -ENOSPC past the cap. */
int vfs_write(struct vfs *v, const char *path, const void *data, size_t n, bool append);
int vfs_remove(struct vfs *v, const char *path);
int vfs_mkdir(struct vfs *v, const char *path);
/* true for "/", "/a/b" style paths without ".", "..", "//" or NUL. */
bool vfs_path_ok(const char *path);

#endif
