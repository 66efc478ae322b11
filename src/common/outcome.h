/* outcome — the one way each execution ends.
 *
 * Every execution ends in exactly one outcome. The table is the single place
 * that gives each its wire name, its `corral run` exit code and its meaning;
 * everything else (JSON, metrics, exit codes) is generated from it. */
#ifndef CORRAL_OUTCOME_H
#define CORRAL_OUTCOME_H

/*        enum          name            exit  meaning */
#define OUTCOME_MAP(X) \
	X(OK,           "ok",            0,  "the code ran to completion") \
	X(ERROR,        "error",         1,  "the code threw or its promise rejected") \
	X(TIMEOUT,      "timeout",       124, "the execution passed its deadline") \
	X(MEMORY_LIMIT, "memory_limit",  137, "the execution passed its memory cap") \
	X(OUTPUT_LIMIT, "output_limit",  125, "stdout and stderr passed their cap") \
	X(KILLED,       "killed",        125, "the worker was killed (sandbox violation or crash)") \
	X(REJECTED,     "rejected",      2,  "the code was refused before it ran") \
	X(INTERNAL,     "internal",      125, "corral itself failed") \
	X(CANCELLED,    "cancelled",     130, "the caller cancelled it (or went away)")

enum outcome {
#define OUTCOME_ENUM(e, n, x, m) OUTCOME_##e,
	OUTCOME_MAP(OUTCOME_ENUM)
#undef OUTCOME_ENUM
	OUTCOME__COUNT
};

const char *outcome_name(enum outcome o);
int outcome_exit_code(enum outcome o);
const char *outcome_meaning(enum outcome o);
/* Returns 0 and sets *o, or -EINVAL for an unknown name. */
int outcome_parse(const char *name, enum outcome *o);

#endif
