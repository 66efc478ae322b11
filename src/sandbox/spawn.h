/* spawn — start a worker: clone into namespaces, join its cgroup, set its
 * rlimits, exec the corral binary in the `worker` role.
 *
 * The worker is a fresh exec of our own binary, so nothing of the
 * supervisor's memory (keys, other tenants' data, database handles) is in
 * it; the only fds it inherits are its end of a socketpair, as fd 3, and
 * the memfd of the page it shares with the supervisor, as fd 4. An exec
 * failure comes back through a CLOEXEC pipe as its errno (libuv's way). */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/cg.h"
#include "sandbox/sandbox.h"

#define SPAWN_WORKER_FD 3
#define SPAWN_SHARED_FD 4

/* A page the supervisor and one worker share: a memfd the worker maps (at
 * fd SPAWN_SHARED_FD) before its sandbox closes. The worker writes it with
 * plain stores, no system call; the supervisor reads it when the worker
 * dies. It is the worker's word, trusted only about the worker's own
 * executions: a lie can at worst get one of them run once more. */
struct spawn_shared {
	uint64_t seen_slot;   /* the last EXEC the worker took off its socket */
	uint64_t turn_slot;   /* the execution whose turn runs now; 0: none */
	/* Written by the supervisor: an execution to stop (as a CANCEL frame
	 * says too), seen by the worker's watchdog inside a long turn. */
	uint64_t cancel_slot;
};

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
	struct spawn_shared *shared; /* mapped page (munmap sizeof *shared), or NULL */
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
