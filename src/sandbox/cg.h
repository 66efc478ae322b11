/* cg — a cgroup per worker: a hard memory cap, a pids cap, OOM detection.
 *
 * cgroup v2 (memory.max, pids.max, memory.events, memory.peak) where the
 * unified hierarchy has the memory controller for us; else v1 (the memory
 * and pids hierarchies: memory.limit_in_bytes, memory.oom_control,
 * memory.max_usage_in_bytes, pids.max). Each worker gets its own directory
 * under a parent named for this corral process, below the cgroup corral was
 * started in. Where neither is writable, cg_root_open fails and the caller
 * falls back to polling RSS, and says so. */
#ifndef CORRAL_CG_H
#define CORRAL_CG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CG_PATH_MAX 512

struct cg_root {
	int version;               /* 1 or 2; 0 when unusable */
	char mem[CG_PATH_MAX];     /* v1 memory parent, or the v2 parent */
	char pids[CG_PATH_MAX];    /* v1 pids parent ("" when absent); v2: same as mem */
};

struct cg_worker {
	int version;
	char mem[CG_PATH_MAX];
	char pids[CG_PATH_MAX];
	/* Kept open: read on every execution (kernfs path walks cost more
	 * than the reads). Owned by whoever destroys the cgroup; a copy of
	 * the struct borrows them. */
	int fd_peak;   /* memory.max_usage_in_bytes | memory.peak, read-write */
	int fd_oom;    /* memory.oom_control | memory.events */
};

/* Finds a writable hierarchy and creates this process's parent cgroup.
 * Returns 0 or -errno. */
int cg_root_open(struct cg_root *root);
/* Removes the parent (after every worker's own is gone). */
void cg_root_close(struct cg_root *root);
void cg_root_describe(const struct cg_root *root, char *out, size_t n);

/* Creates the worker's cgroup with its caps. Returns 0 or -errno. */
int cg_worker_create(const struct cg_root *root, const char *name, uint64_t mem_bytes,
		     unsigned pids_max, struct cg_worker *w);
/* Moves pid into w. The first move into a new v1 cgroup costs 10-30 ms
 * here (the kernel builds its css_set), so the supervisor does it while the
 * new worker execs and starts its engine, before it sends any code. */
int cg_worker_attach(const struct cg_worker *w, pid_t pid);
/* Sets the memory cap. -EBUSY when the cgroup holds more than bytes now
 * (v1's answer; v2 is asked first rather than left to OOM-kill). */
int cg_worker_set_memory(const struct cg_worker *w, uint64_t bytes);
/* OOM kills so far in this cgroup (v1 oom_control oom_kill, v2 memory.events). */
uint64_t cg_worker_oom_kills(const struct cg_worker *w);
uint64_t cg_worker_peak(const struct cg_worker *w);
void cg_worker_reset_peak(const struct cg_worker *w);
/* Removes the cgroup; the worker must be dead. */
void cg_worker_destroy(struct cg_worker *w);

#endif
