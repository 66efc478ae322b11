/* rlimit — resource limits as backstops behind the cgroup and deadlines. */
#ifndef CORRAL_RLIMIT_H
#define CORRAL_RLIMIT_H

#include <stdint.h>
#include <sys/types.h>

/* Applies the worker's limits to the calling process (between clone and
 * exec: async-signal-safe). cpu_s is the CPU-seconds backstop (0: none).
 * Returns 0 or -errno. */
int rlimit_apply_worker(uint64_t cpu_s);
/* From the supervisor: sets pid's CPU backstop (RLIMIT_CPU) to cpu_s more
 * than it has used. Returns 0 or -errno. */
int rlimit_set_cpu(pid_t pid, uint64_t cpu_s);

#endif
