/* sandbox — see sandbox.h. The order below matters and each step says why. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/cg.h"
#include "sandbox/ns.h"
#include "sandbox/sysfilter.h"

static const char *const layer_names[] = {
#define SANDBOX_NAME(e, n, s) s,
	SANDBOX_LAYERS(SANDBOX_NAME)
#undef SANDBOX_NAME
};

void sandbox_layers_str(unsigned layers, char *out, size_t n)
{
	size_t off = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < sizeof layer_names / sizeof layer_names[0]; i++) {
		if (!(layers & (1u << i)))
			continue;
		int w = snprintf(out + off, n - off, "%s%s", off ? "," : "", layer_names[i]);
		if (w < 0 || (size_t)w >= n - off)
			break;
		off += (size_t)w;
	}
}

#ifdef CORRAL_TEST_HOOKS
unsigned sandbox_test_disabled(void)
{
	const char *v = getenv("CORRAL_TEST_DISABLE");
	unsigned mask = 0;
	if (!v)
		return 0;
	for (unsigned i = 0; i < sizeof layer_names / sizeof layer_names[0]; i++)
		if (strstr(v, layer_names[i]))
			mask |= 1u << i;
	return mask;
}
#endif

void sandbox_drop_namespaces(struct sandbox_caps *caps, int err)
{
	size_t off = strlen(caps->note);
	caps->layers &= ~(unsigned)SANDBOX_NAMESPACES;
	caps->ns_flags = 0;
	snprintf(caps->note + off, sizeof caps->note - off,
		 "namespaces unavailable (%s; run as root or allow user namespaces); ", strerror(-err));
}

void sandbox_probe(struct sandbox_caps *caps, struct cg_root *cg, bool probe_ns)
{
	memset(caps, 0, sizeof *caps);
	caps->layers = SANDBOX_ENGINE | SANDBOX_NO_AMBIENT | SANDBOX_RLIMITS | SANDBOX_DEADLINES;
	size_t off = 0;

	caps->ns_flags = ns_clone_flags();
	int rc = probe_ns ? ns_probe(caps->ns_flags) : 0;
	if (rc == 0) {
		caps->layers |= SANDBOX_NAMESPACES;
	} else {
		off += (size_t)snprintf(caps->note + off, sizeof caps->note - off,
			"namespaces unavailable (%s; run as root or allow user namespaces); ", strerror(-rc));
		caps->ns_flags = 0;
	}

	if (cg_root_open(cg) == 0) {
		caps->layers |= SANDBOX_CGROUP;
	} else {
		off += (size_t)snprintf(caps->note + off, sizeof caps->note - off,
			"no writable cgroup: memory cap enforced by polling RSS (weaker); ");
	}
	cg_root_describe(cg, caps->cgroup_desc, sizeof caps->cgroup_desc);

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0) {
		caps->layers |= SANDBOX_SECCOMP;
	} else if (off < sizeof caps->note) {
		snprintf(caps->note + off, sizeof caps->note - off,
			 "seccomp unavailable (kernel built without CONFIG_SECCOMP_FILTER?); ");
	}
#ifdef CORRAL_TEST_HOOKS
	caps->layers &= ~sandbox_test_disabled();
	if (!(caps->layers & SANDBOX_NAMESPACES))
		caps->ns_flags = 0;
#endif
}

static int drop_privileges(const struct sandbox_inside *in)
{
	if (geteuid() == 0 && !in->userns) {
		/* The bounding set first, while we still hold CAP_SETPCAP. */
		for (int cap = 0; cap <= 63; cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
				break;
		if (setgroups(0, NULL) < 0)
			return -errno;
		if (setresgid(in->gid, in->gid, in->gid) < 0)
			return -errno;
		/* From uid 0 to a non-zero uid in all three ids, with KEEPCAPS
		 * off, the kernel clears every capability of every thread (glibc
		 * runs setresuid on each). */
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return -errno;
		if (setresuid(in->uid, in->uid, in->uid) < 0)
			return -errno;
		if (setuid(0) == 0)
			return -EPERM; /* must be impossible now */
	} else {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		memset(d, 0, sizeof d);
		if (syscall(SYS_capset, &h, d) < 0)
			return -errno;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}

int sandbox_enter(const struct sandbox_inside *in)
{
	int rc;
	unsigned in_force = in->layers & (SANDBOX_ENGINE | SANDBOX_NO_AMBIENT | SANDBOX_CGROUP |
					  SANDBOX_RLIMITS | SANDBOX_DEADLINES);
	/* 1. The file system: an empty read-only root (needs CAP_SYS_ADMIN, so
	 *    before the privileges go). */
	if (in->layers & SANDBOX_NAMESPACES) {
		rc = ns_lockdown();
		if (rc)
			return rc;
		in_force |= SANDBOX_NAMESPACES;
	}
	/* 2. Who we are: an unprivileged uid with no capabilities, so even a
	 *    way out of the namespaces would find nothing it may touch. */
	rc = drop_privileges(in);
	if (rc)
		return rc;
	/* Changing uid cleared the parent-death signal: set it again, so the
	 * supervisor's death still ends the worker. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* 3. No exec can ever grant privileges again (setuid binaries, file
	 *    capabilities); also required for an unprivileged seccomp load. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* 4. Not dumpable: no ptrace by anything of the same uid, and /proc
	 *    files of the worker owned by root. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* 5. The system call allowlist, last: the steps above need calls it
	 *    refuses. */
	if (in->layers & SANDBOX_SECCOMP) {
		rc = sysfilter_install();
		if (rc)
			return rc;
		in_force |= SANDBOX_SECCOMP;
	}
	return (int)in_force;
}
