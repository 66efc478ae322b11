/* ns — see ns.h. */
#include "sandbox/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int ns_clone_flags(void)
{
	/* net: no interfaces but a down loopback, so no route anywhere.
	 * mnt: lets the worker swap its root for an empty one.
	 * pid: the worker sees no other process, and cannot signal one.
	 * ipc, uts: no shared SysV objects, its own hostname.
	 * cgroup: the worker's own cgroup appears as the root. */
	int flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	if (geteuid() != 0)
		flags |= CLONE_NEWUSER;
	return flags;
}

int ns_probe(int flags)
{
	long pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(0);
	int st;
	while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

int ns_lockdown(void)
{
	/* Nothing we mount may propagate back to the host's tree. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* The new root: an empty tmpfs, mounted over a directory every system
	 * has, visible only in this mount namespace. */
	const char *dir = "/tmp";
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		dir = "/";
	if (mount("corral", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,nr_inodes=8,mode=0555") < 0)
		return -errno;
	if (chdir(dir) < 0)
		return -errno;
	/* pivot_root(".", ".") stacks the old root on top of the new one; the
	 * lazy unmount then removes every host file system from view. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	if (sethostname("corral", 6) < 0)
		return -errno;
	return 0;
}
