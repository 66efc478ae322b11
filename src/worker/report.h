/* report — an execution's outcome, result and error from its JavaScript
 * values (see report.c). */
#ifndef CORRAL_REPORT_H
#define CORRAL_REPORT_H

#include <stdbool.h>

#include "worker/exec.h"

void report_set_error(struct exec_res *res, const char *name, const char *message);
/* v as the result: JSON when JSON says it faithfully, else inspected. */
void report_result(struct exec *x, JSValueRef v);
/* err (an exception or rejection reason) as the result's error. */
void report_error(struct exec *x, JSValueRef err);
/* The outcome from what the execution left: its termination, uncaught
 * error, process.exit, the completion value or its promise. */
void report_finish(struct exec *x, JSValueRef completion, bool have_completion);
/* src did not compile: rejected, with the error's line and column. */
void report_syntax_error(struct exec *x, JSStringRef src, JSStringRef url);

#endif
