/* sandbox — the ordered list of isolation layers, and nothing else.
 *
 * Seven layers (docs/design.md): engine, no ambient authority, seccomp-bpf,
 * namespaces, cgroups, rlimits, deadlines. The supervisor creates the
 * namespaces (clone flags), the cgroup and the rlimits before exec (spawn.c);
 * the worker, once its engine is warm, closes the rest in sandbox_enter():
 * empty read-only root, hostname, unprivileged uid with no capabilities,
 * no_new_privs, then the seccomp filter last.
 *
 * A layer that cannot be had on this machine is reported, never silently
 * skipped: sandbox_probe() says which are in force, and corral prints it at
 * start and in /readyz. */
#ifndef CORRAL_SANDBOX_H
#define CORRAL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_LAYERS(X) \
	X(ENGINE,     0, "engine") \
	X(NO_AMBIENT, 1, "no_ambient_authority") \
	X(SECCOMP,    2, "seccomp") \
	X(NAMESPACES, 3, "namespaces") \
	X(CGROUP,     4, "cgroup") \
	X(RLIMITS,    5, "rlimits") \
	X(DEADLINES,  6, "deadlines")

enum {
#define SANDBOX_BIT(e, n, s) SANDBOX_##e = 1u << n,
	SANDBOX_LAYERS(SANDBOX_BIT)
#undef SANDBOX_BIT
	SANDBOX_ALL = (1u << 7) - 1,
};

/* What the worker is told to do inside, passed on its command line. */
struct sandbox_inside {
	unsigned layers;    /* SANDBOX_* bits to apply inside the worker */
	uid_t uid;
	gid_t gid;
	bool userns;        /* the worker is in its own user namespace */
};

/* What this machine allows, found once at start by the supervisor. */
struct sandbox_caps {
	unsigned layers;        /* layers that can be in force */
	int ns_flags;           /* clone flags for the namespaces */
	char cgroup_desc[96];   /* "v1 memory+pids", "v2", "rss-polling fallback" */
	char note[256];         /* why a layer is missing, for the banner */
};

struct cg_root;
/* Probes namespaces (by a throwaway clone, when probe_ns; otherwise the
 * first spawn finds out), cgroups and seccomp, and opens the cgroup parent
 * into *cg. Never fails: what is missing is left out of caps->layers and
 * explained in caps->note. */
void sandbox_probe(struct sandbox_caps *caps, struct cg_root *cg, bool probe_ns);
/* After a spawn with namespaces failed with err: drops the layer, says why. */
void sandbox_drop_namespaces(struct sandbox_caps *caps, int err);

/* In the worker, after the engine is warm: closes the sandbox. Returns the
 * layers now in force, or -errno (the worker then exits: a worker that
 * cannot close its sandbox must never run code). */
int sandbox_enter(const struct sandbox_inside *in);

/* Renders bits as "engine,seccomp,..." into out. */
void sandbox_layers_str(unsigned layers, char *out, size_t n);

#ifdef CORRAL_TEST_HOOKS
/* Test builds only: CORRAL_TEST_DISABLE="seccomp,namespaces,..." turns
 * layers off, so that each escape test can show it would have escaped. */
unsigned sandbox_test_disabled(void);
#endif

#endif
