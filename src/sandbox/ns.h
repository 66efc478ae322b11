/* ns — Linux namespaces for a worker.
 *
 * The supervisor clones the worker into new net, mount, pid, ipc, uts (and
 * cgroup) namespaces; as non-root it adds a user namespace. Inside, the
 * worker replaces its root with an empty read-only tmpfs. */
#ifndef CORRAL_NS_H
#define CORRAL_NS_H

#include <stdbool.h>

/* The clone flags to use: all of ours, plus CLONE_NEWUSER when not root. */
int ns_clone_flags(void);
/* Forks a child with flags that exits at once; 0 if that works, else -errno. */
int ns_probe(int flags);
/* In the worker: a private mount tree whose root is an empty read-only
 * tmpfs, and a fixed hostname. Returns 0 or -errno. */
int ns_lockdown(void);

#endif
