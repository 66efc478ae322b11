/* spawn — start a worker: clone into namespaces, join its cgroup, set its
 * rlimits, exec the corral binary in the `worker` role.
 *
 * The worker is a fresh exec of our own binary, so nothing of the
 * supervisor's memory (keys, other tenants' data, database handles) is in
 * it; the only fd it inherits is its end of a socketpair, as fd 3. An exec
 * failure comes back through a CLOEXEC pipe as its errno (libuv's way). */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/cg.h"
#include "sandbox/sandbox.h"

#define SPAWN_WORKER_FD 3

struct spawn_opts {
	const char *exe;                      /* path of the corral binary */
	int ns_flags;                         /* 0: no namespaces */
	const struct cg_worker *cg;           /* NULL: no cgroup */
	const struct sandbox_inside *inside;
	bool jit;
	bool warm_full;                       /* see engine_warm */
	bool wasm;                            /* --wasm=1: WebAssembly on in the worker's VM */
	bool rlimits;
	uint64_t cpu_s;                       /* RLIMIT_CPU backstop; 0: none */
	int stderr_fd;                        /* the worker's fd 2; -1: ours */
};

struct spawn_child {
	pid_t pid;
	int pidfd; /* -1 if the kernel gave none */
	int fd;    /* our end of the socketpair, CLOEXEC, blocking */
};

/* Returns 0 or -errno (the child's exec errno if exec failed). */
int spawn_worker(const struct spawn_opts *o, struct spawn_child *out);

/* The path of the running binary, resolved once. */
const char *spawn_self_exe(void);
/* The worker program: corral-worker beside the running binary. */
const char *spawn_worker_exe(void);
/* An fd of the worker program, opened once (CLOEXEC; exec'd with
 * execveat), or -1 when it is missing. */
int spawn_self_fd(void);

#endif
