/* result — one finished execution as the supervisor reports it.
 *
 * Filled from the worker's RESULT frame or, when the worker died first, from
 * how it died (wproc.c); rendered as the JSON object of API.md. */
#ifndef CORRAL_RESULT_H
#define CORRAL_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/outcome.h"
#include "common/buf.h"

struct result {
	char id[65];
	enum outcome status;
	char *result_json;      /* JSON text, or NULL */
	char *err_name;
	char *err_message;
	char *err_stack;
	uint64_t err_line, err_column;
	int signal;             /* killed: the signal, else 0 */
	uint64_t wall_ns, cpu_ns, peak_memory;
	bool truncated;
	int exit_code;          /* process.exit's code, or -1: the outcome's */
	bool warm;              /* function mode: served by an already-loaded handler */
	char *state;            /* sessions: the bindings' snapshot (JSON), or NULL */
	size_t state_len;
	bool restored;          /* sessions: the worker rebuilt the context from the store */
	/* Its worker died before the execution did anything the world could
	 * see (not a frame of it came back): it may run again elsewhere. */
	bool not_started;
};

void result_init(struct result *r);
void result_release(struct result *r);
void result_set_error(struct result *r, const char *name, const char *message);
/* The exit code to report: process.exit's, else the outcome's. */
int result_exit_code(const struct result *r);

/* Captured output, for the JSON rendering. */
struct result_output {
	const struct buf *stdout_buf;
	const struct buf *stderr_buf;
	const struct buf *interleaved;
};

/* A fresh execution id, "x_" and 16 hex digits, in out (at least 19 bytes). */
/* A fresh execution id ("x_" and 16 hex digits). Returns 0, or -errno when
 * there is no randomness (then out is ""). */
int result_new_id(char *out, size_t n);

/* Appends the API.md result object. */
int result_to_json(const struct result *r, const struct result_output *out, struct buf *b);

#endif
