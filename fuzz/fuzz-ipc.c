/* fuzz-ipc — libFuzzer target for the frame decoder and the incremental
 * reader.
 *
 * Each input is a byte stream from an untrusted worker. It is checked three
 * ways, and any disagreement aborts (a finding):
 *  - ipc_decode of the whole input: either -EPROTO, or a frame whose fields
 *    tile the payload exactly and re-encode to the same bytes;
 *  - the input cut into frames by ipc_frame_size, each through ipc_decode;
 *  - the same input through a struct ipc_reader over a socketpair, written in
 *    chunks whose sizes come from the input itself, must yield the same
 *    frames and fail at the same frame.
 *
 * With clang it is built with -fsanitize=fuzzer (fuzz/meson.build):
 *   build/fuzz/fuzz-ipc fuzz/corpus/ipc
 * Built with -DFUZZ_REPLAY it has a main() of its own that runs every file
 * of the directories or files named on its command line through the target
 * and prints TAP; `meson test fuzz-ipc-replay` runs it over the corpus with
 * any compiler, so the corpus is exercised on every build. */
#include "common/ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The reader's max; frames larger than this are a reader error by design. */
#define FUZZ_MAX_FRAME 65536

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz-ipc: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                \
			abort();                                                 \
		}                                                                \
	} while (0)

/* Decodes exactly n bytes of p and checks what comes out. Returns 1 when it
 * decoded, 0 for -EPROTO. */
static int decode_checked(const char *p, size_t n, struct ipc_msg *m)
{
	int rc = ipc_decode(p, n, m);
	CHECK(rc == 0 || rc == -EPROTO);
	if (rc)
		return 0;
	CHECK(n >= IPC_HEADER_LEN && m->type > 0 && m->type < IPC_MSG__COUNT);
	CHECK(m->nfields <= IPC_MAX_FIELDS);
	struct buf b = BUF_INIT(n);
	CHECK(ipc_enc_begin(&b, (enum ipc_type)m->type) == 0);
	const char *at = p + IPC_HEADER_LEN;
	for (unsigned i = 0; i < m->nfields; i++) {
		const struct ipc_field *f = &m->fields[i];
		CHECK(f->tag > 0 && f->tag < IPC_T__COUNT);
		CHECK(f->data == at + 6 && f->len <= (size_t)(p + n - f->data));
		CHECK(ipc_get(m, f->tag) != NULL);
		at = f->data + f->len;
		CHECK(ipc_enc_bytes(&b, f->tag, f->data, f->len) == 0);
	}
	CHECK(at == p + n);
	CHECK(ipc_enc_end(&b) == 0);
	CHECK(b.len == n && memcmp(b.data, p, n) == 0);
	buf_release(&b);
	return 1;
}

static int sv[2] = { -1, -1 };

static void channel_open(void)
{
	if (sv[0] >= 0)
		return;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0);
}

static void same_msg(const struct ipc_msg *a, const struct ipc_msg *b)
{
	CHECK(a->type == b->type && a->nfields == b->nfields);
	for (unsigned i = 0; i < a->nfields; i++) {
		CHECK(a->fields[i].tag == b->fields[i].tag && a->fields[i].len == b->fields[i].len);
		CHECK(memcmp(a->fields[i].data, b->fields[i].data, a->fields[i].len) == 0);
	}
}

/* Walks data frame by frame with ipc_frame_size + ipc_decode, and checks
 * that a reader fed the same bytes in odd-sized chunks says the same. */
static void reader_check(const char *data, size_t size)
{
	channel_open();
	struct ipc_reader r;
	ipc_reader_init(&r, FUZZ_MAX_FRAME);
	size_t off = 0, sent = 0;
	unsigned chunk_seed = size ? (unsigned char)data[size - 1] : 0;
	for (;;) {
		/* Expected: the next frame of the flat walk. */
		struct ipc_msg want;
		int want_rc;
		long fsz = ipc_frame_size(data + off, size - off, FUZZ_MAX_FRAME);
		if (fsz < 0)
			want_rc = -EPROTO;
		else if (fsz == 0 || (size_t)fsz > size - off)
			want_rc = 0;
		else
			want_rc = decode_checked(data + off, (size_t)fsz, &want) ? 1 : -EPROTO;

		/* Got: the reader, given bytes until it answers or runs out. A
		 * chunk is written only once the socket is empty, so it fits. */
		struct ipc_msg got;
		int got_rc;
		for (;;) {
			got_rc = ipc_reader_next(&r, &got);
			if (got_rc != 0)
				break;
			long n = ipc_reader_fill(&r, sv[1]);
			if (n > 0)
				continue;
			/* Not -ENOBUFS: a full buffer always holds a whole frame. */
			CHECK(n == -EAGAIN);
			if (sent == size)
				break;
			size_t chunk = 1 + (chunk_seed = chunk_seed * 1103515245u + 12345u) % 4099;
			if (chunk > size - sent)
				chunk = size - sent;
			ssize_t w = write(sv[0], data + sent, chunk);
			CHECK(w > 0);
			sent += (size_t)w;
		}
		CHECK(got_rc == want_rc);
		if (got_rc != 1)
			break;
		same_msg(&got, &want);
		off += (size_t)fsz;
	}
	ipc_reader_release(&r);
	char drain[4096];
	while (read(sv[1], drain, sizeof drain) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct ipc_msg m;
	decode_checked(p, size, &m);
	long fsz = ipc_frame_size(p, size, IPC_MAX_FRAME);
	CHECK(fsz == -EPROTO || (size < IPC_HEADER_LEN ? fsz == 0 : fsz >= IPC_HEADER_LEN));
	reader_check(p, size);
	return 0;
}
