/* spawn — see spawn.h. Between clone and exec the child runs only
 * async-signal-safe calls: the supervisor may have threads. */
#include "sandbox/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/rlimit.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

const char *spawn_self_exe(void)
{
	static char path[PATH_MAX];
	if (!path[0]) {
		ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
		if (n <= 0)
			snprintf(path, sizeof path, "/proc/self/exe");
		else
			path[n] = '\0';
	}
	return path;
}

#ifndef CORRAL_WORKER_NAME
#define CORRAL_WORKER_NAME "corral-worker"
#endif

const char *spawn_worker_exe(void)
{
	static char path[PATH_MAX];
	if (!path[0]) {
		const char *self = spawn_self_exe();
		const char *slash = strrchr(self, '/');
		size_t dl = slash ? (size_t)(slash - self) : 0;
		snprintf(path, sizeof path, "%.*s/%s", (int)dl, self, CORRAL_WORKER_NAME);
	}
	return path;
}

int spawn_self_fd(void)
{
	static int fd = -2;
	if (fd == -2)
		fd = open(spawn_worker_exe(), O_RDONLY | O_CLOEXEC);
	return fd;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int rc = n < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* As a non-root user in a new user namespace, map our ids to 0 inside. */
static int map_ids(pid_t pid)
{
	char path[64], map[64];
	snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
	write_str(path, "deny");
	snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof map, "0 %d 1\n", (int)geteuid());
	int rc = write_str(path, map);
	if (rc)
		return rc;
	snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof map, "0 %d 1\n", (int)getegid());
	return write_str(path, map);
}

static void child_fail(int errfd, int err)
{
	ssize_t unused = write(errfd, &err, sizeof err);
	(void)unused;
	_exit(127);
}

static int spawn(const struct spawn_opts *o, struct spawn_child *out, int shm)
{
	int sv[2], errp[2], gate[2] = { -1, -1 };
	char a_layers[32], a_uid[32], a_gid[32], a_jit[16], a_userns[16], a_warm[16], a_wasm[16];
	int rc;

	snprintf(a_layers, sizeof a_layers, "--layers=%u", o->inside->layers);
	snprintf(a_uid, sizeof a_uid, "--uid=%u", (unsigned)o->inside->uid);
	snprintf(a_gid, sizeof a_gid, "--gid=%u", (unsigned)o->inside->gid);
	snprintf(a_jit, sizeof a_jit, "--jit=%d", o->jit ? 1 : 0);
	snprintf(a_userns, sizeof a_userns, "--userns=%d", (o->ns_flags & CLONE_NEWUSER) ? 1 : 0);
	snprintf(a_warm, sizeof a_warm, "--warm=%d", o->warm_full ? 1 : 0);
	snprintf(a_wasm, sizeof a_wasm, "--wasm=%d", o->wasm ? 1 : 0);
	char *const argv[] = { (char *)o->exe, "worker", a_layers, a_uid, a_gid, a_jit, a_userns, a_warm, a_wasm, NULL };
	/* The worker's whole environment: nothing of ours leaks into it.
	 * Sanitizer builds pass their runtime options on, for the tests. */
	char *envp[6] = { "TZ=UTC", "LC_ALL=C.UTF-8", NULL };
#if defined(__SANITIZE_ADDRESS__)
	char asan[512], ubsan[512];
	size_t ne = 2;
	if (getenv("ASAN_OPTIONS")) {
		snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s", getenv("ASAN_OPTIONS"));
		envp[ne++] = asan;
	}
	if (getenv("UBSAN_OPTIONS")) {
		snprintf(ubsan, sizeof ubsan, "UBSAN_OPTIONS=%s", getenv("UBSAN_OPTIONS"));
		envp[ne++] = ubsan;
	}
	envp[ne] = NULL;
#endif

	if (spawn_self_fd() < 0)
		return -ENOENT; /* corral-worker is not installed beside corral */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;

	if (pipe2(errp, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail_pipe;
	}
	if ((o->ns_flags & CLONE_NEWUSER) && pipe2(gate, O_CLOEXEC) < 0) {
		rc = -errno;
		goto fail_gate;
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		rc = -errno;
		goto fail_devnull;
	}

	int pidfd = -1;
	unsigned long flags = (unsigned long)o->ns_flags | CLONE_PIDFD | SIGCHLD;
	long pid = syscall(SYS_clone, flags, NULL, &pidfd, NULL, 0);
	if (pid < 0 && (errno == EINVAL || errno == EPERM)) {
		/* Older kernels (and valgrind) refuse CLONE_PIDFD. */
		flags &= ~(unsigned long)CLONE_PIDFD;
		pidfd = -1;
		pid = syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
	}
	if (pid < 0) {
		rc = -errno;
		goto fail_clone;
	}
	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* The worker dies with its supervisor. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (gate[0] >= 0) {
			char c;
			if (read(gate[0], &c, 1) != 1)
				child_fail(errp[1], ECHILD);
		}
		if (o->rlimits && (rc = rlimit_apply_worker(o->cpu_s)) != 0)
			child_fail(errp[1], -rc);
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			child_fail(errp[1], errno);
		if (o->stderr_fd >= 0 && dup2(o->stderr_fd, 2) < 0)
			child_fail(errp[1], errno);
		if (sv[1] == SPAWN_WORKER_FD) {
			if (fcntl(sv[1], F_SETFD, 0) < 0)
				child_fail(errp[1], errno);
		} else if (dup2(sv[1], SPAWN_WORKER_FD) < 0) {
			child_fail(errp[1], errno);
		}
		if (shm >= 0 ? dup2(shm, SPAWN_SHARED_FD) < 0 : (close(SPAWN_SHARED_FD), false))
			child_fail(errp[1], errno);
		/* Everything above fd 4 closes at exec (the error pipe included,
		 * which is how the parent learns exec worked). */
		syscall(SYS_close_range, SPAWN_SHARED_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC);
		/* The worker program as it was when the supervisor started, even
		 * if the file was replaced since (a rebuild, an upgrade): its fd,
		 * opened once, not its path. */
		int self = spawn_self_fd();
		if (self >= 0)
			syscall(SYS_execveat, self, "", argv, envp, AT_EMPTY_PATH);
		execve(o->exe, argv, envp);
		child_fail(errp[1], errno);
	}

	close(devnull);
	close(sv[1]);
	close(errp[1]);
	/* Into its cgroup while it execs (see cg_worker_attach). It runs only
	 * our own code until the supervisor sends an EXEC, which comes after. */
	if (o->cg && (rc = cg_worker_attach(o->cg, (pid_t)pid)) != 0) {
		kill((pid_t)pid, SIGKILL);
		waitpid((pid_t)pid, NULL, 0);
		close(errp[0]);
		close(sv[0]);
		if (gate[1] >= 0) {
			close(gate[0]);
			close(gate[1]);
		}
		if (pidfd >= 0)
			close(pidfd);
		return rc;
	}
	if (gate[1] >= 0) {
		close(gate[0]);
		rc = map_ids((pid_t)pid);
		if (rc == 0 && write(gate[1], "g", 1) != 1)
			rc = -EPIPE;
		close(gate[1]);
		if (rc) {
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, 0);
			close(errp[0]);
			close(sv[0]);
			if (pidfd >= 0)
				close(pidfd);
			return rc;
		}
	}
	int child_err = 0;
	ssize_t n;
	do
		n = read(errp[0], &child_err, sizeof child_err);
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == sizeof child_err) {
		waitpid((pid_t)pid, NULL, 0);
		close(sv[0]);
		if (pidfd >= 0)
			close(pidfd);
		return -child_err;
	}
	out->pid = (pid_t)pid;
	out->pidfd = pidfd;
	out->fd = sv[0];
	return 0;

fail_clone:
	close(devnull);
fail_devnull:
	if (gate[0] >= 0) {
		close(gate[0]);
		close(gate[1]);
	}
fail_gate:
	close(errp[0]);
	close(errp[1]);
fail_pipe:
	close(sv[0]);
	close(sv[1]);
	return rc;
}

int spawn_worker(const struct spawn_opts *o, struct spawn_child *out)
{
	/* The shared page; without it (no memfd) the worker runs all the
	 * same, and the supervisor knows less when it dies. */
	struct spawn_shared *shared = NULL;
	int shm = memfd_create("corral-shared", MFD_CLOEXEC);
	if (shm >= 0 && ftruncate(shm, sizeof *shared) == 0) {
		void *m = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
		shared = m == MAP_FAILED ? NULL : m;
	}
	if (!shared && shm >= 0) {
		close(shm);
		shm = -1;
	}
	int rc = spawn(o, out, shm);
	if (shm >= 0)
		close(shm);
	if (rc && shared)
		munmap(shared, sizeof *shared);
	out->shared = rc ? NULL : shared;
	return rc;
}
