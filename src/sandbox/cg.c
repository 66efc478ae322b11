/* cg — see cg.h. */
#include "sandbox/cg.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[CG_PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static int read_file(const char *dir, const char *file, char *out, size_t n)
{
	char path[CG_PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t r = read(fd, out, n - 1);
	int err = r < 0 ? -errno : 0;
	close(fd);
	out[r > 0 ? r : 0] = '\0';
	return err;
}

static uint64_t read_u64(const char *dir, const char *file)
{
	char tmp[64];
	if (read_file(dir, file, tmp, sizeof tmp))
		return 0;
	return strtoull(tmp, NULL, 10);
}

/* The value after "key " in a "key value" per line file. */
static uint64_t read_keyed(const char *dir, const char *file, const char *key)
{
	char tmp[2048];
	if (read_file(dir, file, tmp, sizeof tmp))
		return 0;
	size_t kl = strlen(key);
	for (char *p = tmp; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	return 0;
}

/* This process's path in hierarchy `ctrl` ("" for v2's unified line). */
static int self_cgroup(const char *ctrl, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	char line[1024];
	int rc = -ENOENT;
	while (fgets(line, sizeof line, f)) {
		char *a = strchr(line, ':');
		char *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		*b = '\0';
		const char *ctrls = a + 1;
		bool match = ctrl[0] == '\0' ? ctrls[0] == '\0' : false;
		if (ctrl[0]) {
			char *save = NULL, *dup = strdup(ctrls);
			for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
				if (strcmp(t, ctrl) == 0)
					match = true;
			free(dup);
		}
		if (match) {
			b[strcspn(b + 1, "\n") + 1] = '\0';
			snprintf(out, n, "%s", b + 1);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Removes the cgroups of corral processes that are gone (a `corral run`
 * does not wait for its killed worker to be torn down: the next one to
 * start sweeps what it left). Only "corral-<pid>" directories whose pid no
 * longer exists, and only their empty children. */
static void sweep_stale(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		int pid;
		char rest;
		if (sscanf(de->d_name, "corral-%d%c", &pid, &rest) != 1 || pid <= 0 || pid == getpid())
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[CG_PATH_MAX + 300];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		DIR *c = opendir(path);
		if (c) {
			struct dirent *ce;
			while ((ce = readdir(c))) {
				if (ce->d_name[0] == '.' || ce->d_type != DT_DIR)
					continue;
				char sub[CG_PATH_MAX + 600];
				snprintf(sub, sizeof sub, "%s/%s", path, ce->d_name);
				rmdir(sub); /* fails, harmlessly, while a process is still in it */
			}
			closedir(c);
		}
		rmdir(path);
	}
	closedir(d);
}

static int make_parent(char *out, size_t n, const char *mount, const char *self)
{
	char dir[CG_PATH_MAX];
	snprintf(dir, sizeof dir, "%s%s", mount, strcmp(self, "/") == 0 ? "" : self);
	sweep_stale(dir);
	int len = snprintf(out, n, "%s/corral-%d", dir, (int)getpid());
	if (len < 0 || (size_t)len >= n)
		return -ENAMETOOLONG;
	if (mkdir(out, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int open_v2(struct cg_root *root)
{
	char self[CG_PATH_MAX], ctl[256];
	const char *mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	if (self_cgroup("", self, sizeof self))
		return -ENOENT;
	for (size_t i = 0; i < 2; i++) {
		char dir[CG_PATH_MAX];
		snprintf(dir, sizeof dir, "%s%s", mounts[i], strcmp(self, "/") == 0 ? "" : self);
		if (read_file(dir, "cgroup.controllers", ctl, sizeof ctl) || !strstr(ctl, "memory"))
			continue;
		/* A v2 parent that holds processes cannot enable controllers for
		 * children ("no internal processes"): we only use it when we can. */
		if (make_parent(root->mem, sizeof root->mem, mounts[i], self))
			continue;
		if (write_file(dir, "cgroup.subtree_control", "+memory +pids") &&
		    write_file(dir, "cgroup.subtree_control", "+memory")) {
			rmdir(root->mem);
			continue;
		}
		if (write_file(root->mem, "cgroup.subtree_control", "+memory +pids") &&
		    write_file(root->mem, "cgroup.subtree_control", "+memory")) {
			rmdir(root->mem);
			continue;
		}
		snprintf(root->pids, sizeof root->pids, "%s", root->mem);
		root->version = 2;
		return 0;
	}
	return -ENOENT;
}

static int open_v1(struct cg_root *root)
{
	char self[CG_PATH_MAX];
	if (self_cgroup("memory", self, sizeof self))
		return -ENOENT;
	int rc = make_parent(root->mem, sizeof root->mem, "/sys/fs/cgroup/memory", self);
	if (rc)
		return rc;
	/* Make sure limits can be written here at all. */
	char probe[CG_PATH_MAX + 16];
	snprintf(probe, sizeof probe, "%s/probe", root->mem);
	if (mkdir(probe, 0755) < 0 && errno != EEXIST) {
		rc = -errno;
		rmdir(root->mem);
		return rc;
	}
	rc = write_file(probe, "memory.limit_in_bytes", "67108864");
	rmdir(probe);
	if (rc) {
		rmdir(root->mem);
		return rc;
	}
	root->pids[0] = '\0';
	if (self_cgroup("pids", self, sizeof self) == 0 &&
	    make_parent(root->pids, sizeof root->pids, "/sys/fs/cgroup/pids", self) != 0)
		root->pids[0] = '\0';
	root->version = 1;
	return 0;
}

int cg_root_open(struct cg_root *root)
{
	memset(root, 0, sizeof *root);
	if (open_v2(root) == 0)
		return 0;
	memset(root, 0, sizeof *root);
	if (open_v1(root) == 0)
		return 0;
	memset(root, 0, sizeof *root);
	return -ENOTSUP;
}

void cg_root_close(struct cg_root *root)
{
	if (!root->version)
		return;
	rmdir(root->mem);
	if (root->version == 1 && root->pids[0])
		rmdir(root->pids);
	root->version = 0;
}

void cg_root_describe(const struct cg_root *root, char *out, size_t n)
{
	if (root->version == 2)
		snprintf(out, n, "v2 memory+pids");
	else if (root->version == 1)
		snprintf(out, n, "v1 memory%s", root->pids[0] ? "+pids" : "");
	else
		snprintf(out, n, "none (rss-polling fallback)");
}

int cg_worker_create(const struct cg_root *root, const char *name, uint64_t mem_bytes,
		     unsigned pids_max, struct cg_worker *w)
{
	char tmp[32];
	memset(w, 0, sizeof *w);
	w->fd_peak = w->fd_oom = -1;
	if (!root->version)
		return -ENOTSUP;
	w->version = root->version;
	if (strlen(root->mem) + strlen(name) + 2 > sizeof w->mem)
		return -ENAMETOOLONG;
	memcpy(w->mem, root->mem, strlen(root->mem));
	w->mem[strlen(root->mem)] = '/';
	strcpy(w->mem + strlen(root->mem) + 1, name);
	if (mkdir(w->mem, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (root->pids[0]) {
		if (strlen(root->pids) + strlen(name) + 2 > sizeof w->pids)
			return -ENAMETOOLONG;
		memcpy(w->pids, root->pids, strlen(root->pids));
		w->pids[strlen(root->pids)] = '/';
		strcpy(w->pids + strlen(root->pids) + 1, name);
		if (root->version == 1 && mkdir(w->pids, 0755) < 0 && errno != EEXIST)
			w->pids[0] = '\0';
	}
	int rc = cg_worker_set_memory(w, mem_bytes);
	if (rc) {
		cg_worker_destroy(w);
		return rc;
	}
	if (w->pids[0]) {
		snprintf(tmp, sizeof tmp, "%u", pids_max);
		write_file(w->pids, "pids.max", tmp);
	}
	char path[CG_PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", w->mem, w->version == 2 ? "memory.peak" : "memory.max_usage_in_bytes");
	w->fd_peak = open(path, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof path, "%s/%s", w->mem, w->version == 2 ? "memory.events" : "memory.oom_control");
	w->fd_oom = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

static ssize_t pread_all(int fd, char *out, size_t n)
{
	ssize_t r = pread(fd, out, n - 1, 0);
	out[r > 0 ? r : 0] = '\0';
	return r;
}

static uint64_t keyed_in(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
			return strtoull(p + kl + 1, NULL, 10);
	return 0;
}

int cg_worker_set_memory(const struct cg_worker *w, uint64_t bytes)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%" PRIu64, bytes);
	if (w->version == 2) {
		/* v2 would reclaim, then OOM-kill the worker, where v1 answers
		 * EBUSY: the same answer for both. */
		if (read_u64(w->mem, "memory.current") > bytes)
			return -EBUSY;
		write_file(w->mem, "memory.swap.max", "0");
		return write_file(w->mem, "memory.max", tmp);
	}
	/* memsw must stay >= the limit: raise order depends on direction. */
	int rc = write_file(w->mem, "memory.limit_in_bytes", tmp);
	write_file(w->mem, "memory.memsw.limit_in_bytes", tmp);
	if (rc)
		rc = write_file(w->mem, "memory.limit_in_bytes", tmp);
	return rc;
}

int cg_worker_attach(const struct cg_worker *w, pid_t pid)
{
	char tmp[24];
	snprintf(tmp, sizeof tmp, "%d", (int)pid);
	int rc = write_file(w->mem, "cgroup.procs", tmp);
	if (!rc && w->version == 1 && w->pids[0])
		rc = write_file(w->pids, "cgroup.procs", tmp);
	return rc;
}

uint64_t cg_worker_oom_kills(const struct cg_worker *w)
{
	char tmp[2048];
	if (w->fd_oom >= 0 && pread_all(w->fd_oom, tmp, sizeof tmp) > 0)
		return keyed_in(tmp, "oom_kill");
	if (w->version == 2)
		return read_keyed(w->mem, "memory.events", "oom_kill");
	if (w->version == 1)
		return read_keyed(w->mem, "memory.oom_control", "oom_kill");
	return 0;
}

uint64_t cg_worker_peak(const struct cg_worker *w)
{
	char tmp[64];
	if (w->fd_peak >= 0 && pread_all(w->fd_peak, tmp, sizeof tmp) > 0)
		return strtoull(tmp, NULL, 10);
	if (w->version == 2)
		return read_u64(w->mem, "memory.peak");
	if (w->version == 1)
		return read_u64(w->mem, "memory.max_usage_in_bytes");
	return 0;
}

void cg_worker_reset_peak(const struct cg_worker *w)
{
	if (w->fd_peak >= 0 && pwrite(w->fd_peak, "0", 1, 0) == 1)
		return;
	if (w->version == 2)
		write_file(w->mem, "memory.peak", "0");
	else if (w->version == 1)
		write_file(w->mem, "memory.max_usage_in_bytes", "0");
}

void cg_worker_destroy(struct cg_worker *w)
{
	if (!w->version)
		return;
	if (w->fd_peak >= 0)
		close(w->fd_peak);
	if (w->fd_oom >= 0)
		close(w->fd_oom);
	w->fd_peak = w->fd_oom = -1;
	/* A just-killed task can linger for a moment; v1 answers EBUSY then. */
	for (int i = 0; i < 200 && rmdir(w->mem) < 0 && errno == EBUSY; i++)
		usleep(1000);
	if (w->version == 1 && w->pids[0])
		for (int i = 0; i < 200 && rmdir(w->pids) < 0 && errno == EBUSY; i++)
			usleep(1000);
	w->version = 0;
}
