/* host_process — the little of Node's `process` a sandbox can honestly give.
 *
 * Only `env` (the execution's own variables, never the worker's), `argv`
 * (empty), `platform` and `version`. There is no pid, no cwd, no exit, no
 * binding: nothing here reaches the host. The runtime issue widens this to
 * nextTick, hrtime and exit, each a validated host call. */
#include "worker/engine_internal.h"

#include <stdlib.h>
#include <string.h>

JSObjectRef host_env_object(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef env = JSObjectMake(ctx, NULL, NULL);
	for (size_t i = 0; i < x->req->nenv; i++) {
		const char *kv = x->req->env[i];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			continue;
		char *name = strndup(kv, (size_t)(eq - kv));
		if (name)
			engine__set(ctx, env, name, engine__str(ctx, eq + 1), kJSPropertyAttributeNone);
		free(name);
	}
	return env;
}

void host_process_install(struct exec *x, JSObjectRef global)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef process = JSObjectMake(ctx, NULL, NULL);
	engine__set(ctx, process, "env", host_env_object(x), kJSPropertyAttributeNone);
	engine__set(ctx, process, "argv", JSObjectMakeArray(ctx, 0, NULL, NULL), kJSPropertyAttributeNone);
	engine__set(ctx, process, "platform", engine__str(ctx, "linux"), kJSPropertyAttributeNone);
	engine__set(ctx, process, "version", engine__str(ctx, "v20.0.0-corral"), kJSPropertyAttributeNone);
	engine__set(ctx, global, "process", process, kJSPropertyAttributeDontEnum);
}
