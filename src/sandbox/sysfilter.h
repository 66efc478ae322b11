/* sysfilter — the worker's seccomp-bpf allowlist (libseccomp).
 *
 * Installed last, after the engine is warm (ld.so and JSC open files and
 * start threads during start-up), on every thread at once (TSYNC). Anything
 * not listed kills the whole worker with SIGSYS, which the supervisor reports
 * as `killed`. */
#ifndef CORRAL_SYSFILTER_H
#define CORRAL_SYSFILTER_H

/* Returns 0 or -errno. */
int sysfilter_install(void);

#endif
