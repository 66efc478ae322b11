/* corral — one binary, several roles (git's builtin/ idea):
 *   corral run FILE|-   one execution under the sandbox, from the shell
 *   corral serve        the HTTP service
 *   corral keys         API keys in the store
 *
 * The sandboxed engine process is a separate program, corral-worker
 * (worker_main.c), which the supervisor execs: see meson.build.
 */
#include <stdio.h>
#include <string.h>

#include "supervisor/keys.h"
#include "run.h"
#include "supervisor/serve.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: corral <command> [options]\n"
		"\n"
		"  run FILE|-    run JavaScript in the sandbox (corral run --help)\n"
		"  serve         the HTTP service (corral serve --help)\n"
		"  keys          create, list and revoke API keys (corral keys --help)\n"
		"  version       print the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return run_main(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (strcmp(cmd, "keys") == 0)
		return keys_main(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("corral 0.1.0\n");
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "corral: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return 2;
}
