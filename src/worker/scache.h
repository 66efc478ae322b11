/* scache — compiled code-mode scripts, kept by their source.
 *
 * A worker serves one tenant, whose executions often send the same code (a
 * template, a retried snippet, a load test). Compiling it — and for code
 * with top-level await, a failed parse, the rewrite in the tools context
 * and a second parse — costs more than running a small snippet (measured:
 * 0.23-0.30 ms of a 0.45 ms hello with await). A JSScriptRef belongs to the
 * VM, not to a context, so one compiled script serves every execution's
 * fresh context; what it ran in one context is not in it (the script is
 * only code). The key is the whole source, the file name and the mode, so
 * nothing but the same code finds it; at most SCACHE_MAX scripts and
 * SCACHE_BYTES of source are kept, the least recently used going first. */
#ifndef CORRAL_SCACHE_H
#define CORRAL_SCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/jsc.h"

#define SCACHE_MAX 256
#define SCACHE_BYTES (4u << 20)
#define SCACHE_CODE_MAX (64u << 10) /* longer code is compiled each time */

struct scache_entry;

struct scache {
	struct scache_entry *head; /* most recently used first */
	unsigned n;
	size_t bytes;
	uint64_t hits, misses;
};

/* The script compiled from @code (@len bytes) named @filename in @mode (the
 * caller's flags: TypeScript, ...), with its top-level-await flag in *tla,
 * retained for the caller (JSScriptRelease it); NULL when not kept. */
JSScriptRef scache_get(struct scache *c, const char *code, size_t len, const char *filename,
		       unsigned mode, bool *tla);
/* Keeps @script (retained) for that key. */
void scache_put(struct scache *c, const char *code, size_t len, const char *filename,
		unsigned mode, JSScriptRef script, bool tla);
void scache_release(struct scache *c);

#endif
