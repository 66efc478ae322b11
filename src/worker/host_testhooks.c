/* host_testhooks — probes that try to break the sandbox from inside.
 *
 * Compiled only into corral-testhooks (CORRAL_TEST_HOOKS), never into the
 * corral binary. `__corral_test.syscall(name)` makes one raw system call
 * that the sandbox must stop and returns "ok" or the errno's name (if the
 * sandbox kills the worker, nothing returns); `stall(ms)` blocks in native
 * code where JSC's watchdog cannot reach, to prove the supervisor's kill. */
#ifdef CORRAL_TEST_HOOKS
#include "worker/engine_internal.h"
#include "common/ipc.h"
#include "worker/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static JSValueRef errno_str(JSContextRef ctx, int rc)
{
	if (rc >= 0)
		return jsval_str(ctx, "ok");
	const char *n = strerrorname_np(errno);
	return jsval_str(ctx, n ? n : "E?");
}

static JSValueRef t_syscall(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			    size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *name = argc ? jsval_to_cstr(ctx, argv[0], 64, NULL) : NULL;
	char *arg = argc > 1 ? jsval_to_cstr(ctx, argv[1], 4096, NULL) : NULL;
	int rc = -1;
	errno = ENOSYS;
	if (!name) {
	} else if (!strcmp(name, "socket")) {
		rc = socket(AF_INET, SOCK_STREAM, 0);
	} else if (!strcmp(name, "connect")) {
		/* Anywhere: arg is "a.b.c.d:port". */
		rc = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (rc >= 0) {
			int s = rc;
			struct sockaddr_in sa = { .sin_family = AF_INET };
			char host[64] = "1.1.1.1";
			int port = 53;
			if (arg) {
				char *colon = strchr(arg, ':');
				if (colon) {
					port = atoi(colon + 1);
					*colon = '\0';
				}
				snprintf(host, sizeof host, "%s", arg);
			}
			inet_pton(AF_INET, host, &sa.sin_addr);
			sa.sin_port = htons((uint16_t)port);
			rc = connect(s, (struct sockaddr *)&sa, sizeof sa);
			if (rc < 0 && errno == EINPROGRESS)
				rc = 0;
			int saved = errno;
			close(s);
			errno = saved;
		}
	} else if (!strcmp(name, "open")) {
		rc = open(arg ? arg : "/etc/passwd", O_RDONLY);
		if (rc >= 0)
			close(rc);
	} else if (!strcmp(name, "fork")) {
		rc = fork();
		if (rc == 0)
			_exit(0);
		if (rc > 0)
			waitpid(rc, NULL, 0);
	} else if (!strcmp(name, "execve")) {
		char *const av[] = { "/bin/true", NULL };
		rc = execve("/bin/true", av, av + 1);
	} else if (!strcmp(name, "ptrace")) {
		rc = (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	} else if (!strcmp(name, "mount")) {
		rc = mount("none", "/", "tmpfs", 0, NULL);
	} else if (!strcmp(name, "setuid0")) {
		rc = setuid(0);
	} else if (!strcmp(name, "kill1")) {
		rc = kill(1, 0);
	}
	free(name);
	free(arg);
	return errno_str(ctx, rc);
}

static JSValueRef t_stall(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	double ms = argc ? JSValueToNumber(ctx, argv[0], NULL) : 1000;
	struct timespec ts = { (time_t)(ms / 1000), (long)((long long)ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return JSValueMakeUndefined(ctx);
}

/* Writes straight to the supervisor socket, past the worker's own checks:
 * "garbage" sends bytes that are no frame; "flood" sends a well-formed
 * OUTPUT frame of n bytes that the worker's output cap never saw. */
static JSValueRef t_raw(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *what = argc ? jsval_to_cstr(ctx, argv[0], 32, NULL) : NULL;
	size_t n = argc > 1 ? (size_t)JSValueToNumber(ctx, argv[1], NULL) : 1024;
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN);
	if (what && !strcmp(what, "garbage")) {
		buf_append(&b, "\xff\xff\xff\x7f\x09\x00\x01\x00garbage", 15);
	} else {
		char *data = malloc(n ? n : 1);
		memset(data, 'A', n);
		ipc_enc_begin(&b, IPC_MSG_OUTPUT);
		ipc_enc_u64(&b, IPC_T_SLOT, exec_current ? exec_current->req->slot : 0);
		ipc_enc_u64(&b, IPC_T_STREAM, IPC_STREAM_STDOUT);
		ipc_enc_bytes(&b, IPC_T_DATA, data, n);
		ipc_enc_end(&b);
		free(data);
	}
	ipc_write_all(3, b.data, b.len);
	buf_release(&b);
	free(what);
	return JSValueMakeUndefined(ctx);
}

static void *volatile held[64]; /* volatile: never read, and kept */
static unsigned nheld;

/* hold(mb): memory the worker keeps for the rest of its life (touched,
 * never freed), as a leak or a cache would: what an idle worker holds. */
static JSValueRef t_hold(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	double mb = argc ? JSValueToNumber(ctx, argv[0], NULL) : 0;
	if (!(mb > 0 && mb <= 1024))
		return JSValueMakeUndefined(ctx);
	size_t n = (size_t)mb << 20;
	char *p = nheld < 64 ? malloc(n) : NULL;
	if (p) {
		memset(p, 1, n);
		held[nheld++] = p;
	}
	return JSValueMakeBoolean(ctx, p != NULL);
}

static JSValueRef t_info(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct utsname u;
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	uname(&u);
	jsval_set(ctx, o, "uid", JSValueMakeNumber(ctx, getuid()), 0);
	jsval_set(ctx, o, "euid", JSValueMakeNumber(ctx, geteuid()), 0);
	jsval_set(ctx, o, "pid", JSValueMakeNumber(ctx, getpid()), 0);
	jsval_set(ctx, o, "hostname", jsval_str(ctx, u.nodename), 0);
	/* Which worker process this is (its pid is 1 in its own namespace). */
	static uint64_t token;
	while (!token && getrandom(&token, sizeof token, 0) != (ssize_t)sizeof token)
		;
	char hex[17];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)token);
	jsval_set(ctx, o, "worker", jsval_str(ctx, hex), 0);
	/* zlib handles open in the worker, all executions' (host_zlib.c). */
	jsval_set(ctx, o, "zlib_open", JSValueMakeNumber(ctx, host_zlib_open_count()), 0);
	return o;
}

/* The ids of the session contexts this worker holds (session.c). */
static JSValueRef t_sessions(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	const char *ids[ENGINE_SESSIONS_MAX];
	size_t n = exec_current ? session_ids(exec_current->eng, ids, ENGINE_SESSIONS_MAX) : 0;
	if (n > ENGINE_SESSIONS_MAX)
		n = ENGINE_SESSIONS_MAX;
	JSValueRef v[ENGINE_SESSIONS_MAX];
	for (size_t i = 0; i < n; i++)
		v[i] = jsval_str(ctx, ids[i]);
	return JSObjectMakeArray(ctx, n, v, exc);
}

void host_testhooks_install(struct exec *x, JSObjectRef global)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef t = JSObjectMake(ctx, NULL, NULL);
	jsval_set(ctx, t, "syscall", jsval_make_fn(ctx, "syscall", t_syscall), 0);
	jsval_set(ctx, t, "stall", jsval_make_fn(ctx, "stall", t_stall), 0);
	jsval_set(ctx, t, "info", jsval_make_fn(ctx, "info", t_info), 0);
	jsval_set(ctx, t, "hold", jsval_make_fn(ctx, "hold", t_hold), 0);
	jsval_set(ctx, t, "raw", jsval_make_fn(ctx, "raw", t_raw), 0);
	jsval_set(ctx, t, "sessions", jsval_make_fn(ctx, "sessions", t_sessions), 0);
	/* The runtime's fetch door, reachable before the runtime is loaded. */
	jsval_set(ctx, t, "fetch", jsval_make_fn(ctx, "fetch", host_fetch_call), 0);
	jsval_set(ctx, global, "__corral_test", t, kJSPropertyAttributeDontEnum);
}
#endif
