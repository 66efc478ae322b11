/* rlimit — see rlimit.h. */
#include "sandbox/rlimit.h"

#include <errno.h>
#include <stddef.h>
#include <sys/resource.h>

/* The escapes each limit closes are beside it. */
int rlimit_apply_worker(uint64_t cpu_s)
{
	const struct { int res; rlim_t soft, hard; } limits[] = {
		/* Core dumps would write the worker's memory (other executions'
		 * data in a tenant-bound worker) to disk. */
		{ RLIMIT_CORE, 0, 0 },
		/* No file may grow: the worker has nothing to write to. */
		{ RLIMIT_FSIZE, 0, 0 },
		/* A handful of fds: the socket, JSC's own few. */
		{ RLIMIT_NOFILE, 64, 64 },
		/* JSC's threads; no processes (seccomp refuses fork anyway).
		 * Counted per uid, and each worker has its own. */
		{ RLIMIT_NPROC, 256, 256 },
		/* Locked memory would escape reclaim. */
		{ RLIMIT_MEMLOCK, 0, 0 },
		{ RLIMIT_MSGQUEUE, 0, 0 },
	};
	for (unsigned i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		struct rlimit rl = { limits[i].soft, limits[i].hard };
		if (setrlimit(limits[i].res, &rl) < 0)
			return -errno;
	}
	return cpu_s ? rlimit_set_cpu(0, cpu_s) : 0;
}

/* SIGXCPU at the soft limit, SIGKILL one second later. pid 0: ourselves. */
int rlimit_set_cpu(pid_t pid, uint64_t cpu_s)
{
	struct rlimit rl = { (rlim_t)cpu_s, (rlim_t)cpu_s + 1 };
	return prlimit(pid, RLIMIT_CPU, &rl, NULL) < 0 ? -errno : 0;
}
