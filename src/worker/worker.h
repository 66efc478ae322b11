/* worker — the `corral worker` role: a sandboxed JavaScriptCore process.
 *
 * Started by the supervisor (spawn.c) with its socket as fd 3. It warms its
 * engine, closes its sandbox, says READY, then runs one execution per EXEC
 * frame, streaming OUTPUT frames and ending each with a RESULT frame. It
 * exits when the supervisor closes the socket, after an execution that left
 * the VM unusable (timeout, output limit), or after one marked last. */
#ifndef CORRAL_WORKER_H
#define CORRAL_WORKER_H

int worker_main(int argc, char **argv);

#endif
