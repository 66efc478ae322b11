/* test-ipc — frames between supervisor and worker.
 *
 * Round trips of every message type with every field; one rejection per
 * schema rule, each on an otherwise valid frame so that the rule under test
 * is the only reason; the incremental reader over real sockets; and random
 * mutations of valid frames, which must decode or give -EPROTO, never crash
 * (the ASan build turns any overread into a crash). Decoding always works on
 * an exact-size heap copy so that ASan sees a read past the end.
 *
 * CORRAL_TEST_SEED and CORRAL_TEST_ROUNDS override the random test's seed
 * and its number of mutations (10,000). */
#include "common/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

/* ---- building frames, including ones the encoder would never write ---- */

static struct buf fb = BUF_INIT(2 * (size_t)IPC_MAX_FRAME);

static void put16(char *p, uint16_t v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)(v >> 8);
}

static void put32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

static void fb_hdr(uint32_t len, uint16_t type, uint16_t zero)
{
	char h[8];
	put32(h, len);
	put16(h + 4, type);
	put16(h + 6, zero);
	buf_reset(&fb);
	buf_append(&fb, h, 8);
}

static void fb_begin(uint16_t type)
{
	fb_hdr(0, type, 0);
}

/* A field whose declared length may differ from the n bytes that follow. */
static void fb_field(uint16_t tag, uint32_t len, const void *p, size_t n)
{
	char h[6];
	put16(h, tag);
	put32(h + 2, len);
	buf_append(&fb, h, 6);
	buf_append(&fb, p, n);
}

static void fb_str(uint16_t tag, const char *s)
{
	fb_field(tag, (uint32_t)strlen(s), s, strlen(s));
}

/* A string field of n copies of 'x'. */
static void fb_fill(uint16_t tag, size_t n)
{
	char *p = malloc(n ? n : 1);
	memset(p, 'x', n);
	fb_field(tag, (uint32_t)n, p, n);
	free(p);
}

static void fb_u64(uint16_t tag, uint64_t v)
{
	char p[8];
	for (int i = 0; i < 8; i++)
		p[i] = (char)(v >> (8 * i));
	fb_field(tag, 8, p, 8);
}

/* The shortest valid frame of each type, as a base for one change. */
static void fb_exec_min(void)
{
	fb_begin(IPC_MSG_EXEC);
	fb_u64(IPC_T_SLOT, 1);
	fb_str(IPC_T_ID, "e1");
	fb_str(IPC_T_CODE, "1+1");
	fb_u64(IPC_T_TIMEOUT_MS, 1000);
}

static void fb_result_min(void)
{
	fb_begin(IPC_MSG_RESULT);
	fb_u64(IPC_T_SLOT, 1);
	fb_str(IPC_T_ID, "e1");
	fb_str(IPC_T_STATUS, "ok");
}

static void fb_output_min(void)
{
	fb_begin(IPC_MSG_OUTPUT);
	fb_u64(IPC_T_SLOT, 1);
	fb_u64(IPC_T_STREAM, IPC_STREAM_STDOUT);
	fb_str(IPC_T_DATA, "hi\n");
}

/* Sets the header's length to what follows it. */
static void fb_fix(void)
{
	put32(fb.data, (uint32_t)(fb.len - IPC_HEADER_LEN));
}

/* Decodes n bytes of p from an exact-size copy. */
static int decode_exact(const char *p, size_t n)
{
	struct ipc_msg m;
	char *copy = malloc(n ? n : 1);
	memcpy(copy, p, n);
	int rc = ipc_decode(copy, n, &m);
	free(copy);
	return rc;
}

/* Fixes the length, then decodes the frame being built. */
static int fb_decode(void)
{
	fb_fix();
	return decode_exact(fb.data, fb.len);
}

#define REJECTS(name) is_int(fb_decode(), -EPROTO, "rejects: %s", name)
#define ACCEPTS(name) is_int(fb_decode(), 0, "accepts: %s", name)

/* ---- round trips ---- */

struct spec {
	uint16_t tag;
	int is_u64;
	uint64_t v;
	const char *s;
	size_t n;
};

#define S(tag, lit) { (tag), 0, 0, (lit), sizeof(lit) - 1 }
#define U(tag, val) { (tag), 1, (val), NULL, 0 }

static char all_bytes[256];

/* Encodes the fields with ipc_enc_*, decodes, and checks every field back. */
static void round_trip(const char *name, enum ipc_type type, const struct spec *sp, unsigned n)
{
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN);
	int rc = ipc_enc_begin(&b, type);
	for (unsigned i = 0; i < n && !rc; i++)
		rc = sp[i].is_u64 ? ipc_enc_u64(&b, sp[i].tag, sp[i].v)
				  : ipc_enc_bytes(&b, sp[i].tag, sp[i].s, sp[i].n);
	rc = rc ? rc : ipc_enc_end(&b);
	is_int(rc, 0, "%s: encodes", name);

	size_t want_len = IPC_HEADER_LEN;
	for (unsigned i = 0; i < n; i++)
		want_len += 6 + (sp[i].is_u64 ? 8 : sp[i].n);
	is_int(b.len, want_len, "%s: encoded size is header + 6 per field + data", name);
	is_int(ipc_frame_size(b.data, b.len, IPC_MAX_FRAME), want_len, "%s: ipc_frame_size agrees", name);

	char *p = malloc(b.len);
	memcpy(p, b.data, b.len);
	struct ipc_msg m;
	memset(&m, 0xee, sizeof m);
	is_int(ipc_decode(p, b.len, &m), 0, "%s: decodes", name);
	is_int(m.type, type, "%s: type", name);
	is_int(m.nfields, n, "%s: field count", name);

	int fields_ok = m.nfields == n;
	for (unsigned i = 0; i < n && fields_ok; i++) {
		const struct ipc_field *f = &m.fields[i];
		int inside = f->data >= p + IPC_HEADER_LEN && f->data + f->len <= p + b.len;
		if (sp[i].is_u64) {
			uint64_t v = 0;
			for (int k = 7; k >= 0; k--)
				v = (v << 8) | (unsigned char)f->data[k];
			fields_ok = f->tag == sp[i].tag && f->len == 8 && inside && v == sp[i].v;
		} else {
			fields_ok = f->tag == sp[i].tag && f->len == sp[i].n && inside &&
				    !memcmp(f->data, sp[i].s, sp[i].n);
		}
		if (!fields_ok)
			diag("field %u (tag %u) differs", i, sp[i].tag);
	}
	ok(fields_ok, "%s: every field's tag, length and bytes, in order, pointing into the input", name);

	int get_ok = 1;
	for (unsigned i = 0; i < n; i++) {
		const struct ipc_field *f = ipc_get(&m, sp[i].tag);
		unsigned first = 0;
		while (sp[first].tag != sp[i].tag)
			first++;
		get_ok &= f == &m.fields[first];
		if (sp[i].is_u64)
			get_ok &= ipc_get_u64(&m, sp[i].tag, 12345) == sp[i].v;
	}
	ok(get_ok, "%s: ipc_get finds the first of each tag, ipc_get_u64 reads the values", name);
	free(p);
	buf_release(&b);
}

static void test_round_trips(void)
{
	for (int i = 0; i < 256; i++)
		all_bytes[i] = (char)i;
	const struct spec exec[] = {
		U(IPC_T_SLOT, 7),
		S(IPC_T_ID, "exec-0123456789"),
		S(IPC_T_CODE, "console.log(\"hi\");\n\0// after a NUL"),
		S(IPC_T_FILENAME, "dir/main.ts"),
		U(IPC_T_TIMEOUT_MS, 300000),
		U(IPC_T_FLAGS, IPC_EXEC_ALLOW_EVAL | IPC_EXEC_TYPESCRIPT | IPC_EXEC_LAST_IN_LIFE),
		S(IPC_T_ENV, "A=1"),
		S(IPC_T_ENV, "B=two words"),
		S(IPC_T_ENV, "EMPTY="),
		U(IPC_T_OUTPUT_CAP, 1u << 20),
		U(IPC_T_MEMORY_MB, 256),
		S(IPC_T_STDIN, "line 1\nline 2\n"),
	};
	round_trip("EXEC, every field", IPC_MSG_EXEC, exec, sizeof exec / sizeof *exec);

	const struct spec ready[] = { U(IPC_T_LAYERS, 0x1f) };
	round_trip("READY with layers", IPC_MSG_READY, ready, 1);

	const struct spec sess[] = {
		U(IPC_T_SLOT, 3), S(IPC_T_ID, "e2"), S(IPC_T_CODE, "x"), U(IPC_T_TIMEOUT_MS, 1000),
		S(IPC_T_SESSION, "s_abc"), U(IPC_T_SESSION_SEQ, 4), U(IPC_T_SESSION_TTL_MS, 60000),
	};
	round_trip("EXEC of a session, with its TTL", IPC_MSG_EXEC, sess, sizeof sess / sizeof *sess);
	const struct spec drop[] = { S(IPC_T_SESSION, "s_abc") };
	round_trip("DROP_SESSION", IPC_MSG_DROP_SESSION, drop, 1);
	round_trip("READY with no field", IPC_MSG_READY, ready, 0);
	const struct spec ready_rss[] = { U(IPC_T_LAYERS, 7), U(IPC_T_RSS, 31u << 20) };
	round_trip("READY with the worker's resident bytes", IPC_MSG_READY, ready_rss, 2);
	const struct spec idle[] = { U(IPC_T_RSS, 40u << 20) };
	round_trip("IDLE", IPC_MSG_IDLE, idle, 1);

	const struct spec out1[] = { U(IPC_T_SLOT, 1), U(IPC_T_STREAM, IPC_STREAM_STDOUT), S(IPC_T_DATA, "hello\n") };
	round_trip("OUTPUT stdout", IPC_MSG_OUTPUT, out1, 3);
	struct spec out2[] = { U(IPC_T_SLOT, 2), U(IPC_T_STREAM, IPC_STREAM_STDERR), { IPC_T_DATA, 0, 0, all_bytes, 256 } };
	round_trip("OUTPUT stderr, all 256 byte values", IPC_MSG_OUTPUT, out2, 3);
	const struct spec out3[] = { S(IPC_T_DATA, ""), U(IPC_T_STREAM, 0), U(IPC_T_SLOT, 3) };
	round_trip("OUTPUT with empty data, fields in another order", IPC_MSG_OUTPUT, out3, 3);

	const struct spec result[] = {
		U(IPC_T_SLOT, UINT64_MAX),
		S(IPC_T_ID, "exec-0123456789"),
		S(IPC_T_STATUS, "error"),
		S(IPC_T_RESULT, "{\"a\":[1,2,3]}"),
		S(IPC_T_ERR_NAME, "TypeError"),
		S(IPC_T_ERR_MESSAGE, "x is not a function"),
		S(IPC_T_ERR_STACK, "TypeError: x is not a function\n    at main.js:3:5"),
		U(IPC_T_ERR_LINE, 3),
		U(IPC_T_ERR_COLUMN, 5),
		U(IPC_T_WALL_NS, 0x0102030405060708ull),
		U(IPC_T_CPU_NS, UINT64_MAX),
		U(IPC_T_PEAK_RSS, 0),
		U(IPC_T_TRUNCATED, 1),
		U(IPC_T_SIGNAL, 31),
	};
	round_trip("RESULT, every field", IPC_MSG_RESULT, result, sizeof result / sizeof *result);
	const struct spec result_min[] = { U(IPC_T_SLOT, 1), S(IPC_T_ID, ""), S(IPC_T_STATUS, "ok") };
	round_trip("RESULT, required fields only, empty id", IPC_MSG_RESULT, result_min, 3);
}

static void test_encoding(void)
{
	/* READY with LAYERS = 0x0102: every byte of the wire format. */
	static const char want[] = "\x0e\x00\x00\x00" "\x02\x00" "\x00\x00"
				   "\x0a\x00" "\x08\x00\x00\x00" "\x02\x01\x00\x00\x00\x00\x00\x00";
	struct buf b = BUF_INIT(1024);
	buf_puts(&b, "leftover from an earlier frame");
	ipc_enc_begin(&b, IPC_MSG_READY);
	ipc_enc_u64(&b, IPC_T_LAYERS, 0x0102);
	ipc_enc_end(&b);
	is_bytes(b.data, b.len, want, sizeof want - 1, "READY frame bytes: little-endian length, type, zero, field");

	ipc_enc_begin(&b, IPC_MSG_OUTPUT);
	ipc_enc_str(&b, IPC_T_DATA, "ab");
	is_bytes(b.data + 8, b.len - 8, "\x0c\x00\x02\x00\x00\x00" "ab", 8, "string field bytes");
	buf_release(&b);

	struct buf tiny = BUF_INIT(10);
	is_int(ipc_enc_begin(&tiny, IPC_MSG_EXEC), 0, "header fits a 10-byte cap");
	is_int(ipc_enc_str(&tiny, IPC_T_ID, "x"), -ENOBUFS, "a field past the cap is -ENOBUFS");
	buf_release(&tiny);
	struct buf t7 = BUF_INIT(7);
	is_int(ipc_enc_begin(&t7, IPC_MSG_EXEC), -ENOBUFS, "a header past the cap is -ENOBUFS");
	is_int(ipc_enc_end(&t7), -E2BIG, "end without a header is -E2BIG");
	buf_release(&t7);

	struct buf big = BUF_INIT(64);
	ipc_enc_begin(&big, IPC_MSG_EXEC);
	is_int(ipc_enc_bytes(&big, IPC_T_CODE, "", (size_t)UINT32_MAX + 1), -E2BIG,
	       "a field over 4 GiB is -E2BIG (without reading it)");
	buf_release(&big);
}

/* ---- rejections ---- */

static void test_reject_header(void)
{
	fb_exec_min();
	fb_fix();
	int all = 1;
	for (size_t n = 0; n < IPC_HEADER_LEN; n++)
		all &= decode_exact(fb.data, n) == -EPROTO;
	ok(all, "rejects: truncated header (0 to 7 bytes)");
	all = 1;
	for (size_t n = IPC_HEADER_LEN; n < fb.len; n++)
		all &= decode_exact(fb.data, n) == -EPROTO;
	ok(all, "rejects: every truncation of the payload");
	is_int(ipc_decode(NULL, 0, &(struct ipc_msg){ 0 }), -EPROTO, "rejects: NULL, 0 bytes");

	buf_putc(&fb, 0);
	is_int(decode_exact(fb.data, fb.len), -EPROTO, "rejects: a byte after the frame");
	fb_exec_min();
	fb_fix();
	put32(fb.data, (uint32_t)(fb.len - IPC_HEADER_LEN - 1));
	is_int(decode_exact(fb.data, fb.len), -EPROTO, "rejects: header length one short of the bytes");

	fb_hdr(IPC_MAX_FRAME + 1, IPC_MSG_READY, 0);
	is_int(decode_exact(fb.data, fb.len), -EPROTO, "rejects: header length over IPC_MAX_FRAME");
	fb_hdr(UINT32_MAX, IPC_MSG_READY, 0);
	is_int(decode_exact(fb.data, fb.len), -EPROTO, "rejects: header length 0xffffffff");

	fb_begin(IPC_MSG_READY);
	ACCEPTS("READY with an empty payload");
	fb_begin(0);
	REJECTS("type 0");
	fb_begin(IPC_MSG__COUNT);
	REJECTS("type IPC_MSG__COUNT");
	fb_begin(0xffff);
	REJECTS("type 0xffff");
	fb_hdr(0, IPC_MSG_READY, 0x0001);
	REJECTS("nonzero reserved byte 6");
	fb_hdr(0, IPC_MSG_READY, 0x0100);
	REJECTS("nonzero reserved byte 7");
	fb_exec_min();
	fb_fix();
	fb.data[7] = (char)0x80;
	is_int(decode_exact(fb.data, fb.len), -EPROTO, "rejects: reserved high bit on a full EXEC");
}

/* A frame of exactly max_frame payload bytes must decode; one more must not. */
static void test_reject_max(void)
{
	struct buf b = BUF_INIT(IPC_MAX_FRAME + IPC_HEADER_LEN + 16);
	size_t fixed = (6 + 8) + (6 + 1) + (6 + 8) + 6;
	char *code = malloc(IPC_MAX_FRAME);
	memset(code, ' ', IPC_MAX_FRAME);

	ipc_enc_begin(&b, IPC_MSG_EXEC);
	ipc_enc_u64(&b, IPC_T_SLOT, 1);
	ipc_enc_str(&b, IPC_T_ID, "x");
	ipc_enc_u64(&b, IPC_T_TIMEOUT_MS, 1);
	ipc_enc_bytes(&b, IPC_T_CODE, code, IPC_MAX_FRAME - fixed);
	is_int(ipc_enc_end(&b), 0, "encodes a payload of exactly IPC_MAX_FRAME");
	is_int(b.len, IPC_MAX_FRAME + IPC_HEADER_LEN, "its size");
	is_int(decode_exact(b.data, b.len), 0, "accepts: payload of exactly IPC_MAX_FRAME");

	ipc_enc_begin(&b, IPC_MSG_EXEC);
	ipc_enc_u64(&b, IPC_T_SLOT, 1);
	ipc_enc_str(&b, IPC_T_ID, "x");
	ipc_enc_u64(&b, IPC_T_TIMEOUT_MS, 1);
	ipc_enc_bytes(&b, IPC_T_CODE, code, IPC_MAX_FRAME - fixed + 1);
	is_int(ipc_enc_end(&b), -E2BIG, "ipc_enc_end refuses a payload of IPC_MAX_FRAME + 1");
	put32(b.data, IPC_MAX_FRAME + 1);
	is_int(decode_exact(b.data, b.len), -EPROTO, "rejects: payload of IPC_MAX_FRAME + 1, fields otherwise valid");
	free(code);
	buf_release(&b);
}

static void test_reject_tags(void)
{
	fb_exec_min();
	fb_str(IPC_T__COUNT, "x");
	REJECTS("unknown tag IPC_T__COUNT");
	fb_exec_min();
	fb_str(0xffff, "x");
	REJECTS("unknown tag 0xffff");
	fb_exec_min();
	fb_str(0, "x");
	REJECTS("tag 0");
	fb_begin(IPC_MSG_READY);
	fb_field(0, 0, "", 0);
	REJECTS("tag 0 with length 0 on READY");
	fb_exec_min();
	fb_str(IPC_T_STATUS, "ok");
	REJECTS("RESULT's STATUS tag in an EXEC");
	fb_result_min();
	fb_str(IPC_T_CODE, "1");
	REJECTS("EXEC's CODE tag in a RESULT");
	fb_begin(IPC_MSG_READY);
	fb_str(IPC_T_ID, "x");
	REJECTS("ID in a READY");
	fb_output_min();
	fb_str(IPC_T_ENV, "A=1");
	REJECTS("ENV in an OUTPUT");
	fb_result_min();
	fb_u64(IPC_T_LAYERS, 1);
	REJECTS("READY's LAYERS in a RESULT");
}

static void test_reject_lengths(void)
{
	fb_exec_min();
	fb_field(IPC_T_FILENAME, 5, "abcd", 4);
	REJECTS("last field's length one past the end");
	fb_exec_min();
	fb_field(IPC_T_FILENAME, UINT32_MAX, "abcd", 4);
	REJECTS("field length 0xffffffff");
	fb_begin(IPC_MSG_EXEC);
	fb_field(IPC_T_ID, 100, "e1", 2);
	fb_str(IPC_T_CODE, "1+1");
	fb_u64(IPC_T_TIMEOUT_MS, 1000);
	REJECTS("first field's length runs over the following fields and past the end");
	for (size_t k = 1; k < 6; k++) {
		fb_exec_min();
		buf_append(&fb, "\x04\x00\x08\x00\x00", k);
		is_int(fb_decode(), -EPROTO, "rejects: %zu stray byte(s) of a field header at the end", k);
	}

	static const size_t sizes[] = { 0, 1, 7, 9, 16 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		fb_begin(IPC_MSG_EXEC);
		fb_str(IPC_T_ID, "e1");
		fb_str(IPC_T_CODE, "1+1");
		fb_field(IPC_T_TIMEOUT_MS, (uint32_t)sizes[i], "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", sizes[i]);
		is_int(fb_decode(), -EPROTO, "rejects: u64 TIMEOUT_MS of %zu bytes", sizes[i]);
	}
	fb_result_min();
	fb_field(IPC_T_ERR_LINE, 7, "\x01\x00\x00\x00\x00\x00\x00", 7);
	REJECTS("u64 ERR_LINE of 7 bytes");
	fb_begin(IPC_MSG_READY);
	fb_field(IPC_T_LAYERS, 9, "\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9);
	REJECTS("u64 LAYERS of 9 bytes");
	fb_begin(IPC_MSG_OUTPUT);
	fb_field(IPC_T_STREAM, 4, "\x01\x00\x00\x00", 4);
	fb_str(IPC_T_DATA, "x");
	REJECTS("u64 STREAM of 4 bytes");

	fb_begin(IPC_MSG_EXEC);
	fb_u64(IPC_T_SLOT, 1);
	fb_str(IPC_T_ID, "");
	fb_str(IPC_T_CODE, "");
	fb_u64(IPC_T_TIMEOUT_MS, 0);
	ACCEPTS("zero-length ID and CODE");
}

static void test_reject_repeats(void)
{
	fb_exec_min();
	fb_str(IPC_T_ID, "e2");
	REJECTS("ID twice in EXEC");
	fb_exec_min();
	fb_str(IPC_T_CODE, "2");
	REJECTS("CODE twice");
	fb_exec_min();
	fb_u64(IPC_T_TIMEOUT_MS, 5);
	REJECTS("TIMEOUT_MS twice");
	fb_exec_min();
	fb_str(IPC_T_FILENAME, "a.js");
	fb_str(IPC_T_FILENAME, "b.js");
	REJECTS("FILENAME twice");
	fb_result_min();
	fb_str(IPC_T_STATUS, "error");
	REJECTS("STATUS twice in RESULT");
	fb_result_min();
	fb_u64(IPC_T_SIGNAL, 9);
	fb_u64(IPC_T_SIGNAL, 9);
	REJECTS("SIGNAL twice");
	fb_output_min();
	fb_str(IPC_T_DATA, "more");
	REJECTS("DATA twice in OUTPUT");
	fb_begin(IPC_MSG_READY);
	fb_u64(IPC_T_LAYERS, 1);
	fb_u64(IPC_T_LAYERS, 1);
	REJECTS("LAYERS twice in READY");
	fb_exec_min();
	fb_str(IPC_T_ENV, "A=1");
	fb_str(IPC_T_ENV, "A=1");
	ACCEPTS("ENV repeated, even with the same value");
}

static void test_reject_missing(void)
{
	fb_begin(IPC_MSG_EXEC);
	fb_u64(IPC_T_SLOT, 1);
	fb_str(IPC_T_ID, "e1");
	fb_u64(IPC_T_TIMEOUT_MS, 1000);
	REJECTS("EXEC without CODE");
	fb_begin(IPC_MSG_EXEC);
	fb_str(IPC_T_CODE, "1");
	fb_u64(IPC_T_TIMEOUT_MS, 1000);
	REJECTS("EXEC without ID");
	fb_begin(IPC_MSG_EXEC);
	fb_u64(IPC_T_SLOT, 1);
	fb_str(IPC_T_ID, "e1");
	fb_str(IPC_T_CODE, "1");
	REJECTS("EXEC without TIMEOUT_MS");
	fb_begin(IPC_MSG_EXEC);
	REJECTS("EXEC with no field");
	fb_begin(IPC_MSG_RESULT);
	fb_u64(IPC_T_SLOT, 1);
	fb_str(IPC_T_ID, "e1");
	fb_str(IPC_T_RESULT, "1");
	REJECTS("RESULT without STATUS");
	fb_begin(IPC_MSG_RESULT);
	fb_str(IPC_T_STATUS, "ok");
	REJECTS("RESULT without ID");
	fb_begin(IPC_MSG_OUTPUT);
	fb_str(IPC_T_DATA, "x");
	REJECTS("OUTPUT without STREAM");
	fb_begin(IPC_MSG_OUTPUT);
	fb_u64(IPC_T_SLOT, 1);
	fb_u64(IPC_T_STREAM, 1);
	REJECTS("OUTPUT without DATA");
	/* A worker runs many executions: a frame about one must say which. */
	fb_begin(IPC_MSG_EXEC);
	fb_str(IPC_T_ID, "e1");
	fb_str(IPC_T_CODE, "1");
	fb_u64(IPC_T_TIMEOUT_MS, 1000);
	REJECTS("EXEC without SLOT");
	fb_begin(IPC_MSG_RESULT);
	fb_str(IPC_T_ID, "e1");
	fb_str(IPC_T_STATUS, "ok");
	REJECTS("RESULT without SLOT");
	fb_begin(IPC_MSG_OUTPUT);
	fb_u64(IPC_T_STREAM, 1);
	fb_str(IPC_T_DATA, "x");
	REJECTS("OUTPUT without SLOT");
	fb_begin(IPC_MSG_DROP_SESSION);
	REJECTS("DROP_SESSION without SESSION");
	fb_begin(IPC_MSG_DROP_SESSION);
	fb_str(IPC_T_SESSION, "s_abc");
	fb_u64(IPC_T_SLOT, 1);
	REJECTS("DROP_SESSION with a SLOT (it is about no execution)");
	fb_begin(IPC_MSG_IDLE);
	REJECTS("IDLE without RSS");
	fb_begin(IPC_MSG_IDLE);
	fb_u64(IPC_T_RSS, 1);
	fb_u64(IPC_T_SLOT, 1);
	REJECTS("IDLE with a SLOT (it is about no execution)");
}

static void test_reject_caps(void)
{
	static const struct {
		uint16_t type, tag;
		size_t cap;
		const char *name;
	} caps[] = {
		{ IPC_MSG_EXEC, IPC_T_ID, 64, "EXEC ID" },
		{ IPC_MSG_EXEC, IPC_T_FILENAME, 1024, "EXEC FILENAME" },
		{ IPC_MSG_EXEC, IPC_T_ENV, 65536, "EXEC ENV" },
		{ IPC_MSG_RESULT, IPC_T_ID, 64, "RESULT ID" },
		{ IPC_MSG_RESULT, IPC_T_STATUS, 32, "RESULT STATUS" },
		{ IPC_MSG_RESULT, IPC_T_ERR_NAME, 1024, "RESULT ERR_NAME" },
		{ IPC_MSG_RESULT, IPC_T_ERR_MESSAGE, 65536, "RESULT ERR_MESSAGE" },
		{ IPC_MSG_RESULT, IPC_T_ERR_STACK, 65536, "RESULT ERR_STACK" },
		{ IPC_MSG_OUTPUT, IPC_T_DATA, 1u << 20, "OUTPUT DATA" },
	};
	for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
		for (size_t extra = 0; extra < 2; extra++) {
			size_t n = caps[i].cap + extra;
			fb_begin(caps[i].type);
			fb_u64(IPC_T_SLOT, 1);
			/* The capped field replaces the base frame's field of that tag. */
			if (caps[i].type == IPC_MSG_EXEC) {
				if (caps[i].tag != IPC_T_ID)
					fb_str(IPC_T_ID, "e1");
				fb_str(IPC_T_CODE, "1");
				fb_u64(IPC_T_TIMEOUT_MS, 1);
			} else if (caps[i].type == IPC_MSG_RESULT) {
				if (caps[i].tag != IPC_T_ID)
					fb_str(IPC_T_ID, "e1");
				if (caps[i].tag != IPC_T_STATUS)
					fb_str(IPC_T_STATUS, "ok");
			} else {
				fb_u64(IPC_T_STREAM, 1);
			}
			fb_fill(caps[i].tag, n);
			is_int(fb_decode(), extra ? -EPROTO : 0, "%s of %zu bytes: %s", caps[i].name, n,
			       extra ? "rejected" : "accepted");
		}
	}
}

static void test_field_count(void)
{
	fb_exec_min();
	for (int i = 4; i < IPC_MAX_FIELDS; i++) {
		char env[16];
		snprintf(env, sizeof env, "V%d=%d", i, i);
		fb_str(IPC_T_ENV, env);
	}
	fb_fix();
	char *p = malloc(fb.len);
	memcpy(p, fb.data, fb.len);
	struct ipc_msg m;
	is_int(ipc_decode(p, fb.len, &m), 0, "accepts: %d fields, ENV repeated %d times", IPC_MAX_FIELDS,
	       IPC_MAX_FIELDS - 4);
	is_int(m.nfields, IPC_MAX_FIELDS, "all %d fields decoded", IPC_MAX_FIELDS);
	const struct ipc_field *env = ipc_get(&m, IPC_T_ENV);
	ok(env && env->len == 4 && !memcmp(env->data, "V4=4", 4) && env == &m.fields[4],
	   "ipc_get returns the first ENV");
	char last[32];
	int ll = snprintf(last, sizeof last, "V%d=%d", IPC_MAX_FIELDS - 1, IPC_MAX_FIELDS - 1);
	ok(m.fields[IPC_MAX_FIELDS - 1].tag == IPC_T_ENV && m.fields[IPC_MAX_FIELDS - 1].len == (uint32_t)ll &&
	   !memcmp(m.fields[IPC_MAX_FIELDS - 1].data, last, (size_t)ll), "the last ENV is the last field");
	free(p);

	fb_str(IPC_T_ENV, "ONE=too many");
	REJECTS("one field more than IPC_MAX_FIELDS");
	fb_exec_min();
	for (int i = 3; i < 1000; i++)
		fb_field(IPC_T_ENV, 0, "", 0);
	REJECTS("1000 empty ENV fields");
}

static void test_get(void)
{
	fb_exec_min();
	fb_fix();
	struct ipc_msg m;
	ipc_decode(fb.data, fb.len, &m);
	ok(!ipc_get(&m, IPC_T_FILENAME), "ipc_get of an absent tag is NULL");
	is_int(ipc_get_u64(&m, IPC_T_FLAGS, 77), 77, "ipc_get_u64 of an absent tag is the default");
	is_int(ipc_get_u64(&m, IPC_T_TIMEOUT_MS, 77), 1000, "ipc_get_u64 of a present tag");
	is_int(ipc_get_u64(&m, IPC_T_ID, 77), 77, "ipc_get_u64 of a 2-byte string field is the default");
}

/* ---- ipc_frame_size ---- */

static void test_frame_size(void)
{
	fb_exec_min();
	fb_fix();
	int all = 1;
	for (size_t n = 0; n < IPC_HEADER_LEN; n++)
		all &= ipc_frame_size(fb.data, n, IPC_MAX_FRAME) == 0;
	ok(all, "ipc_frame_size of a partial header (0 to 7 bytes) is 0");
	static const char junk[8] = { (char)0xff, (char)0xff, (char)0xff, (char)0xff, 0, 0, 1, 1 };
	all = 1;
	for (size_t n = 0; n < IPC_HEADER_LEN; n++)
		all &= ipc_frame_size(junk, n, IPC_MAX_FRAME) == 0;
	ok(all, "a partial header is 0 even when its bytes are already bad");
	is_int(ipc_frame_size(junk, 8, IPC_MAX_FRAME), -EPROTO, "the full bad header is -EPROTO");
	is_int(ipc_frame_size(fb.data, IPC_HEADER_LEN, IPC_MAX_FRAME), fb.len,
	       "a complete header gives the frame size before the payload arrives");
	is_int(ipc_frame_size(fb.data, fb.len + 100, IPC_MAX_FRAME), fb.len, "bytes after the frame do not count");

	fb_hdr(100, IPC_MSG_OUTPUT, 0);
	is_int(ipc_frame_size(fb.data, 8, 100), 108, "payload equal to max is allowed");
	is_int(ipc_frame_size(fb.data, 8, 99), -EPROTO, "payload over max is -EPROTO");
	fb_hdr(0, IPC_MSG_OUTPUT, 0);
	is_int(ipc_frame_size(fb.data, 8, 0), 8, "empty payload with max 0");
	/* IPC_HEADER_LEN + len is computed in 32 bits and wraps when the caller's
	 * max lets len come near UINT32_MAX. Every caller today passes at most
	 * IPC_MAX_FRAME, so it is latent. */
	fb_hdr(UINT32_MAX, IPC_MSG_OUTPUT, 0);
	is_int(ipc_frame_size(fb.data, 8, SIZE_MAX), 8 + (long long)UINT32_MAX, "length 0xffffffff, no overflow");
	fb_hdr(UINT32_MAX - 7, IPC_MSG_OUTPUT, 0);
	is_int(ipc_frame_size(fb.data, 8, SIZE_MAX), 8 + (long long)UINT32_MAX - 7,
	       "length 0xfffffff8 is not taken for an incomplete header (0)");
	fb_hdr(UINT32_MAX - 8, IPC_MSG_OUTPUT, 0);
	is_int(ipc_frame_size(fb.data, 8, SIZE_MAX), 8 + (long long)UINT32_MAX - 8, "length 0xfffffff7, the largest that fits");
	fb_hdr(0, 0, 0);
	is_int(ipc_frame_size(fb.data, 8, 100), -EPROTO, "type 0 is -EPROTO");
	fb_hdr(0, IPC_MSG__COUNT, 0);
	is_int(ipc_frame_size(fb.data, 8, 100), -EPROTO, "type IPC_MSG__COUNT is -EPROTO");
	fb_hdr(0, IPC_MSG_READY, 1);
	is_int(ipc_frame_size(fb.data, 8, 100), -EPROTO, "reserved bytes are checked");
}

/* ---- the incremental reader ---- */

struct frames {
	char *p;     /* several frames back to back */
	size_t n;
	size_t ends[8]; /* where each frame ends */
	unsigned count;
};

static void frames_add(struct frames *f)
{
	fb_fix();
	f->p = realloc(f->p, f->n + fb.len);
	memcpy(f->p + f->n, fb.data, fb.len);
	f->n += fb.len;
	f->ends[f->count++] = f->n;
}

static void sample_frames(struct frames *f)
{
	memset(f, 0, sizeof *f);
	fb_begin(IPC_MSG_READY);
	fb_u64(IPC_T_LAYERS, 7);
	frames_add(f);
	fb_exec_min();
	fb_str(IPC_T_ENV, "A=1");
	fb_str(IPC_T_ENV, "B=2");
	frames_add(f);
	fb_output_min();
	frames_add(f);
	fb_begin(IPC_MSG_READY);
	frames_add(f);
	fb_result_min();
	fb_u64(IPC_T_WALL_NS, 123);
	frames_add(f);
}

/* True when m is the frame of f that ends at f->ends[i]. */
static int same_frame(const struct frames *f, unsigned i, const struct ipc_msg *m)
{
	size_t start = i ? f->ends[i - 1] : 0;
	struct ipc_msg want;
	if (ipc_decode(f->p + start, f->ends[i] - start, &want) || want.type != m->type ||
	    want.nfields != m->nfields)
		return 0;
	for (unsigned k = 0; k < m->nfields; k++)
		if (want.fields[k].tag != m->fields[k].tag || want.fields[k].len != m->fields[k].len ||
		    memcmp(want.fields[k].data, m->fields[k].data, m->fields[k].len))
			return 0;
	return 1;
}

static void test_reader_bytewise(int use_pipe)
{
	const char *kind = use_pipe ? "pipe" : "socketpair";
	struct frames f;
	sample_frames(&f);
	int sv[2];
	int rc = use_pipe ? pipe2(sv, O_CLOEXEC) : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	if (use_pipe) {
		/* pipe2 gives [read, write]; make it [write, read] like below. */
		int t = sv[0];
		sv[0] = sv[1];
		sv[1] = t;
	}
	if (rc) {
		skip("cannot create the channel");
		return;
	}
	struct ipc_reader r;
	ipc_reader_init(&r, 4096);
	unsigned got = 0;
	int good = 1;
	for (size_t i = 0; i < f.n && good; i++) {
		good = write(sv[0], f.p + i, 1) == 1 && ipc_reader_fill(&r, sv[1]) == 1;
		struct ipc_msg m;
		int k = 0;
		while (good && (k = ipc_reader_next(&r, &m)) == 1) {
			/* A frame comes out exactly when its last byte has arrived. */
			good = got < f.count && f.ends[got] == i + 1 && same_frame(&f, got, &m);
			got++;
		}
		if (good && k != 0)
			good = 0;
		if (!good)
			diag("%s: byte %zu, frame %u", kind, i, got);
	}
	ok(good && got == f.count, "reader over a %s fed byte by byte yields the %u frames, each on its last byte",
	   kind, f.count);
	close(sv[0]);
	is_int(ipc_reader_fill(&r, sv[1]), 0, "reader over a %s: fill at EOF is 0", kind);
	struct ipc_msg m;
	is_int(ipc_reader_next(&r, &m), 0, "and no frame is left over");
	close(sv[1]);
	ipc_reader_release(&r);
	free(f.p);
}

static void test_reader_batch(void)
{
	struct frames f;
	sample_frames(&f);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
	struct ipc_reader r;
	ipc_reader_init(&r, 4096);
	struct ipc_msg m;

	is_int(ipc_reader_fill(&r, sv[1]), -EAGAIN, "fill on an empty non-blocking socket is -EAGAIN");
	is_int(ipc_reader_next(&r, &m), 0, "next on an empty reader is 0");

	/* Two frames in one read. */
	size_t two = f.ends[1];
	ok(write(sv[0], f.p, two) == (ssize_t)two, "write two frames at once");
	is_int(ipc_reader_fill(&r, sv[1]), two, "one fill reads both");
	ok(ipc_reader_next(&r, &m) == 1 && same_frame(&f, 0, &m), "first of two frames in one read");
	ok(ipc_reader_next(&r, &m) == 1 && same_frame(&f, 1, &m), "second of two frames in one read");
	is_int(ipc_reader_next(&r, &m), 0, "then nothing");

	/* The rest, plus half of a copy of the first frame, in one read. */
	size_t half = f.ends[0] / 2;
	write(sv[0], f.p + two, f.n - two);
	write(sv[0], f.p, half);
	ipc_reader_fill(&r, sv[1]);
	int good = 1;
	for (unsigned i = 2; i < f.count; i++)
		good &= ipc_reader_next(&r, &m) == 1 && same_frame(&f, i, &m);
	ok(good, "three more frames from one read");
	is_int(ipc_reader_next(&r, &m), 0, "a half frame is not returned");
	write(sv[0], f.p + half, f.ends[0] - half);
	is_int(ipc_reader_fill(&r, sv[1]), f.ends[0] - half, "the other half arrives");
	ok(ipc_reader_next(&r, &m) == 1 && same_frame(&f, 0, &m), "and completes the frame");
	is_int(ipc_reader_next(&r, &m), 0, "nothing after it");

	/* A frame stays valid until the next call, even across a fill. */
	write(sv[0], f.p, f.ends[0]);
	ipc_reader_fill(&r, sv[1]);
	ok(ipc_reader_next(&r, &m) == 1, "a frame is ready");
	ok(same_frame(&f, 0, &m), "it is intact before the next call");
	write(sv[0], f.p + f.ends[0], f.ends[1] - f.ends[0]);
	ipc_reader_fill(&r, sv[1]);
	ok(ipc_reader_next(&r, &m) == 1 && same_frame(&f, 1, &m), "fill after a frame consumes it first");
	is_int(r.in.len, f.ends[1] - f.ends[0], "the buffer holds only the current frame");
	ipc_reader_release(&r);

	/* The buffer never grows past max_frame + header: a caller that does not
	 * drain it gets -ENOBUFS, and can carry on after draining. */
	struct ipc_reader small;
	ipc_reader_init(&small, 16);
	fb_begin(IPC_MSG_READY);
	fb_u64(IPC_T_LAYERS, 1);
	fb_fix();
	for (int i = 0; i < 4; i++)
		write(sv[0], fb.data, fb.len);
	is_int(ipc_reader_fill(&small, sv[1]), 24, "fill reads at most max_frame + header (24)");
	is_int(ipc_reader_fill(&small, sv[1]), -ENOBUFS, "a full buffer is -ENOBUFS");
	int frames = 0;
	long n;
	do {
		while (ipc_reader_next(&small, &m) == 1)
			frames++;
		n = ipc_reader_fill(&small, sv[1]);
	} while (n > 0);
	is_int(frames, 4, "after draining, all 4 frames come through a 24-byte buffer");
	ipc_reader_release(&small);

	close(sv[0]);
	close(sv[1]);
	free(f.p);
}

static void test_reader_bad(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
	struct ipc_msg m;
	struct ipc_reader r;

	ipc_reader_init(&r, 4096);
	fb_hdr(0, 0, 0);
	write(sv[0], fb.data, 8);
	ipc_reader_fill(&r, sv[1]);
	is_int(ipc_reader_next(&r, &m), -EPROTO, "reader: header with type 0 is -EPROTO");
	ipc_reader_release(&r);

	ipc_reader_init(&r, 4096);
	fb_hdr(0, IPC_MSG_READY, 1);
	write(sv[0], fb.data, 8);
	ipc_reader_fill(&r, sv[1]);
	is_int(ipc_reader_next(&r, &m), -EPROTO, "reader: nonzero reserved bytes are -EPROTO");
	ipc_reader_release(&r);

	ipc_reader_init(&r, 1024);
	fb_hdr(1025, IPC_MSG_OUTPUT, 0);
	write(sv[0], fb.data, 8);
	ipc_reader_fill(&r, sv[1]);
	is_int(ipc_reader_next(&r, &m), -EPROTO, "reader: a length over its max is -EPROTO before the payload");
	ipc_reader_release(&r);

	ipc_reader_init(&r, 4096);
	fb_hdr(0, IPC_MSG_READY, 0);
	write(sv[0], fb.data, 7);
	ipc_reader_fill(&r, sv[1]);
	is_int(ipc_reader_next(&r, &m), 0, "reader: 7 bytes of a header wait for more");
	write(sv[0], "\x01", 1);
	ipc_reader_fill(&r, sv[1]);
	is_int(ipc_reader_next(&r, &m), -EPROTO, "reader: the 8th byte makes it a bad header");
	ipc_reader_release(&r);

	ipc_reader_init(&r, 4096);
	fb_exec_min();
	fb_str(IPC_T_STATUS, "ok");
	fb_fix();
	write(sv[0], fb.data, fb.len);
	ipc_reader_fill(&r, sv[1]);
	is_int(ipc_reader_next(&r, &m), -EPROTO, "reader: a good header with a bad payload is -EPROTO");
	ipc_reader_release(&r);

	close(sv[0]);
	close(sv[1]);
}

static void test_write_all(void)
{
	int p[2];
	pipe2(p, O_CLOEXEC);
	is_int(ipc_write_all(p[1], "hello", 5), 0, "ipc_write_all to a pipe");
	char got[8] = { 0 };
	ok(read(p[0], got, sizeof got) == 5 && !memcmp(got, "hello", 5), "the bytes arrive");
	is_int(ipc_write_all(p[1], "", 0), 0, "writing nothing");
	close(p[0]);
	is_int(ipc_write_all(p[1], "x", 1), -EPIPE, "a closed reader gives -EPIPE");
	close(p[1]);
	is_int(ipc_write_all(p[1], "x", 1), -EBADF, "a closed fd gives -EBADF");
}

/* ---- random mutations ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The checks the fuzz target also makes: a decoded frame's fields tile its
 * payload exactly and re-encode to the same bytes. */
static int decoded_ok(const char *p, size_t n, const struct ipc_msg *m)
{
	if (m->type == 0 || m->type >= IPC_MSG__COUNT || m->nfields > IPC_MAX_FIELDS)
		return 0;
	struct buf b = BUF_INIT(n);
	int rc = ipc_enc_begin(&b, (enum ipc_type)m->type);
	const char *at = p + IPC_HEADER_LEN;
	for (unsigned i = 0; i < m->nfields && !rc; i++) {
		const struct ipc_field *f = &m->fields[i];
		if (f->tag == 0 || f->tag >= IPC_T__COUNT || f->data != at + 6 || f->data + f->len > p + n)
			rc = -1;
		at = f->data + f->len;
		rc = rc ? rc : ipc_enc_bytes(&b, f->tag, f->data, f->len);
	}
	rc = rc ? rc : ipc_enc_end(&b);
	int same = !rc && at == p + n && b.len == n && !memcmp(b.data, p, n);
	buf_release(&b);
	return same;
}

static size_t mutate(char *p, size_t n, size_t room)
{
	static const uint32_t lens[] = { 0, 1, 6, 7, 8, 9, 32, 33, 64, 65, 1024, 0x7fffffff, 0xffffffff };
	int rounds = 1 + (int)(rng() % 4);
	for (int r = 0; r < rounds; r++) {
		size_t at = n ? rng() % n : 0;
		switch (rng() % 9) {
		case 0: /* flip a bit */
			if (n)
				p[at] ^= (char)(1u << (rng() % 8));
			break;
		case 1: /* a random byte */
			if (n)
				p[at] = (char)rng();
			break;
		case 2: /* truncate */
			n = n ? rng() % n : 0;
			break;
		case 3: { /* append junk */
			size_t k = 1 + rng() % 16;
			for (size_t i = 0; i < k && n < room; i++)
				p[n++] = (char)rng();
			break;
		}
		case 4: /* a length-like u32 */
			if (n >= 4) {
				at = rng() % (n - 3);
				put32(p + at, rng() % 2 ? lens[rng() % (sizeof lens / sizeof *lens)]
							: (uint32_t)(rng() % (n + 2)));
			}
			break;
		case 5: /* a tag- or type-like u16 */
			if (n >= 2) {
				at = rng() % (n - 1);
				put16(p + at, rng() % 8 ? (uint16_t)(rng() % (IPC_T__COUNT + 2)) : 0xffff);
			}
			break;
		case 6: { /* delete a range */
			size_t k = n - at ? 1 + rng() % (n - at) : 0;
			memmove(p + at, p + at + k, n - at - k);
			n -= k;
			break;
		}
		case 7: { /* duplicate a range */
			size_t k = n - at ? 1 + rng() % (n - at) : 0;
			if (k > room - n)
				k = room - n;
			memmove(p + at + k, p + at, n - at);
			n += k;
			break;
		}
		case 8: /* a reserved byte */
			if (n >= 8)
				p[6 + rng() % 2] = (char)(1 + rng() % 255);
			break;
		}
	}
	/* Usually make the header length agree, so the payload gets examined. */
	if (n >= IPC_HEADER_LEN && rng() % 4)
		put32(p, (uint32_t)(n - IPC_HEADER_LEN));
	return n;
}

/* Feeds p through a reader over sv and compares it with walking p by
 * ipc_frame_size and ipc_decode. */
static int reader_agrees(int sv[2], const char *p, size_t n)
{
	struct ipc_reader r;
	ipc_reader_init(&r, 4096);
	if (n && write(sv[0], p, n) != (ssize_t)n)
		return 0;
	while (ipc_reader_fill(&r, sv[1]) > 0)
		;
	size_t off = 0;
	int agree = 1;
	for (;;) {
		struct ipc_msg m, w;
		int got = ipc_reader_next(&r, &m);
		long size = ipc_frame_size(p + off, n - off, 4096);
		int want;
		if (size < 0)
			want = -EPROTO;
		else if (size == 0 || (size_t)size > n - off)
			want = 0;
		else
			want = ipc_decode(p + off, (size_t)size, &w) ? -EPROTO : 1;
		if (got != want || (got == 1 && (m.type != w.type || m.nfields != w.nfields))) {
			agree = 0;
			break;
		}
		if (got != 1)
			break;
		off += (size_t)size;
	}
	ipc_reader_release(&r);
	char drain[4096];
	while (read(sv[1], drain, sizeof drain) > 0)
		;
	return agree;
}

static void test_random(void)
{
	const char *seed_env = getenv("CORRAL_TEST_SEED");
	const char *rounds_env = getenv("CORRAL_TEST_ROUNDS");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 20240601;
	long rounds = rounds_env ? strtol(rounds_env, NULL, 0) : 10000;
	rng_state = seed;
	diag("random mutations: seed %llu, %ld rounds", (unsigned long long)seed, rounds);

	struct frames f;
	sample_frames(&f);
	/* One more seed with every EXEC field. */
	fb_exec_min();
	fb_str(IPC_T_FILENAME, "a.js");
	fb_u64(IPC_T_FLAGS, 3);
	fb_str(IPC_T_ENV, "X=1");
	fb_u64(IPC_T_OUTPUT_CAP, 1024);
	fb_u64(IPC_T_MEMORY_MB, 64);
	fb_str(IPC_T_STDIN, "in");
	frames_add(&f);

	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv);
	enum { ROOM = 4096 };
	long decoded = 0, rejected = 0, bad = 0, disagree = 0;
	for (long i = 0; i < rounds; i++) {
		unsigned s = (unsigned)(rng() % f.count);
		size_t start = s ? f.ends[s - 1] : 0;
		char tmp[ROOM];
		size_t n = f.ends[s] - start;
		memcpy(tmp, f.p + start, n);
		n = mutate(tmp, n, ROOM);

		char *p = malloc(n ? n : 1);
		memcpy(p, tmp, n);
		struct ipc_msg m;
		int rc = ipc_decode(p, n, &m);
		if (rc == 0 && decoded_ok(p, n, &m)) {
			decoded++;
		} else if (rc == -EPROTO) {
			rejected++;
		} else if (bad++ < 5) {
			diag("round %ld: rc %d or a bad decode of %zu bytes", i, rc, n);
		}
		int partial = 1;
		for (size_t k = 0; k < IPC_HEADER_LEN && k <= n; k++)
			partial &= ipc_frame_size(p, k, IPC_MAX_FRAME) == 0;
		if (!partial && bad++ < 5)
			diag("round %ld: ipc_frame_size of a partial header is not 0", i);
		if (!reader_agrees(sv, p, n) && disagree++ < 5)
			diag("round %ld: the reader and ipc_decode disagree", i);
		free(p);
	}
	diag("%ld decoded, %ld rejected", decoded, rejected);
	ok(bad == 0, "%ld random mutations: each decodes to a frame that re-encodes the same, or is -EPROTO", rounds);
	ok(disagree == 0, "the incremental reader agrees with ipc_decode on every mutation");
	ok(decoded > rounds / 100 && rejected > rounds / 100, "the mutations hit both outcomes (not vacuous)");
	close(sv[0]);
	close(sv[1]);
	free(f.p);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_round_trips();
	test_encoding();
	test_reject_header();
	test_reject_max();
	test_reject_tags();
	test_reject_lengths();
	test_reject_repeats();
	test_reject_missing();
	test_reject_caps();
	test_field_count();
	test_get();
	test_frame_size();
	test_reader_bytewise(0);
	test_reader_bytewise(1);
	test_reader_batch();
	test_reader_bad();
	test_write_all();
	test_random();
	buf_release(&fb);
	return done_testing();
}
