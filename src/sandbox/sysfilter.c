/* sysfilter — see sysfilter.h. The list was derived with `strace -f` on a
 * locked-down worker running JIT code, GC, regexps, Intl, timers and large
 * allocations (see docs/internals/sandbox.md); each entry says why it is
 * there, and each refusal below says what escape it closes. */
#include "sandbox/sysfilter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <unistd.h>

static const int allowed[] = {
	/* I/O on fds the worker already holds: the supervisor socket, and the
	 * few JSC opened before lock-down (pread64: the allocator's scavenger
	 * reads /proc/self/statm through one). No open*: no new fds. */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(close), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(fcntl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(eventfd2),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	/* Memory: the heap, the JIT's executable pages, GC decommit. */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(membarrier), SCMP_SYS(mincore),
	/* Threads and their synchronisation. */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(sched_setscheduler), SCMP_SYS(sched_getscheduler), SCMP_SYS(sched_getparam),
	SCMP_SYS(sched_setparam), SCMP_SYS(sched_get_priority_min), SCMP_SYS(sched_get_priority_max),
	SCMP_SYS(getpriority), SCMP_SYS(setpriority),
	SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid),
	/* Signals: JSC suspends threads with a signal to scan their stacks. */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigsuspend),
	/* Time. */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getrusage),
	SCMP_SYS(times),
	/* Randomness for Math.random and crypto. */
	SCMP_SYS(getrandom),
	SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
};

int sysfilter_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc;
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
		if (rc)
			goto out;
	}
	/* clone only for threads: CLONE_THREAD set. Without it, a new process
	 * (fork) could outlive the worker's accounting. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (rc)
		goto out;
	/* clone3 passes its flags in memory, where BPF cannot look: refuse it
	 * with ENOSYS so glibc falls back to clone, which we can check. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc)
		goto out;
	/* Signals only to our own threads (tgkill's first argument is our pid,
	 * 1 in the pid namespace, getpid() either way). */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (rc)
		goto out;
	/* prctl: naming threads only; no PR_SET_SECCOMP games, no dumpable. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
			      SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
	if (rc)
		goto out;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
			      SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
	if (rc)
		goto out;
	/* Lazy opens inside the engine (a locale or /proc file it did not need
	 * during warm-up) fail softly instead of killing a healthy worker:
	 * the root is empty anyway. Every other path to a new fd kills. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (rc)
		goto out;
	rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
	if (rc)
		goto out;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}
