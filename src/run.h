/* run — `corral run FILE|-`: one execution under the full sandbox, with the
 * program's output streamed live and the outcome as the exit code. */
#ifndef CORRAL_RUN_H
#define CORRAL_RUN_H

int run_main(int argc, char **argv);

#endif
