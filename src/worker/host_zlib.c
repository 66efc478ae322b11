/* host_zlib — host.zlib: streaming compressors and decompressors on the C
 * zlib and brotli libraries, for the runtime's zlib module
 * (js/runtime/node/zlib.js) and the web CompressionStream.
 *
 * A handle is a JS object of a private class whose private data is a
 * struct zh: one z_stream, BrotliEncoderState or BrotliDecoderState. The
 * runtime drives it as Node's binding is driven: write(handle, flush, in,
 * inOff, inLen, out, outOff, outLen, state) runs the library once over the
 * given input into the given output window and stores what is left of
 * each in state[0] (output) and state[1] (input). The output window is the
 * caller's buffer, so no call produces more than outLen bytes however much
 * the input inflates to: the caller decides when to stop (maxOutputLength),
 * and a zip bomb costs only the chunks the program keeps. The library's
 * own memory (a deflate state is ~270 KB, a brotli encoder up to tens of
 * MB) comes from malloc and is charged to the execution as resident
 * growth, like any other.
 *
 * A handle belongs to the execution that opened it. Its state is freed by
 * close(), by the object's finalizer when the garbage collector takes it,
 * or when that execution ends (host_zlib_clear), whichever comes first;
 * after that the object has no private data and every call on it throws.
 * Every open handle is on one list of the worker's, so that the end of an
 * execution finds its own. The finalizer runs inside a collection and
 * touches only that list and the library. */
#include "worker/engine_internal.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The modes, with Node's numbers (zlib.constants.DEFLATE ...). */
enum {
	ZM_DEFLATE = 1,
	ZM_INFLATE,
	ZM_GZIP,
	ZM_GUNZIP,
	ZM_DEFLATERAW,
	ZM_INFLATERAW,
	ZM_UNZIP,
	ZM_BROTLI_DECODE,
	ZM_BROTLI_ENCODE,
};

#define ZH_MAX_PER_EXEC 4096
#define ZH_DICT_MAX (1u << 20)
#define BROTLI_NPARAMS 9 /* BROTLI_PARAM_MODE .. BROTLI_PARAM_NDIRECT */

struct zh {
	struct zh *prev, *next;  /* every open handle of the worker */
	struct exec *x;          /* the execution that opened it */
	JSObjectRef obj;         /* not protected: the finalizer unlinks */
	int mode;                /* UNZIP becomes GUNZIP or INFLATE on its first bytes */
	int init_mode;
	int level, wbits, memlevel, strategy;
	unsigned char *dict;
	size_t ndict;
	int gzip_id_read;        /* UNZIP: bytes of the gzip magic seen */
	bool zinit;              /* strm is initialised */
	z_stream strm;
	BrotliEncoderState *enc;
	BrotliDecoderState *dec;
	int64_t bparams[BROTLI_NPARAMS]; /* -1: not set */
};

static struct zh *open_list;
static unsigned open_count;

static JSValueRef throw_type(JSContextRef ctx, JSValueRef *exc, const char *msg)
{
	return jsval_throw(ctx, exc, "TypeError", msg);
}

/* --- the library states -------------------------------------------------- */

static void zh_release_state(struct zh *h)
{
	if (h->zinit) {
		if (h->mode == ZM_DEFLATE || h->mode == ZM_GZIP || h->mode == ZM_DEFLATERAW)
			deflateEnd(&h->strm);
		else
			inflateEnd(&h->strm);
		h->zinit = false;
	}
	if (h->enc)
		BrotliEncoderDestroyInstance(h->enc);
	if (h->dec)
		BrotliDecoderDestroyInstance(h->dec);
	h->enc = NULL;
	h->dec = NULL;
}

static void zh_unlink(struct zh *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		open_list = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	open_count--;
}

/* Frees h and its state. Its object, if still alive, must have been
 * detached (JSObjectSetPrivate NULL) by the caller or be finalizing. */
static void zh_free(struct zh *h)
{
	zh_release_state(h);
	zh_unlink(h);
	free(h->dict);
	free(h);
}

static void zh_finalize(JSObjectRef obj)
{
	struct zh *h = JSObjectGetPrivate(obj);
	if (h)
		zh_free(h);
}

static JSClassRef zh_class(void)
{
	static JSClassRef cls;
	if (!cls) {
		JSClassDefinition def = kJSClassDefinitionEmpty;
		def.className = "ZlibHandle";
		def.finalize = zh_finalize;
		cls = JSClassCreate(&def);
	}
	return cls;
}

/* Node's SetDictionary: at the start for the raw and zlib compressors and
 * the raw decompressor; the zlib decompressor takes it when the stream
 * asks (Z_NEED_DICT). */
static int zh_set_dictionary(struct zh *h)
{
	if (!h->ndict)
		return Z_OK;
	switch (h->mode) {
	case ZM_DEFLATE:
	case ZM_DEFLATERAW:
		return deflateSetDictionary(&h->strm, h->dict, (uInt)h->ndict);
	case ZM_INFLATERAW:
		return inflateSetDictionary(&h->strm, h->dict, (uInt)h->ndict);
	default:
		return Z_OK;
	}
}

/* Makes h's library state for its mode and options. Returns 0 or -1. */
static int zh_init_state(struct zh *h)
{
	h->mode = h->init_mode;
	h->gzip_id_read = 0;
	if (h->mode == ZM_BROTLI_ENCODE) {
		h->enc = BrotliEncoderCreateInstance(NULL, NULL, NULL);
		if (!h->enc)
			return -1;
		for (int i = 0; i < BROTLI_NPARAMS; i++)
			if (h->bparams[i] >= 0 &&
			    !BrotliEncoderSetParameter(h->enc, (BrotliEncoderParameter)i, (uint32_t)h->bparams[i]))
				return -1;
		return 0;
	}
	if (h->mode == ZM_BROTLI_DECODE) {
		h->dec = BrotliDecoderCreateInstance(NULL, NULL, NULL);
		if (!h->dec)
			return -1;
		for (int i = 0; i < BROTLI_NPARAMS; i++)
			if (h->bparams[i] >= 0 &&
			    (i > BROTLI_DECODER_PARAM_LARGE_WINDOW ||
			     !BrotliDecoderSetParameter(h->dec, (BrotliDecoderParameter)i, (uint32_t)h->bparams[i])))
				return -1;
		return 0;
	}
	int wbits = h->wbits;
	if (h->mode == ZM_GZIP || h->mode == ZM_GUNZIP)
		wbits += 16;
	else if (h->mode == ZM_UNZIP)
		wbits += 32;
	else if (h->mode == ZM_DEFLATERAW || h->mode == ZM_INFLATERAW)
		wbits = -wbits;
	memset(&h->strm, 0, sizeof h->strm);
	int rc;
	if (h->mode == ZM_DEFLATE || h->mode == ZM_GZIP || h->mode == ZM_DEFLATERAW)
		rc = deflateInit2(&h->strm, h->level, Z_DEFLATED, wbits, h->memlevel, h->strategy);
	else
		rc = inflateInit2(&h->strm, wbits);
	if (rc != Z_OK)
		return -1;
	h->zinit = true;
	return zh_set_dictionary(h) == Z_OK ? 0 : -1;
}

/* --- errors, as Node's binding reports them ------------------------------ */

struct zerr {
	const char *message;
	const char *code;
	int errno_;
	char buf[64];
};

static const char *z_code_name(int err)
{
	switch (err) {
	case Z_OK: return "Z_OK";
	case Z_STREAM_END: return "Z_STREAM_END";
	case Z_NEED_DICT: return "Z_NEED_DICT";
	case Z_ERRNO: return "Z_ERRNO";
	case Z_STREAM_ERROR: return "Z_STREAM_ERROR";
	case Z_DATA_ERROR: return "Z_DATA_ERROR";
	case Z_MEM_ERROR: return "Z_MEM_ERROR";
	case Z_BUF_ERROR: return "Z_BUF_ERROR";
	case Z_VERSION_ERROR: return "Z_VERSION_ERROR";
	default: return "Z_UNKNOWN_ERROR";
	}
}

/* Node's ZlibContext::GetErrorInfo: zlib's own message when it set one. */
static bool z_error(const struct zh *h, int err, int flush, struct zerr *e)
{
	const char *msg;
	switch (err) {
	case Z_OK:
	case Z_BUF_ERROR:
		if (h->strm.avail_out != 0 && flush == Z_FINISH) {
			msg = "unexpected end of file";
			break;
		}
		return false;
	case Z_STREAM_END:
		return false;
	case Z_NEED_DICT:
		msg = h->ndict ? "Bad dictionary" : "Missing dictionary";
		break;
	default:
		msg = "Zlib error";
		break;
	}
	e->message = h->strm.msg ? h->strm.msg : msg;
	e->code = z_code_name(err);
	e->errno_ = err;
	return true;
}

/* One inflate step as Node's binding does it: the UNZIP mode picks gunzip
 * or inflate on the first two bytes; a dictionary is given when the stream
 * asks; and after the end of a gzip member, input that does not start with
 * a zero byte (padding) is taken as the next member. */
static int z_inflate(struct zh *h, int flush)
{
	if (h->mode == ZM_UNZIP) {
		const unsigned char *p = h->strm.avail_in ? h->strm.next_in : NULL;
		size_t left = h->strm.avail_in;
		if (h->gzip_id_read == 0 && p) {
			if (p[0] == 0x1f) {
				h->gzip_id_read = 1;
				p++;
				left--;
			} else {
				h->mode = ZM_INFLATE;
			}
		}
		if (h->mode == ZM_UNZIP && h->gzip_id_read == 1 && left) {
			if (p[0] == 0x8b) {
				h->gzip_id_read = 2;
				h->mode = ZM_GUNZIP;
			} else {
				h->mode = ZM_INFLATE;
			}
		}
	}
	int err = inflate(&h->strm, flush);
	if (h->mode != ZM_INFLATERAW && err == Z_NEED_DICT && h->ndict) {
		err = inflateSetDictionary(&h->strm, h->dict, (uInt)h->ndict);
		if (err == Z_OK)
			err = inflate(&h->strm, flush);
		else if (err == Z_DATA_ERROR)
			err = Z_NEED_DICT; /* a bad dictionary, not bad input */
	}
	while (h->strm.avail_in > 0 && h->mode == ZM_GUNZIP && err == Z_STREAM_END &&
	       h->strm.next_in[0] != 0x00) {
		err = inflateReset(&h->strm);
		if (err != Z_OK)
			break;
		err = inflate(&h->strm, flush);
	}
	return err;
}

/* --- host functions ------------------------------------------------------ */

static bool is_u8(JSContextRef ctx, JSValueRef v)
{
	return v && JSValueIsObject(ctx, v) &&
	       JSValueGetTypedArrayType(ctx, v, NULL) == kJSTypedArrayTypeUint8Array;
}

/* argv[i] as an integer in [lo, hi], or false. */
static bool int_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[], size_t i, double lo, double hi,
		    double *out)
{
	if (i >= argc || !JSValueIsNumber(ctx, argv[i]))
		return false;
	double d = JSValueToNumber(ctx, argv[i], NULL);
	if (!(d >= lo && d <= hi) || d != floor(d))
		return false;
	*out = d;
	return true;
}

static struct zh *handle_arg(JSContextRef ctx, size_t argc, const JSValueRef argv[])
{
	if (argc < 1 || !JSValueIsObjectOfClass(ctx, argv[0], zh_class()))
		return NULL;
	return JSObjectGetPrivate((JSObjectRef)argv[0]);
}

/* What the library will allocate for h, about (zlib.h's figures; brotli's
 * window and ring buffer): what the collector is told a handle costs. */
static size_t zh_cost(const struct zh *h)
{
	int wbits = h->wbits ? h->wbits : 15;
	switch (h->init_mode) {
	case ZM_DEFLATE:
	case ZM_GZIP:
	case ZM_DEFLATERAW:
		return ((size_t)1 << (wbits + 2)) + ((size_t)1 << (h->memlevel + 9));
	case ZM_BROTLI_ENCODE: {
		int64_t lgwin = h->bparams[BROTLI_PARAM_LGWIN];
		return (size_t)3 << (lgwin >= 10 && lgwin <= 24 ? lgwin : BROTLI_DEFAULT_WINDOW);
	}
	case ZM_BROTLI_DECODE:
		return (size_t)1 << BROTLI_DEFAULT_WINDOW;
	default:
		return ((size_t)1 << wbits) + 7168;
	}
}

/* open(mode, windowBits, level, memLevel, strategy, dictionary) for the zlib
 * modes, open(mode, params) for brotli, params an array of
 * BROTLI_NPARAMS numbers (-1: the library's default). Returns a handle, or
 * null when the library refuses the options (Node's "Initialization
 * failed"). The runtime has checked the ranges; these checks only keep
 * the library safe from other callers. */
static JSValueRef h_open(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			 size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct exec *x = exec_current;
	double mode;
	if (!x || !int_arg(ctx, argc, argv, 0, ZM_DEFLATE, ZM_BROTLI_ENCODE, &mode))
		return throw_type(ctx, exc, "zlib.open needs a mode (1..9)");
	if (open_count >= ZH_MAX_PER_EXEC) {
		unsigned mine = 0;
		for (struct zh *h = open_list; h; h = h->next)
			mine += h->x == x;
		if (mine >= ZH_MAX_PER_EXEC)
			return jsval_throw(ctx, exc, "RangeError",
					   "too many zlib streams open at once (4096): close() the ones you are done with");
	}
	struct zh *h = calloc(1, sizeof *h);
	if (!h)
		return jsval_throw(ctx, exc, "RangeError", "out of memory for a zlib stream");
	h->init_mode = (int)mode;
	for (int i = 0; i < BROTLI_NPARAMS; i++)
		h->bparams[i] = -1;
	const char *bad = NULL;
	if (mode == ZM_BROTLI_ENCODE || mode == ZM_BROTLI_DECODE) {
		if (argc > 1 && JSValueIsArray(ctx, argv[1])) {
			for (unsigned i = 0; i < BROTLI_NPARAMS && !bad; i++) {
				JSValueRef v = JSObjectGetPropertyAtIndex(ctx, (JSObjectRef)argv[1], i, NULL);
				if (!v || JSValueIsUndefined(ctx, v))
					continue;
				double d = JSValueToNumber(ctx, v, NULL);
				if (d == -1)
					continue;
				if (!(d >= 0 && d <= 0xffffffffu) || d != floor(d))
					bad = "zlib.open: a brotli parameter is not a 32-bit unsigned integer";
				else
					h->bparams[i] = (int64_t)d;
			}
		}
	} else {
		double wbits, level, memlevel, strategy;
		if (!int_arg(ctx, argc, argv, 1, 0, 15, &wbits) || !int_arg(ctx, argc, argv, 2, -1, 9, &level) ||
		    !int_arg(ctx, argc, argv, 3, 1, 9, &memlevel) || !int_arg(ctx, argc, argv, 4, 0, 4, &strategy)) {
			bad = "zlib.open: windowBits, level, memLevel or strategy out of range";
		} else {
			h->wbits = (int)wbits;
			h->level = (int)level;
			h->memlevel = (int)memlevel;
			h->strategy = (int)strategy;
		}
		if (!bad && (mode == ZM_DEFLATE || mode == ZM_GZIP || mode == ZM_DEFLATERAW) && wbits < 8)
			bad = "zlib.open: windowBits out of range";
		if (!bad && argc > 5 && is_u8(ctx, argv[5])) {
			size_t n;
			const unsigned char *p = jsval_u8_bytes(ctx, (JSObjectRef)argv[5], &n);
			if (n > ZH_DICT_MAX) {
				bad = "zlib.open: the dictionary is over 1 MiB";
			} else if (n) {
				h->dict = malloc(n);
				if (!h->dict) {
					free(h);
					return jsval_throw(ctx, exc, "RangeError", "out of memory for a zlib dictionary");
				}
				memcpy(h->dict, p, n);
				h->ndict = n;
			}
		}
	}
	if (bad) {
		free(h->dict);
		free(h);
		return throw_type(ctx, exc, bad);
	}
	h->x = x;
	h->next = open_list;
	if (open_list)
		open_list->prev = h;
	open_list = h;
	open_count++;
	if (zh_init_state(h)) {
		zh_free(h);
		return JSValueMakeNull(ctx);
	}
	/* Before the object exists: the report may collect, and the new
	 * object, held only in h (malloc'd memory, which the collector does
	 * not scan), would not survive it. */
	JSReportExtraMemoryCost(ctx, zh_cost(h));
	JSObjectRef obj = JSObjectMake(ctx, zh_class(), h);
	h->obj = obj;
	return obj;
}

static void set_state(JSContextRef ctx, JSObjectRef state, size_t avail_out, size_t avail_in)
{
	uint32_t *s = JSObjectGetTypedArrayBytesPtr(ctx, state, NULL);
	size_t off = JSObjectGetTypedArrayByteOffset(ctx, state, NULL);
	if (s) {
		s = (uint32_t *)((char *)s + off);
		s[0] = (uint32_t)avail_out;
		s[1] = (uint32_t)avail_in;
	}
}

/* write(handle, flush, in, inOff, inLen, out, outOff, outLen, state): one
 * run of the library. Returns null, or [message, errno, code] when the
 * library failed (the handle is then spent: the runtime closes it). */
static JSValueRef h_write(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct zh *h = handle_arg(ctx, argc, argv);
	if (!h)
		return jsval_throw(ctx, exc, "Error", "zlib binding closed");
	double flush, in_off, in_len, out_off, out_len;
	size_t in_n = 0, out_n;
	const unsigned char *in = (const unsigned char *)"";
	if (argc < 9 || !int_arg(ctx, argc, argv, 1, 0, 6, &flush) ||
	    !is_u8(ctx, argv[5]) || !JSValueIsObject(ctx, argv[8]) ||
	    JSValueGetTypedArrayType(ctx, argv[8], NULL) != kJSTypedArrayTypeUint32Array ||
	    JSObjectGetTypedArrayLength(ctx, (JSObjectRef)argv[8], NULL) < 2)
		return throw_type(ctx, exc, "zlib.write(handle, flush, in, inOff, inLen, out, outOff, outLen, state)");
	if (is_u8(ctx, argv[2]))
		in = jsval_u8_bytes(ctx, (JSObjectRef)argv[2], &in_n);
	else if (!JSValueIsNull(ctx, argv[2]))
		return throw_type(ctx, exc, "zlib.write: the input must be a Uint8Array or null");
	unsigned char *out = (unsigned char *)jsval_u8_bytes(ctx, (JSObjectRef)argv[5], &out_n);
	if (!int_arg(ctx, argc, argv, 3, 0, (double)in_n, &in_off) ||
	    !int_arg(ctx, argc, argv, 4, 0, (double)in_n - in_off, &in_len) ||
	    !int_arg(ctx, argc, argv, 6, 0, (double)out_n, &out_off) ||
	    !int_arg(ctx, argc, argv, 7, 0, (double)out_n - out_off, &out_len) ||
	    in_len > UINT32_MAX || out_len > UINT32_MAX)
		return jsval_throw(ctx, exc, "RangeError", "zlib.write: offsets or lengths out of range");
	JSObjectRef state = (JSObjectRef)argv[8];
	struct zerr e = { 0 };
	bool failed = false;
	const unsigned char *next_in = in + (size_t)in_off;
	unsigned char *next_out = out + (size_t)out_off;
	size_t avail_in = (size_t)in_len, avail_out = (size_t)out_len;
	int fl = (int)flush;

	if (h->enc) {
		if (fl > BROTLI_OPERATION_EMIT_METADATA)
			return jsval_throw(ctx, exc, "RangeError", "zlib.write: not a brotli operation");
		if (!BrotliEncoderCompressStream(h->enc, (BrotliEncoderOperation)fl, &avail_in, &next_in,
						 &avail_out, &next_out, NULL)) {
			e = (struct zerr){ "Compression failed", "ERR_BROTLI_COMPRESSION_FAILED", -1, "" };
			failed = true;
		}
	} else if (h->dec) {
		BrotliDecoderResult r = BrotliDecoderDecompressStream(h->dec, &avail_in, &next_in, &avail_out,
								      &next_out, NULL);
		if (r == BROTLI_DECODER_RESULT_ERROR) {
			BrotliDecoderErrorCode c = BrotliDecoderGetErrorCode(h->dec);
			e.message = "Decompression failed";
			snprintf(e.buf, sizeof e.buf, "ERR_%s", BrotliDecoderErrorString(c));
			e.code = e.buf;
			e.errno_ = (int)c;
			failed = true;
		} else if (fl == BROTLI_OPERATION_FINISH && r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
			e = (struct zerr){ "unexpected end of file", "Z_BUF_ERROR", Z_BUF_ERROR, "" };
			failed = true;
		}
	} else if (h->zinit) {
		if (fl > Z_TREES)
			return jsval_throw(ctx, exc, "RangeError", "zlib.write: not a zlib flush value");
		h->strm.next_in = (Bytef *)next_in;
		h->strm.avail_in = (uInt)avail_in;
		h->strm.next_out = next_out;
		h->strm.avail_out = (uInt)avail_out;
		int err;
		if (h->mode == ZM_DEFLATE || h->mode == ZM_GZIP || h->mode == ZM_DEFLATERAW)
			err = deflate(&h->strm, fl);
		else
			err = z_inflate(h, fl);
		failed = z_error(h, err, fl, &e);
		avail_in = h->strm.avail_in;
		avail_out = h->strm.avail_out;
		h->strm.next_in = NULL;
		h->strm.next_out = NULL;
	} else {
		return jsval_throw(ctx, exc, "Error", "zlib binding closed");
	}
	set_state(ctx, state, avail_out, avail_in);
	if (!failed)
		return JSValueMakeNull(ctx);
	JSValueRef parts[3] = { jsval_str(ctx, e.message), JSValueMakeNumber(ctx, e.errno_), jsval_str(ctx, e.code) };
	return JSObjectMakeArray(ctx, 3, parts, exc);
}

/* reset(handle): the stream starts over with the same options. Returns
 * true, or false when the library cannot make the state again. */
static JSValueRef h_reset(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct zh *h = handle_arg(ctx, argc, argv);
	if (!h)
		return jsval_throw(ctx, exc, "Error", "zlib binding closed");
	int rc = 0;
	if (h->zinit && h->init_mode != ZM_UNZIP) {
		if (h->mode == ZM_DEFLATE || h->mode == ZM_GZIP || h->mode == ZM_DEFLATERAW)
			rc = deflateReset(&h->strm) == Z_OK ? 0 : -1;
		else
			rc = inflateReset(&h->strm) == Z_OK ? 0 : -1;
		if (!rc)
			rc = zh_set_dictionary(h) == Z_OK ? 0 : -1;
	} else {
		zh_release_state(h);
		rc = zh_init_state(h);
	}
	return JSValueMakeBoolean(ctx, rc == 0);
}

/* params(handle, level, strategy): deflateParams for a compressor that has
 * just been flushed. Returns true or false. */
static JSValueRef h_params(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			   size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct zh *h = handle_arg(ctx, argc, argv);
	double level, strategy;
	if (!h)
		return jsval_throw(ctx, exc, "Error", "zlib binding closed");
	if (!int_arg(ctx, argc, argv, 1, -1, 9, &level) || !int_arg(ctx, argc, argv, 2, 0, 4, &strategy))
		return throw_type(ctx, exc, "zlib.params(handle, level, strategy)");
	if (!h->zinit || !(h->mode == ZM_DEFLATE || h->mode == ZM_GZIP || h->mode == ZM_DEFLATERAW))
		return JSValueMakeBoolean(ctx, true);
	int rc = deflateParams(&h->strm, (int)level, (int)strategy);
	if (rc == Z_OK) {
		h->level = (int)level;
		h->strategy = (int)strategy;
	}
	return JSValueMakeBoolean(ctx, rc == Z_OK);
}

/* close(handle): frees the state now; later calls on it throw. */
static JSValueRef h_close(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	struct zh *h = handle_arg(ctx, argc, argv);
	if (h) {
		JSObjectSetPrivate((JSObjectRef)argv[0], NULL);
		zh_free(h);
	}
	return JSValueMakeUndefined(ctx);
}

/* crc32(u8, value): zlib's CRC-32 of the bytes, continuing from value. */
static JSValueRef h_crc32(JSContextRef ctx, JSObjectRef fn, JSObjectRef self,
			  size_t argc, const JSValueRef argv[], JSValueRef *exc)
{
	double v = 0;
	if (argc < 1 || !is_u8(ctx, argv[0]) || (argc > 1 && !int_arg(ctx, argc, argv, 1, 0, 4294967295.0, &v)))
		return throw_type(ctx, exc, "zlib.crc32(Uint8Array, value)");
	size_t n;
	const unsigned char *p = jsval_u8_bytes(ctx, (JSObjectRef)argv[0], &n);
	uLong c = (uLong)v;
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		c = crc32(c, p, k);
		p += k;
		n -= k;
	}
	return JSValueMakeNumber(ctx, (double)c);
}

JSObjectRef host_zlib_object(struct exec *x)
{
	JSContextRef ctx = x->ctx;
	JSObjectRef o = JSObjectMake(ctx, NULL, NULL);
	static const struct {
		const char *name;
		JSObjectCallAsFunctionCallback cb;
	} fns[] = {
		{ "open", h_open }, { "write", h_write }, { "reset", h_reset },
		{ "params", h_params }, { "close", h_close }, { "crc32", h_crc32 },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		jsval_set(ctx, o, fns[i].name, jsval_make_fn(ctx, fns[i].name, fns[i].cb), 0);
	/* The default maxOutputLength: a quarter of the execution's memory
	 * budget, so that the pieces of a result and their concatenation
	 * fit in it, and a refusal is a RangeError the program can catch
	 * rather than the end of the execution. */
	uint64_t cap = x->req->memory_bytes ? x->req->memory_bytes / 4 : (uint64_t)0x7fffffff;
	if (cap > 0x7fffffff)
		cap = 0x7fffffff;
	jsval_set(ctx, o, "maxOutputLength", JSValueMakeNumber(ctx, (double)cap), 0);
	jsval_set(ctx, o, "zlibVernum", JSValueMakeNumber(ctx, ZLIB_VERNUM), 0);
	return o;
}

void host_zlib_clear(struct exec *x)
{
	struct zh *h = open_list, *next;
	for (; h; h = next) {
		next = h->next;
		if (h->x != x)
			continue;
		JSObjectSetPrivate(h->obj, NULL);
		zh_free(h);
	}
}

unsigned host_zlib_open_count(void)
{
	return open_count;
}
