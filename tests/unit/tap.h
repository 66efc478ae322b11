/* tap — a tiny Test Anything Protocol writer for the unit tests.
 *
 * Each test program prints TAP on stdout ("1..N", "ok 1 - name",
 * "not ok 2 - name" followed by "# " diagnostics) and returns done_testing()
 * from main, which is non-zero when any case failed or the plan was not met.
 * meson runs the programs with protocol: 'tap'.
 *
 * The modules tested with it so far (ipc, config, outcome, buf, json, result)
 * are pure, so all their cases share one process. A case that changes the
 * process for good (seccomp, namespaces, rlimits, setuid) must run in a child
 * of its own: tap_fork_case() runs a function there and hands back how the
 * child ended, and the parent reports it with ok().
 *
 * A known bug is written as a TODO case (todo_start/todo_end): TAP reports it
 * as "not ok ... # TODO reason" and it does not fail the program, so the bug
 * stays visible without breaking the build. A TODO case that passes says so. */
#ifndef CORRAL_TAP_H
#define CORRAL_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int tap__run;        /* cases reported so far */
static int tap__failed;     /* of those, failed outside a TODO block */
static int tap__planned = -1;
static const char *tap__todo; /* reason, while inside a TODO block */

/* Announces n cases. Without a call, done_testing() prints the plan last. */
static inline void plan(int n)
{
	tap__planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

static inline int tap__vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
	tap__run++;
	printf("%sok %d - ", pass ? "" : "not ", tap__run);
	vprintf(fmt, ap);
	if (tap__todo)
		printf(" # TODO %s", tap__todo);
	fputc('\n', stdout);
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		if (!tap__todo)
			tap__failed++;
	}
	fflush(stdout);
	return pass;
}

static inline int tap__ok(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int tap__ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = tap__vok(pass, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

static inline int tap__is_int(long long got, long long want, const char *file, int line,
			      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static inline int tap__is_int(long long got, long long want, const char *file, int line,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int pass = tap__vok(got == want, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("  got: %lld\n#   want: %lld", got, want);
	return pass;
}

/* Prints s with C escapes, so a diagnostic shows control and high bytes. */
static inline void tap__put_escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

static inline int tap__is_mem(const char *got, size_t got_len, const char *want, size_t want_len,
			      const char *file, int line, const char *fmt, va_list ap)
{
	int pass;
	if (!got || !want)
		pass = got == want;
	else
		pass = got_len == want_len && memcmp(got, want, got_len) == 0;
	pass = tap__vok(pass, file, line, fmt, ap);
	if (!pass) {
		fputs("#   got:  ", stdout);
		if (got) {
			putchar('"');
			tap__put_escaped(got, got_len);
			putchar('"');
		} else {
			fputs("NULL", stdout);
		}
		fputs("\n#   want: ", stdout);
		if (want) {
			putchar('"');
			tap__put_escaped(want, want_len);
			putchar('"');
		} else {
			fputs("NULL", stdout);
		}
		putchar('\n');
		fflush(stdout);
	}
	return pass;
}

static inline int tap__is_str(const char *got, const char *want, const char *file, int line,
			      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static inline int tap__is_str(const char *got, const char *want, const char *file, int line,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int pass = tap__is_mem(got, got ? strlen(got) : 0, want, want ? strlen(want) : 0, file,
			       line, fmt, ap);
	va_end(ap);
	return pass;
}

static inline int tap__is_bytes(const void *got, size_t got_len, const void *want,
				size_t want_len, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static inline int tap__is_bytes(const void *got, size_t got_len, const void *want,
				size_t want_len, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int pass = tap__is_mem(got, got_len, want, want_len, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

/* ok(cond, "name %d", i): one case, passing when cond is true. */
#define ok(cond, ...) tap__ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* is_int(got, want, "name"): compares as long long, shows both on failure. */
#define is_int(got, want, ...) \
	tap__is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
/* is_str(got, want, "name"): NUL-terminated strings; NULL equals only NULL. */
#define is_str(got, want, ...) tap__is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
/* is_bytes(got, got_len, want, want_len, "name"): binary-safe comparison. */
#define is_bytes(got, got_len, want, want_len, ...) \
	tap__is_bytes((got), (got_len), (want), (want_len), __FILE__, __LINE__, __VA_ARGS__)

/* Cases reported between these two are known failures: see the top. */
static inline void todo_start(const char *reason)
{
	tap__todo = reason;
}

static inline void todo_end(void)
{
	tap__todo = NULL;
}

/* Reports a case as skipped, with its reason: never a pass in disguise. */
static inline void skip(const char *reason)
{
	tap__run++;
	printf("ok %d # SKIP %s\n", tap__run, reason);
	fflush(stdout);
}

/* Runs fn(arg) in a child process and waits for it. Returns the child's exit
 * status, 128 + the signal that killed it, or -1 if it could not be run. The
 * child must not report cases itself: the parent does, from the status. */
static inline int tap_fork_case(void (*fn)(void *), void *arg)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Prints the plan if none was given and returns main's exit status. */
static inline int done_testing(void)
{
	if (tap__planned < 0) {
		printf("1..%d\n", tap__run);
	} else if (tap__planned != tap__run) {
		diag("planned %d cases but ran %d", tap__planned, tap__run);
		return 1;
	}
	if (tap__failed)
		diag("%d of %d cases failed", tap__failed, tap__run);
	fflush(stdout);
	return tap__failed ? 1 : 0;
}

#endif
