/* fuzz-json — libFuzzer target for the check the supervisor applies to a
 * worker's result (json_check) and for the trip of any JavaScript string
 * through a RESULT frame.
 *
 * Each input is used two ways, and any disagreement aborts (a finding):
 *  - as JSON text: json_check either refuses it or accepts it, and then
 *    jansson parses it once json_tame_escapes has replaced the escapes it
 *    refuses (lone surrogates, \u0000), its number overflows and depth
 *    limit aside; and what json_check refuses jansson refuses too (unless
 *    the input has a NUL byte, where jansson stops reading);
 *  - as UTF-16 code units (a JavaScript string, lone surrogates, NUL and
 *    control characters included): quoted the way JSON.stringify quotes a
 *    string (QuoteJSONString, well-formed since ES2019), put in a RESULT
 *    frame with ipc_enc_*, decoded with ipc_decode; the result field must
 *    come back byte for byte and pass json_check, as the supervisor's
 *    handle_result requires.
 *
 * With clang it is built with -fsanitize=fuzzer (fuzz/meson.build):
 *   build/fuzz/fuzz-json fuzz/corpus/json
 * Built with -DFUZZ_REPLAY, fuzz/replay.c runs the corpus as a test. */
#include "common/ipc.h"
#include "common/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz-json: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                \
			abort();                                                 \
		}                                                                \
	} while (0)

static void put_utf8(struct buf *b, uint32_t c)
{
	char t[4];
	size_t k;
	if (c < 0x80) { t[0] = (char)c; k = 1; }
	else if (c < 0x800) { t[0] = (char)(0xc0 | (c >> 6)); t[1] = (char)(0x80 | (c & 0x3f)); k = 2; }
	else if (c < 0x10000) { t[0] = (char)(0xe0 | (c >> 12)); t[1] = (char)(0x80 | ((c >> 6) & 0x3f)); t[2] = (char)(0x80 | (c & 0x3f)); k = 3; }
	else { t[0] = (char)(0xf0 | (c >> 18)); t[1] = (char)(0x80 | ((c >> 12) & 0x3f)); t[2] = (char)(0x80 | ((c >> 6) & 0x3f)); t[3] = (char)(0x80 | (c & 0x3f)); k = 4; }
	CHECK(buf_append(b, t, k) == 0);
}

/* JSON.stringify(string) of n UTF-16 units, as UTF-8. */
static void quote_utf16(struct buf *b, const uint16_t *u, size_t n)
{
	CHECK(buf_putc(b, '"') == 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t c = u[i];
		if (c == '"' || c == '\\') {
			CHECK(buf_putc(b, '\\') == 0 && buf_putc(b, (char)c) == 0);
		} else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
			char e = c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			CHECK(buf_putc(b, '\\') == 0 && buf_putc(b, e) == 0);
		} else if (c < 0x20) {
			CHECK(buf_printf(b, "\\u%04x", c) == 0);
		} else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && u[i + 1] >= 0xdc00 && u[i + 1] <= 0xdfff) {
			put_utf8(b, 0x10000 + ((c - 0xd800) << 10) + (u[i + 1] - 0xdc00u));
			i++;
		} else if (c >= 0xd800 && c <= 0xdfff) {
			CHECK(buf_printf(b, "\\u%04x", c) == 0);
		} else {
			put_utf8(b, c);
		}
	}
	CHECK(buf_putc(b, '"') == 0);
}

static void as_text(const uint8_t *data, size_t size)
{
	int rc = json_check((const char *)data, size);
	CHECK(rc == 0 || rc == -EINVAL);
	char *tame = json_tame_escapes((const char *)data, size);
	CHECK(tame);
	json_error_t je;
	json_t *j = json_loadb(tame, size, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &je);
	if (rc == 0)
		CHECK(j || strstr(je.text, "overflow") || strstr(je.text, "too big") ||
		      strstr(je.text, "maximum parsing depth"));
	else if (!memchr(data, '\0', size)) /* jansson stops at a NUL byte */
		CHECK(!j);
	json_decref(j);
	free(tame);
}

static void as_string(const uint8_t *data, size_t size)
{
	size_t n = size / 2;
	uint16_t *u = malloc((n ? n : 1) * sizeof *u);
	CHECK(u);
	for (size_t i = 0; i < n; i++)
		u[i] = (uint16_t)(data[2 * i] | (data[2 * i + 1] << 8));
	struct buf q = BUF_INIT(1 << 24);
	quote_utf16(&q, u, n);
	free(u);
	CHECK(json_check(q.data, q.len) == 0);

	struct buf f = BUF_INIT(IPC_MAX_FRAME);
	CHECK(ipc_enc_begin(&f, IPC_MSG_RESULT) == 0);
	CHECK(ipc_enc_u64(&f, IPC_T_SLOT, 1) == 0);
	CHECK(ipc_enc_str(&f, IPC_T_ID, "x_1") == 0);
	CHECK(ipc_enc_str(&f, IPC_T_STATUS, "ok") == 0);
	CHECK(ipc_enc_bytes(&f, IPC_T_RESULT, q.data, q.len) == 0);
	CHECK(ipc_enc_end(&f) == 0);
	struct ipc_msg *m = malloc(sizeof *m);
	CHECK(m && ipc_decode(f.data, f.len, m) == 0);
	const struct ipc_field *r = ipc_get(m, IPC_T_RESULT);
	CHECK(r && r->len == q.len && !memcmp(r->data, q.data, q.len));
	CHECK(!memchr(r->data, '\0', r->len) && json_check(r->data, r->len) == 0);
	free(m);
	buf_release(&f);
	buf_release(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_text(data, size);
	as_string(data, size);
	return 0;
}
