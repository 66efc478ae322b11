/* bundles — the JavaScript embedded in the worker (scripts/build-js.mjs
 * makes js_bundles.c from js/), compiled once per VM and kept.
 *
 * Two kinds. Scripts evaluated in an execution's own context: the inspect
 * bundle (Node's util.format/inspect), the runtime (web globals, Node
 * builtins, require), the lazy definer that installs the runtime's globals
 * as accessors, and session.js. JSC keeps their bytecode, so a context pays
 * only for evaluating them. And tools that run in contexts of their own,
 * which never see a user value (only strings cross): the rewriter (acorn:
 * top-level await, session snippets, syntax error columns) and the tools
 * bundle (sucrase: TypeScript and ES modules to CommonJS). */
#ifndef CORRAL_BUNDLES_H
#define CORRAL_BUNDLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/jsc.h"

enum bundle_script {
	BUNDLE_INSPECT,
	BUNDLE_RUNTIME,
	BUNDLE_LAZY,
	BUNDLE_SESSION,
	BUNDLE_STACK,
	BUNDLE__COUNT
};

/* One per VM. Zero it, set group, use; bundles_release at the end. */
struct bundles {
	JSContextGroupRef group;
	JSScriptRef scripts[BUNDLE__COUNT];
	JSGlobalContextRef tools_ctx; /* lazily created; never sees user values */
	JSObjectRef tools;
	JSGlobalContextRef rw_ctx;    /* the rewrite bundle's, likewise */
	JSObjectRef rw;
};

void bundles_release(struct bundles *b);
/* Whether this build has the runtime bundle, and whether it provides the
 * global name. */
bool bundles_runtime_available(void);
bool bundles_runtime_provides(const char *name);
/* The script, compiled on first use; NULL when it is not built in. */
JSScriptRef bundles_script(struct bundles *b, enum bundle_script id);
/* Evaluates the script in ctx: its value, or NULL (not built in, or *exc). */
JSValueRef bundles_eval(struct bundles *b, JSContextRef ctx, enum bundle_script id, JSValueRef *exc);
/* Calls the rewrite bundle's fname(src, skeleton): the rewritten source
 * (caller releases), or NULL (the code does not parse, or needs no
 * rewrite). sc is src's scan (jsscan.h), or NULL to have it scanned here:
 * acorn then parses src's skeleton, its function bodies blanked out. */
struct jsscan;
JSStringRef bundles_rewrite(struct bundles *b, const char *fname, JSStringRef src, const struct jsscan *sc);
/* Whether code (src, and its UTF-8 text p/n) has import/export statements,
 * import() or import.meta as tokens (jsscan.h: not in a comment or a
 * string): code mode and deploy checks transpile it then. */
bool bundles_module_syntax(JSStringRef src, const char *p, size_t n);
/* TypeScript / ES modules to CommonJS in the tools context. A new string
 * (caller releases), or NULL with a message in err. */
JSStringRef bundles_transpile(struct bundles *b, JSStringRef src, JSStringRef filename, bool typescript,
			      char *err, size_t errlen);
/* JSC gives a syntax error's line but not its column: acorn finds both.
 * Returns whether it did. */
bool bundles_locate_syntax_error(struct bundles *b, JSStringRef src, uint64_t *line, uint64_t *col);
/* Loads the rewriter and runs it once, evaluates the runtime's top level in
 * a throwaway context, and runs session.js's snapshot and restore over a
 * few values in ctx: what a pool worker's first requests would pay. */
void bundles_warm(struct bundles *b, JSGlobalContextRef ctx);

#endif
