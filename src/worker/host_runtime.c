/* host_runtime — the lazily loaded runtime (web globals, Node builtins,
 * require) and the native functions it is built on.
 *
 * Per context, a small cached script defines an accessor on globalThis for
 * every name the runtime provides (corral_js_runtime_globals). The first
 * read of any of them evaluates the runtime bundle in that context, calls
 * its install(globalThis, host), which replaces the accessors with the real
 * values, and answers the read. An execution that touches none of them pays
 * only for the accessors (~40 defineProperty calls).
 *
 * `host` is the only door from the runtime to native code: random bytes,
 * digests (OpenSSL), a coarsened clock, UTF-8, the transpiler (which runs in
 * the engine's separate tools context: only strings cross), and the
 * execution's file system (host_fs.c). Each function validates its
 * arguments and throws TypeError on anything else. */
#include "worker/engine_internal.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "worker/host_crypto.h"
#include "worker/host_fs.h"
#include "worker/jsscan.h"
#include "common/clock.h"

#define RANDOM_MAX 65536
#define FS_READ_MAX (64u << 20)

static JSValueRef throw_type(JSContextRef ctx, JSValueRef *exc, const char *msg)
{
	return jsval_throw(ctx, exc, "TypeError", msg);
}

static bool is_u8(JSContextRef ctx, JSValueRef v)
{
	return v && JSValueIsObject(ctx, v) &&
	       JSValueGetTypedArrayType(ctx, v, NULL) == kJSTypedArrayTypeUint8Array;
}

static JSObjectRef make_u8(JSContextRef ctx, const void *p, size_t n, JSValueRef *exc)
{
	JSObjectRef a = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array, n, exc);
	if (!a)
		return NULL;
	if (n) {
		void *dst = JSObjectGetTypedArrayBytesPtr(ctx, a, exc);
		if (dst)
			memcpy(dst, p, n);
	}
	return a;
}

static const unsigned char *u8_bytes(JSContextRef ctx, JSValueRef v, size_t *n, JSValueRef *exc)
{
	return jsval_u8_bytes(ctx, (JSObjectRef)v, n);
}

/* --- crypto ------------------------------------------------------------- */

static JSValueRef h_random_fill(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc < 1 || !is_u8(ctx, argv[0]))
		return throw_type(ctx, exc, "randomFill needs a Uint8Array");
	size_t n;
	unsigned char *p = (unsigned char *)u8_bytes(ctx, argv[0], &n, exc);
	if (n > RANDOM_MAX)
		return jsval_throw(ctx, exc, "RangeError", "at most 65536 random bytes at a time");
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return jsval_throw(ctx, exc, "Error", "no randomness available");
		got += (size_t)r;
	}
	return argv[0];
}

static const EVP_MD *digest_alg(const char *name)
{
	if (!strcasecmp(name, "SHA-1"))
		return EVP_sha1();
	if (!strcasecmp(name, "SHA-256"))
		return EVP_sha256();
	if (!strcasecmp(name, "SHA-384"))
		return EVP_sha384();
	if (!strcasecmp(name, "SHA-512"))
		return EVP_sha512();
	return NULL;
}

static JSValueRef h_digest(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc < 2 || !JSValueIsString(ctx, argv[0]) || !is_u8(ctx, argv[1]))
		return throw_type(ctx, exc, "digest needs an algorithm name and a Uint8Array");
	char *name = jsval_to_cstr(ctx, argv[0], 32, NULL);
	const EVP_MD *md = name ? digest_alg(name) : NULL;
	free(name);
	if (!md)
		return jsval_throw(ctx, exc, "NotSupportedError", "unrecognized digest algorithm (SHA-1, SHA-256, SHA-384 or SHA-512)");
	size_t n;
	const unsigned char *p = u8_bytes(ctx, argv[1], &n, exc);
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int outlen = 0;
	if (EVP_Digest(p, n, out, &outlen, md, NULL) != 1)
		return jsval_throw(ctx, exc, "Error", "digest failed");
	JSObjectRef u8 = make_u8(ctx, out, outlen, exc);
	return u8 ? JSObjectGetTypedArrayBuffer(ctx, u8, exc) : JSValueMakeUndefined(ctx);
}

/* --- time and text ------------------------------------------------------ */

static JSValueRef h_now(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	uint64_t d = x ? clock_mono_ns() - x->start_ns : 0;
	/* 100 µs steps: no high-resolution timer for timing attacks. */
	return JSValueMakeNumber(ctx, (double)(d / 100000) / 10.0);
}

static JSValueRef h_utf8_encode(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	JSStringRef s = JSValueToStringCopy(ctx, argc ? argv[0] : JSValueMakeUndefined(ctx), exc);
	if (!s)
		return JSValueMakeUndefined(ctx);
	size_t n = 0;
	char *p = jsval_utf8(s, JSStringGetLength(s) * 3, &n, NULL);
	JSStringRelease(s);
	if (!p)
		return jsval_throw(ctx, exc, "RangeError", "out of memory");
	JSObjectRef u8 = make_u8(ctx, p, n, exc);
	free(p);
	return u8 ? u8 : JSValueMakeUndefined(ctx);
}

static JSValueRef h_utf8_decode(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc < 1 || !is_u8(ctx, argv[0]))
		return throw_type(ctx, exc, "utf8Decode needs a Uint8Array");
	size_t n;
	const unsigned char *p = u8_bytes(ctx, argv[0], &n, exc);
	bool fatal = argc > 1 && JSValueToBoolean(ctx, argv[1]);
	if (fatal && !jsval_utf8_valid((const char *)p, n))
		return throw_type(ctx, exc, "The encoded data was not valid for encoding utf-8");
	JSStringRef s = jsval_from_utf8((const char *)p, n);
	if (!s)
		return jsval_throw(ctx, exc, "RangeError", "out of memory");
	JSValueRef v = JSValueMakeString(ctx, s);
	JSStringRelease(s);
	return v;
}

static JSValueRef h_transpile(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || argc < 2 || !JSValueIsString(ctx, argv[0]) || !JSValueIsString(ctx, argv[1]))
		return throw_type(ctx, exc, "transpile needs source and file name strings");
	bool ts = false;
	if (argc > 2 && JSValueIsObject(ctx, argv[2])) {
		JSValueRef t = jsval_get(ctx, (JSObjectRef)argv[2], "typescript");
		ts = t && JSValueToBoolean(ctx, t);
	}
	JSStringRef src = JSValueToStringCopy(ctx, argv[0], NULL);
	JSStringRef name = JSValueToStringCopy(ctx, argv[1], NULL);
	char err[512];
	JSStringRef out = bundles_transpile(&x->eng->bundles, src, name, ts, err, sizeof err);
	JSStringRelease(src);
	JSStringRelease(name);
	if (!out)
		return jsval_throw(ctx, exc, "SyntaxError", err);
	JSValueRef v = JSValueMakeString(ctx, out);
	JSStringRelease(out);
	return v;
}

/* host.moduleSyntax(source): what the lexer (jsscan.h) finds in a module
 * file, for the loader's choice of transpiling it: 1 an import or export
 * statement at the top level, 2 an import() or import.meta, 4 the lexer
 * could not follow the file (the loader then goes by the text). */
static JSValueRef h_module_syntax(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
				  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc < 1 || !JSValueIsString(ctx, argv[0]))
		return throw_type(ctx, exc, "moduleSyntax needs a source string");
	JSStringRef src = JSValueToStringCopy(ctx, argv[0], NULL);
	struct jsscan sc;
	int bits = 4;
	if (!jsscan(JSStringGetCharactersPtr(src), JSStringGetLength(src), &sc)) {
		bits = (sc.module_syntax ? 1 : 0) | (sc.dynamic_import ? 2 : 0) | (sc.ok ? 0 : 4);
		jsscan_free(&sc);
	}
	JSStringRelease(src);
	return JSValueMakeNumber(ctx, bits);
}

/* host.evaluate(source, filename): a package file, already wrapped by the
 * loader (its line 1 is the file's line 1), evaluated as a classic script in
 * this context. Exceptions propagate. Like the main script, it is the
 * tenant's own code. */
static JSValueRef h_evaluate(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc < 2 || !JSValueIsString(ctx, argv[0]) || !JSValueIsString(ctx, argv[1]))
		return throw_type(ctx, exc, "evaluate needs source and file name strings");
	JSStringRef src = JSValueToStringCopy(ctx, argv[0], exc);
	JSStringRef url = JSValueToStringCopy(ctx, argv[1], exc);
	JSValueRef v = NULL;
	if (src && url)
		v = JSEvaluateScript(ctx, src, NULL, url, 1, exc);
	if (src)
		JSStringRelease(src);
	if (url)
		JSStringRelease(url);
	return v ? v : JSValueMakeUndefined(ctx);
}

/* host.write(fd, string): process.stdout/stderr.write, no newline added. */
static JSValueRef h_write(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || argc < 2 || !JSValueIsNumber(ctx, argv[0]))
		return throw_type(ctx, exc, "write needs a file descriptor (1 or 2) and a string");
	double fd = JSValueToNumber(ctx, argv[0], NULL);
	if (fd != 1 && fd != 2)
		return throw_type(ctx, exc, "write: only fd 1 (stdout) and 2 (stderr)");
	size_t n = 0;
	char *p;
	if (is_u8(ctx, argv[1])) {
		const unsigned char *b = u8_bytes(ctx, argv[1], &n, exc);
		p = malloc(n ? n : 1);
		if (p)
			memcpy(p, b, n);
	} else {
		p = jsval_to_cstr(ctx, argv[1], x->req->output_cap + 1, &n);
	}
	if (!p)
		return JSValueMakeBoolean(ctx, false);
	host_output(x, fd == 1 ? 1 : 2, p, n);
	free(p);
	return JSValueMakeBoolean(ctx, true);
}

/* --- fs ----------------------------------------------------------------- */

static char *path_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[])
{
	if (argc < 1 || !JSValueIsString(ctx, argv[0]))
		return NULL;
	return jsval_to_cstr(ctx, argv[0], 4097, NULL);
}

static struct vfs *exec_vfs(void)
{
	struct exec *x = exec_current;
	if (!x)
		return NULL;
	if (!x->vfs)
		x->vfs = vfs_new(x->req->tmp_cap ? x->req->tmp_cap : (10u << 20));
	return x->vfs;
}

static JSValueRef h_fs_read(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			    size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *path = path_arg(ctx, argc, argv);
	struct vfs *v = exec_vfs();
	if (!path || !v) {
		free(path);
		return throw_type(ctx, exc, "fs.read needs a path string");
	}
	size_t n = 0;
	const void *p = vfs_read(v, path, &n);
	free(path);
	if (!p)
		return JSValueMakeNull(ctx);
	JSObjectRef u8 = make_u8(ctx, p, n, exc);
	return u8 ? u8 : JSValueMakeNull(ctx);
}

static JSValueRef h_fs_stat(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			    size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *path = path_arg(ctx, argc, argv);
	struct vfs *v = exec_vfs();
	struct vfs_stat st;
	if (!path || !v) {
		free(path);
		return throw_type(ctx, exc, "fs.stat needs a path string");
	}
	int rc = vfs_stat(v, path, &st);
	free(path);
	if (rc)
		return JSValueMakeNull(ctx);
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	jsval_set(ctx, o, "type", jsval_str(ctx, st.type == VFS_DIR ? "dir" : "file"), 0);
	jsval_set(ctx, o, "size", JSValueMakeNumber(ctx, (double)st.size), 0);
	jsval_set(ctx, o, "mtimeMs", JSValueMakeNumber(ctx, st.mtime_ms), 0);
	return o;
}

/* Names go straight into the JS array: a value held only in malloc'd
 * memory is invisible to JSC's conservative GC. */
struct list_acc {
	JSContextRef ctx;
	JSObjectRef arr;
	unsigned n;
};

static void list_cb(void *ud, const char *name)
{
	struct list_acc *a = ud;
	JSObjectSetPropertyAtIndex(a->ctx, a->arr, a->n++, jsval_str(a->ctx, name), NULL);
}

static JSValueRef h_fs_list(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			    size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *path = path_arg(ctx, argc, argv);
	struct vfs *v = exec_vfs();
	if (!path || !v) {
		free(path);
		return throw_type(ctx, exc, "fs.list needs a path string");
	}
	struct list_acc a = { ctx, JSObjectMakeArray(ctx, 0, NULL, exc), 0 };
	if (!a.arr) {
		free(path);
		return JSValueMakeUndefined(ctx);
	}
	int rc = vfs_list(v, path, list_cb, &a);
	free(path);
	return rc ? JSValueMakeNull(ctx) : (JSValueRef)a.arr;
}

static JSValueRef fs_code(JSContextRef ctx, int rc)
{
	if (!rc)
		return jsval_str(ctx, "");
	const char *n = strerrorname_np(-rc);
	return jsval_str(ctx, n ? n : "EIO");
}

static JSValueRef h_fs_write(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *path = path_arg(ctx, argc, argv);
	struct vfs *v = exec_vfs();
	if (!path || !v || argc < 2 || !is_u8(ctx, argv[1])) {
		free(path);
		return throw_type(ctx, exc, "fs.write needs a path and a Uint8Array");
	}
	size_t n;
	const unsigned char *p = u8_bytes(ctx, argv[1], &n, exc);
	int rc = vfs_write(v, path, p, n, argc > 2 && JSValueToBoolean(ctx, argv[2]));
	free(path);
	return fs_code(ctx, rc);
}

static JSValueRef h_fs_remove(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			      size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *path = path_arg(ctx, argc, argv);
	struct vfs *v = exec_vfs();
	if (!path || !v) {
		free(path);
		return throw_type(ctx, exc, "fs.remove needs a path string");
	}
	int rc = vfs_remove(v, path);
	free(path);
	return fs_code(ctx, rc);
}

static JSValueRef h_fs_mkdir(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			     size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	char *path = path_arg(ctx, argc, argv);
	struct vfs *v = exec_vfs();
	if (!path || !v) {
		free(path);
		return throw_type(ctx, exc, "fs.mkdir needs a path string");
	}
	int rc = vfs_mkdir(v, path);
	free(path);
	return fs_code(ctx, rc);
}

/* --- the host object and the loader ------------------------------------- */

static JSObjectRef make_host(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef h = JSObjectMake(ctx, NULL, NULL);
	static const struct {
		const char *name;
		JSObjectCallAsFunctionCallback cb;
	} fns[] = {
		{ "randomFill", h_random_fill }, { "digest", h_digest }, { "now", h_now },
		{ "utf8Encode", h_utf8_encode }, { "utf8Decode", h_utf8_decode },
		{ "transpile", h_transpile }, { "evaluate", h_evaluate }, { "write", h_write },
		{ "moduleSyntax", h_module_syntax },
		{ "source", NULL },
	}, fsfns[] = {
		{ "read", h_fs_read }, { "stat", h_fs_stat }, { "list", h_fs_list },
		{ "write", h_fs_write }, { "remove", h_fs_remove }, { "mkdir", h_fs_mkdir },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		jsval_set(ctx, h, fns[i].name, fns[i].cb ? jsval_make_fn(ctx, fns[i].name, fns[i].cb)
							  : exec_source_fn(ctx), 0);
	JSObjectRef fs = JSObjectMake(ctx, NULL, NULL);
	for (size_t i = 0; i < sizeof fsfns / sizeof fsfns[0]; i++)
		jsval_set(ctx, fs, fsfns[i].name, jsval_make_fn(ctx, fsfns[i].name, fsfns[i].cb), 0);
	jsval_set(ctx, h, "fs", fs, 0);
	jsval_set(ctx, h, "crypto", host_crypto_object(ctx), 0);
	jsval_set(ctx, h, "timeOrigin", JSValueMakeNumber(ctx, x->time_origin_ms), 0);
	jsval_set(ctx, h, "env", host_env_object(x), 0);
	jsval_set(ctx, h, "zlib", host_zlib_object(x), 0);
	if (x->io && x->io->send) {
		jsval_set(ctx, h, "fetch", jsval_make_fn(ctx, "fetch", host_fetch_call), 0);
		jsval_set(ctx, h, "fetchAbort", jsval_make_fn(ctx, "fetchAbort", host_fetch_abort_call), 0);
		jsval_set(ctx, h, "fetchWant", jsval_make_fn(ctx, "fetchWant", host_fetch_want_call), 0);
	}
	return h;
}

static JSObjectRef rt_exports_of(struct exec *x);

/* Evaluates the runtime in x's context and installs it. Returns 0, or -1
 * with *exc set. */
static int load_runtime(struct exec *x, JSValueRef *exc)
{
	if (x->rt_state == 2)
		return 0;
	if (x->rt_state == 1) {
		*exc = jsval_str(x->ctx, "the runtime failed to load in this execution");
		return -1;
	}
	x->rt_state = 1;
	JSValueRef rt = bundles_eval(&x->eng->bundles, x->ctx, BUNDLE_RUNTIME, exc);
	if (!rt || *exc || !JSValueIsObject(x->ctx, rt))
		return -1;
	JSValueRef install = jsval_get(x->ctx, (JSObjectRef)rt, "install");
	if (!install || !JSValueIsObject(x->ctx, install))
		return -1;
	JSValueRef args[2] = { JSContextGetGlobalObject(x->ctx), make_host(x) };
	JSObjectCallAsFunction(x->ctx, (JSObjectRef)install, (JSObjectRef)rt, 2, args, exc);
	if (*exc)
		return -1;
	x->rt_state = 2;
	x->rt_obj = (JSObjectRef)rt;
	JSValueProtect(x->ctx, rt);
	return 0;
}

static JSObjectRef rt_exports_of(struct exec *x)
{
	return x->rt_obj;
}

JSObjectRef host_runtime_exports(struct exec *x, JSValueRef *exc)
{
	if (!bundles_runtime_available()) {
		*exc = jsval_str(x->ctx, "the runtime is not built in");
		return NULL;
	}
	if (load_runtime(x, exc))
		return NULL;
	return rt_exports_of(x);
}

JSObjectRef host_runtime_stack(struct exec *x, JSValueRef *exc)
{
	JSContextRef ctx = x->ctx;
	JSValueRef v = bundles_eval(&x->eng->bundles, ctx, BUNDLE_STACK, exc);
	if (!v || *exc || !JSValueIsObject(ctx, v))
		return NULL;
	JSValueRef set = jsval_get(ctx, (JSObjectRef)v, "setSource");
	if (set && JSValueIsObject(ctx, set)) {
		JSValueRef src = exec_source_fn(ctx);
		JSObjectCallAsFunction(ctx, (JSObjectRef)set, (JSObjectRef)v, 1, &src, exc);
	}
	return *exc ? NULL : (JSObjectRef)v;
}

static JSValueRef rt_load(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	if (!x || argc < 1 || !JSValueIsString(ctx, argv[0]))
		return JSValueMakeUndefined(ctx);
	if (argc >= 2) {
		/* load("corral:stack", 1): the stack bundle's exports, for the
		 * lazy definer's error constructors (bundles.c). */
		JSObjectRef m = host_runtime_stack(x, exc);
		return m ? (JSValueRef)m : JSValueMakeUndefined(ctx);
	}
	if (x->rt_state == 2) {
		/* install() left this accessor in place: no such global. */
		return JSValueMakeUndefined(ctx);
	}
	if (load_runtime(x, exc))
		return JSValueMakeUndefined(ctx);
	JSStringRef name = JSValueToStringCopy(ctx, argv[0], NULL);
	JSValueRef v = JSObjectGetProperty(ctx, JSContextGetGlobalObject(ctx), name, exc);
	JSStringRelease(name);
	return v;
}

/* --- Math.cbrt ----------------------------------------------------------- */

/* The cube root of x correctly rounded. JavaScriptCore's Math.cbrt is the C
 * library's, which is off by one ulp for half of all doubles (cbrt(27) is
 * 3.0000000000000004); V8's (fdlibm's) is within 0.667 ulp. Starting from
 * the library's answer, each step measures the residual y^3 - x exactly
 * enough with fma (y*y and y*y*y as sums of doubles; p1 - x is exact by
 * Sterbenz's lemma, p1 being within a few ulps of x) and moves y one ulp
 * while the true root lies past the midpoint to a neighbour. Inputs near
 * the ends of the range are scaled by 2^±300 so that no partial product
 * leaves the normal range. Exact cubes give exact roots. */
static double cbrt_rounded(double x)
{
	double y = cbrt(x);
	if (!isfinite(y) || y == 0)
		return y;
	int scale = 0;
	if (fabs(x) < 0x1p-900) {
		x = ldexp(x, 300);
		scale = -100;
		y = cbrt(x);
	} else if (fabs(x) > 0x1p900) {
		x = ldexp(x, -300);
		scale = 100;
		y = cbrt(x);
	}
	for (int k = 0; k < 6; k++) {
		double y2 = y * y, e2 = fma(y, y, -y2);
		double p1 = y2 * y, q1 = fma(y2, y, -p1);
		double p2 = e2 * y, q2 = fma(e2, y, -p2);
		double r = ((p1 - x) + p2) + (q1 + q2);
		double d = -r / (3 * y2); /* the root minus y, to first order */
		double up = nextafter(y, INFINITY) - y, down = y - nextafter(y, -INFINITY);
		if (d > up / 2)
			y = nextafter(y, INFINITY);
		else if (-d > down / 2)
			y = nextafter(y, -INFINITY);
		else
			break;
	}
	return ldexp(y, scale);
}

static JSValueRef h_cbrt(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	if (argc && JSValueGetType(ctx, argv[0]) == kJSTypeBigInt)
		return throw_type(ctx, exc, "Cannot convert a BigInt value to a number");
	double x = argc ? JSValueToNumber(ctx, argv[0], exc) : NAN;
	if (*exc)
		return JSValueMakeUndefined(ctx);
	return JSValueMakeNumber(ctx, cbrt_rounded(x));
}

/* Math.cbrt becomes cbrt_rounded, with the built-in's name, length and
 * attributes (writable, configurable, not enumerable). */
static void install_math(JSContextRef ctx, JSObjectRef global)
{
	JSValueRef math = jsval_get(ctx, global, "Math");
	JSValueRef object = jsval_get(ctx, global, "Object");
	JSValueRef define = object && JSValueIsObject(ctx, object) ? jsval_get(ctx, (JSObjectRef)object, "defineProperty") : NULL;
	if (!math || !JSValueIsObject(ctx, math) || !define || !JSValueIsObject(ctx, define))
		return;
	JSObjectRef f = jsval_make_fn(ctx, "cbrt", h_cbrt);
	JSObjectRef desc = JSObjectMake(ctx, NULL, NULL);
	jsval_set(ctx, desc, "value", JSValueMakeNumber(ctx, 1), kJSPropertyAttributeNone);
	JSValueRef args[3] = { f, jsval_str(ctx, "length"), desc };
	JSObjectCallAsFunction(ctx, (JSObjectRef)define, NULL, 3, args, NULL);
	jsval_set(ctx, (JSObjectRef)math, "cbrt", f, kJSPropertyAttributeDontEnum);
}

void host_runtime_install(struct exec *x, JSObjectRef global)
{
	install_math(x->ctx, global);
	if (!bundles_runtime_available())
		return;
	JSValueRef exc = NULL;
	JSValueRef definer = bundles_eval(&x->eng->bundles, x->ctx, BUNDLE_LAZY, &exc);
	if (!definer || exc || !JSValueIsObject(x->ctx, definer))
		return;
	JSValueRef load = jsval_make_fn(x->ctx, "load", rt_load);
	JSObjectCallAsFunction(x->ctx, (JSObjectRef)definer, NULL, 1, &load, &exc);
}
