/* corral-worker — the sandboxed engine process. Started only by corral's
 * supervisor (spawn.c), as `corral-worker worker --layers=… …` with its
 * socket on fd 3; see worker.h. */
#include <stdio.h>
#include <string.h>

#include "worker/worker.h"

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "worker") != 0) {
		fprintf(stderr, "corral-worker: started by corral only (corral run, corral serve)\n");
		return 2;
	}
	return worker_main(argc, argv);
}
