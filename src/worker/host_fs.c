/* host_fs — see host_fs.h. A flat table of absolute paths: packages are
 * small (10,000 files at most) and a listing is a scan. Directories exist
 * explicitly ("/", "/tmp", every parent of a file is added with it). */
#include "worker/host_fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct vfs_entry {
	char *path;
	enum vfs_type type;
	bool writable;       /* under /tmp */
	char *data;
	size_t len;
	double mtime_ms;
};

struct vfs {
	struct vfs_entry *e;
	size_t n, alloc;
	uint64_t tmp_used, tmp_cap;
	const struct vfs *base;   /* read-only package layer, or NULL */
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)(ts.tv_nsec / 1000000);
}

bool vfs_path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	if (strlen(p) > 4096)
		return false;
	for (const char *s = p; *s; s++) {
		if (*s == '/' && (s[1] == '/' || (s[1] == '.' && (s[2] == '/' || s[2] == '\0' ||
						   (s[2] == '.' && (s[3] == '/' || s[3] == '\0'))))))
			return false;
	}
	return !(strlen(p) > 1 && p[strlen(p) - 1] == '/');
}

static bool under_tmp(const char *p)
{
	return strcmp(p, "/tmp") == 0 || strncmp(p, "/tmp/", 5) == 0;
}

static struct vfs_entry *find_own(const struct vfs *v, const char *path)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->e[i].path, path) == 0)
			return &v->e[i];
	return NULL;
}

/* Own entries first (/tmp and the root), then the package layer. The
 * result may be a base entry: callers that write check `writable`, which
 * base entries never are. */
static struct vfs_entry *find(const struct vfs *v, const char *path)
{
	struct vfs_entry *e = find_own(v, path);
	if (!e && v->base)
		e = find_own(v->base, path);
	return e;
}

static struct vfs_entry *add(struct vfs *v, const char *path, enum vfs_type t, bool writable, double mtime)
{
	if (v->n == v->alloc) {
		size_t na = v->alloc ? v->alloc * 2 : 16;
		struct vfs_entry *ne = realloc(v->e, na * sizeof *ne);
		if (!ne)
			return NULL;
		v->e = ne;
		v->alloc = na;
	}
	struct vfs_entry *e = &v->e[v->n];
	memset(e, 0, sizeof *e);
	e->path = strdup(path);
	if (!e->path)
		return NULL;
	e->type = t;
	e->writable = writable;
	e->mtime_ms = mtime;
	v->n++;
	return e;
}

/* Adds every missing parent directory of path. */
static int add_parents(struct vfs *v, const char *path, bool writable, double mtime)
{
	char buf[4097];
	size_t len = strlen(path);
	if (len >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *s = strrchr(buf, '/'); s && s > buf; s = strrchr(buf, '/')) {
		*s = '\0';
		struct vfs_entry *e = find(v, buf);
		if (e)
			return e->type == VFS_DIR ? 0 : -ENOTDIR;
		if (!add(v, buf, VFS_DIR, writable, mtime))
			return -ENOMEM;
	}
	return 0;
}

struct vfs *vfs_new(uint64_t tmp_cap)
{
	struct vfs *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->tmp_cap = tmp_cap;
	double t = now_ms();
	if (!add(v, "/", VFS_DIR, false, t) || !add(v, "/tmp", VFS_DIR, true, t)) {
		vfs_free(v);
		return NULL;
	}
	return v;
}

struct vfs *vfs_new_over(const struct vfs *base, uint64_t tmp_cap)
{
	struct vfs *v = vfs_new(tmp_cap);
	if (v)
		v->base = base;
	return v;
}

void vfs_free(struct vfs *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->e[i].path);
		free(v->e[i].data);
	}
	free(v->e);
	free(v);
}

int vfs_add_package_file(struct vfs *v, const char *path, const void *data, size_t n, double mtime)
{
	if (!vfs_path_ok(path) || under_tmp(path))
		return -EINVAL;
	if (find(v, path))
		return -EEXIST;
	int rc = add_parents(v, path, false, mtime);
	if (rc)
		return rc;
	struct vfs_entry *e = add(v, path, VFS_FILE, false, mtime);
	if (!e)
		return -ENOMEM;
	e->data = malloc(n ? n : 1);
	if (!e->data)
		return -ENOMEM;
	memcpy(e->data, data, n);
	e->len = n;
	return 0;
}

int vfs_stat(const struct vfs *v, const char *path, struct vfs_stat *st)
{
	if (!vfs_path_ok(path))
		return -ENOENT;
	const struct vfs_entry *e = find(v, path);
	if (!e)
		return -ENOENT;
	st->type = e->type;
	st->size = e->type == VFS_FILE ? e->len : 4096;
	st->mtime_ms = e->mtime_ms;
	return 0;
}

const void *vfs_read(const struct vfs *v, const char *path, size_t *n)
{
	if (!vfs_path_ok(path))
		return NULL;
	const struct vfs_entry *e = find(v, path);
	if (!e || e->type != VFS_FILE)
		return NULL;
	*n = e->len;
	return e->data ? e->data : "";
}

int vfs_list(const struct vfs *v, const char *path, void (*cb)(void *ud, const char *name), void *ud)
{
	if (!vfs_path_ok(path))
		return -ENOENT;
	const struct vfs_entry *d = find(v, path);
	if (!d)
		return -ENOENT;
	if (d->type != VFS_DIR)
		return -ENOTDIR;
	size_t pl = strcmp(path, "/") == 0 ? 0 : strlen(path);
	for (const struct vfs *layer = v; layer; layer = layer->base) {
		for (size_t i = 0; i < layer->n; i++) {
			const char *p = layer->e[i].path;
			if (strncmp(p, path, pl) || p[pl] != '/' || !p[pl + 1])
				continue;
			if (strchr(p + pl + 1, '/'))
				continue;
			if (layer != v && find_own(v, p))
				continue; /* "/" and "/tmp" exist in both layers */
			cb(ud, p + pl + 1);
		}
	}
	return 0;
}

int vfs_write(struct vfs *v, const char *path, const void *data, size_t n, bool append)
{
	if (!vfs_path_ok(path))
		return -ENOENT;
	if (!under_tmp(path) || strcmp(path, "/tmp") == 0)
		return strcmp(path, "/tmp") == 0 ? -EISDIR : -EROFS;
	struct vfs_entry *e = find(v, path);
	if (e && e->type == VFS_DIR)
		return -EISDIR;
	if (!e) {
		/* Like open(2): the parent must exist. */
		char parent[4097];
		snprintf(parent, sizeof parent, "%s", path);
		*strrchr(parent, '/') = '\0';
		const struct vfs_entry *pe = find(v, parent[0] ? parent : "/");
		if (!pe)
			return -ENOENT;
		if (pe->type != VFS_DIR)
			return -ENOTDIR;
	}
	size_t old = e ? e->len : 0;
	size_t newlen = append ? old + n : n;
	uint64_t used = v->tmp_used - old + newlen;
	if (used > v->tmp_cap)
		return -ENOSPC;
	if (!e && !(e = add(v, path, VFS_FILE, true, now_ms())))
		return -ENOMEM;
	char *nd = realloc(e->data, newlen ? newlen : 1);
	if (!nd)
		return -ENOMEM;
	if (append)
		memcpy(nd + old, data, n);
	else
		memcpy(nd, data, n);
	e->data = nd;
	e->len = newlen;
	e->mtime_ms = now_ms();
	v->tmp_used = used;
	return 0;
}

int vfs_remove(struct vfs *v, const char *path)
{
	if (!vfs_path_ok(path))
		return -ENOENT;
	struct vfs_entry *e = find(v, path);
	if (!e)
		return -ENOENT;
	if (!e->writable || strcmp(path, "/tmp") == 0 || e != find_own(v, path))
		return -EROFS;
	if (e->type == VFS_DIR) {
		size_t pl = strlen(path);
		for (size_t i = 0; i < v->n; i++)
			if (strncmp(v->e[i].path, path, pl) == 0 && v->e[i].path[pl] == '/')
				return -ENOTEMPTY;
	}
	v->tmp_used -= e->len;
	free(e->path);
	free(e->data);
	*e = v->e[--v->n];
	return 0;
}

int vfs_mkdir(struct vfs *v, const char *path)
{
	if (!vfs_path_ok(path))
		return -ENOENT;
	if (!under_tmp(path))
		return find(v, path) ? -EEXIST : -EROFS;
	if (find(v, path))
		return -EEXIST;
	char parent[4097];
	snprintf(parent, sizeof parent, "%s", path);
	*strrchr(parent, '/') = '\0';
	const struct vfs_entry *pe = find(v, parent);
	if (!pe)
		return -ENOENT;
	if (pe->type != VFS_DIR)
		return -ENOTDIR;
	return add(v, path, VFS_DIR, true, now_ms()) ? 0 : -ENOMEM;
}
