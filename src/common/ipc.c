/* ipc — see ipc.h. */
#include "common/ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What each message type may carry. */
enum field_kind { K_NONE = 0, K_STR, K_U64 };

struct field_rule {
	unsigned char kind;
	unsigned char required;
	unsigned char repeat;
	uint32_t max; /* for K_STR */
};

#define STR(maxlen)        { K_STR, 0, 0, (maxlen) }
#define STR_REQ(maxlen)    { K_STR, 1, 0, (maxlen) }
#define STR_REPEAT(maxlen) { K_STR, 0, 1, (maxlen) }
#define U64                { K_U64, 0, 0, 8 }
#define U64_REQ            { K_U64, 1, 0, 8 }

static const struct field_rule schema[IPC_MSG__COUNT][IPC_T__COUNT] = {
	[IPC_MSG_EXEC] = {
		[IPC_T_ID] = STR_REQ(64),
		[IPC_T_CODE] = STR_REQ(IPC_MAX_FRAME),
		[IPC_T_FILENAME] = STR(1024),
		[IPC_T_TIMEOUT_MS] = U64_REQ,
		[IPC_T_FLAGS] = U64,
		[IPC_T_ENV] = STR_REPEAT(65536),
		[IPC_T_OUTPUT_CAP] = U64,
		[IPC_T_MEMORY_MB] = U64,
		[IPC_T_STDIN] = STR(IPC_MAX_FRAME),
		[IPC_T_TMP_CAP] = U64,
		[IPC_T_METHOD] = STR(16),
		[IPC_T_URL] = STR(16384),
		[IPC_T_PATH] = STR(16384),
		[IPC_T_HEADER] = STR_REPEAT(16384),
		[IPC_T_BODY] = STR(IPC_MAX_FRAME),
		[IPC_T_CLIENT_IP] = STR(64),
		[IPC_T_SESSION] = STR(64),
		[IPC_T_SESSION_SEQ] = U64,
		[IPC_T_STATE] = STR(IPC_STATE_MAX),
		[IPC_T_STATE_MAX] = U64,
		[IPC_T_SESSION_TTL_MS] = U64,
		[IPC_T_SLOT] = U64_REQ,
	},
	[IPC_MSG_READY] = {
		[IPC_T_LAYERS] = U64,
		[IPC_T_RSS] = U64,
	},
	[IPC_MSG_IDLE] = {
		[IPC_T_RSS] = U64_REQ,
	},
	[IPC_MSG_CANCEL] = {
		[IPC_T_SLOT] = U64_REQ,
	},

	[IPC_MSG_OUTPUT] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_STREAM] = U64_REQ,
		[IPC_T_DATA] = STR_REQ(1u << 20),
	},
	[IPC_MSG_RESULT] = {
		[IPC_T_ID] = STR_REQ(64),
		[IPC_T_STATUS] = STR_REQ(32),
		[IPC_T_RESULT] = STR(IPC_MAX_FRAME),
		[IPC_T_ERR_NAME] = STR(1024),
		[IPC_T_ERR_MESSAGE] = STR(65536),
		[IPC_T_ERR_MESSAGE_JSON] = STR(131072),
		[IPC_T_ERR_STACK] = STR(65536),
		[IPC_T_ERR_LINE] = U64,
		[IPC_T_ERR_COLUMN] = U64,
		[IPC_T_WALL_NS] = U64,
		[IPC_T_CPU_NS] = U64,
		[IPC_T_PEAK_RSS] = U64,
		[IPC_T_TRUNCATED] = U64,
		[IPC_T_SIGNAL] = U64,
		[IPC_T_EXIT_CODE] = U64,
		[IPC_T_WARM] = U64,
		[IPC_T_STATE] = STR(IPC_STATE_MAX),
		[IPC_T_RESTORED] = U64,
		[IPC_T_SLOT] = U64_REQ,
	},
	[IPC_MSG_FETCH] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_FETCH_ID] = U64_REQ,
		[IPC_T_URL] = STR_REQ(8192),
		[IPC_T_METHOD] = STR_REQ(16),
		[IPC_T_HEADER] = STR_REPEAT(16384),
		[IPC_T_BODY] = STR(16u << 20),
		[IPC_T_TIMEOUT_MS] = U64,
	},
	[IPC_MSG_PACKAGE_FILE] = {
		[IPC_T_PATH] = STR_REQ(1024),
		[IPC_T_DATA] = STR(IPC_MAX_FRAME),
	},
	[IPC_MSG_PACKAGE_END] = {
		[IPC_T_PACKAGE_HASH] = STR_REQ(64),
		[IPC_T_ENTRY] = STR_REQ(1024),
	},
	[IPC_MSG_RESPONSE_HEAD] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_STATUS_CODE] = U64_REQ,
		[IPC_T_HEADER] = STR_REPEAT(16384),
	},
	[IPC_MSG_RESPONSE_BODY] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_DATA] = STR_REQ(1u << 20),
	},
	[IPC_MSG_DROP_SESSION] = {
		[IPC_T_SESSION] = STR_REQ(64),
	},
	[IPC_MSG_FETCH_RESULT] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_FETCH_ID] = U64_REQ,
		[IPC_T_ERROR] = STR(1024),
		[IPC_T_STATUS_CODE] = U64,
		[IPC_T_STATUS_TEXT] = STR(256),
		[IPC_T_HEADER] = STR_REPEAT(16384),
		[IPC_T_BODY] = STR(IPC_MAX_FRAME),
		[IPC_T_MORE] = U64,
	},
	[IPC_MSG_FETCH_CHUNK] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_FETCH_ID] = U64_REQ,
		[IPC_T_ERROR] = STR(1024),
		[IPC_T_BODY] = STR(IPC_MAX_FRAME),
		[IPC_T_MORE] = U64,
	},
	[IPC_MSG_FETCH_ABORT] = {
		[IPC_T_SLOT] = U64_REQ,
		[IPC_T_FETCH_ID] = U64_REQ,
	},
};

static void put_u16(char *p, uint16_t v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)(v >> 8);
}

static void put_u32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)((v >> (8 * i)) & 0xff);
}

static uint16_t get_u16(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint16_t)(u[0] | (u[1] << 8));
}

static uint32_t get_u32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | ((uint32_t)u[1] << 8) | ((uint32_t)u[2] << 16) | ((uint32_t)u[3] << 24);
}

int ipc_enc_begin(struct buf *b, enum ipc_type type)
{
	char h[IPC_HEADER_LEN] = { 0 };
	put_u16(h + 4, (uint16_t)type);
	buf_reset(b);
	return buf_append(b, h, sizeof h);
}

int ipc_enc_bytes(struct buf *b, enum ipc_tag tag, const void *p, size_t n)
{
	char h[6];
	if (n > UINT32_MAX)
		return -E2BIG;
	put_u16(h, (uint16_t)tag);
	put_u32(h + 2, (uint32_t)n);
	int rc = buf_append(b, h, sizeof h);
	return rc ? rc : buf_append(b, p, n);
}

int ipc_enc_str(struct buf *b, enum ipc_tag tag, const char *s)
{
	return ipc_enc_bytes(b, tag, s, strlen(s));
}

int ipc_enc_u64(struct buf *b, enum ipc_tag tag, uint64_t v)
{
	char p[8];
	for (int i = 0; i < 8; i++)
		p[i] = (char)((v >> (8 * i)) & 0xff);
	return ipc_enc_bytes(b, tag, p, 8);
}

int ipc_enc_end(struct buf *b)
{
	if (b->len < IPC_HEADER_LEN || b->len - IPC_HEADER_LEN > IPC_MAX_FRAME)
		return -E2BIG;
	put_u32(b->data, (uint32_t)(b->len - IPC_HEADER_LEN));
	return 0;
}

long ipc_frame_size(const char *p, size_t n, size_t max)
{
	if (n < IPC_HEADER_LEN)
		return 0;
	uint32_t len = get_u32(p);
	uint16_t type = get_u16(p + 4);
	if (type == 0 || type >= IPC_MSG__COUNT || get_u16(p + 6) != 0 || len > max)
		return -EPROTO;
	return (long)IPC_HEADER_LEN + (long)len;
}

int ipc_decode(const char *p, size_t n, struct ipc_msg *m)
{
	long size = ipc_frame_size(p, n, IPC_MAX_FRAME);
	if (size <= 0 || (size_t)size != n)
		return -EPROTO;
	m->type = get_u16(p + 4);
	m->nfields = 0;
	const struct field_rule *rules = schema[m->type];
	unsigned char seen[IPC_T__COUNT] = { 0 };
	size_t off = IPC_HEADER_LEN;
	while (off < n) {
		if (n - off < 6 || m->nfields == IPC_MAX_FIELDS)
			return -EPROTO;
		uint16_t tag = get_u16(p + off);
		uint32_t len = get_u32(p + off + 2);
		off += 6;
		if (len > n - off || tag == 0 || tag >= IPC_T__COUNT)
			return -EPROTO;
		const struct field_rule *r = &rules[tag];
		if (r->kind == K_NONE || len > r->max || (r->kind == K_U64 && len != 8) ||
		    (seen[tag] && !r->repeat))
			return -EPROTO;
		seen[tag] = 1;
		m->fields[m->nfields++] = (struct ipc_field){ tag, len, p + off };
		off += len;
	}
	for (unsigned t = 1; t < IPC_T__COUNT; t++)
		if (rules[t].required && !seen[t])
			return -EPROTO;
	return 0;
}

const struct ipc_field *ipc_get(const struct ipc_msg *m, enum ipc_tag tag)
{
	for (unsigned i = 0; i < m->nfields; i++)
		if (m->fields[i].tag == tag)
			return &m->fields[i];
	return NULL;
}

char **ipc_get_all(const struct ipc_msg *m, enum ipc_tag tag, size_t *n)
{
	size_t k = 0;
	for (unsigned i = 0; i < m->nfields; i++)
		k += m->fields[i].tag == tag;
	char **v = calloc(k + 1, sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (unsigned i = 0; i < m->nfields; i++) {
		if (m->fields[i].tag != tag)
			continue;
		if (!(v[*n] = strndup(m->fields[i].data, m->fields[i].len))) {
			ipc_strings_free(v, *n);
			*n = 0;
			return NULL;
		}
		(*n)++;
	}
	return v;
}

void ipc_strings_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

uint64_t ipc_get_u64(const struct ipc_msg *m, enum ipc_tag tag, uint64_t dflt)
{
	const struct ipc_field *f = ipc_get(m, tag);
	if (!f || f->len != 8)
		return dflt;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | (unsigned char)f->data[i];
	return v;
}

void ipc_reader_init(struct ipc_reader *r, size_t max_frame)
{
	buf_init(&r->in, max_frame + IPC_HEADER_LEN);
	r->pending = 0;
	r->max = max_frame;
}

void ipc_reader_release(struct ipc_reader *r)
{
	buf_release(&r->in);
}

long ipc_reader_fill(struct ipc_reader *r, int fd)
{
	char tmp[65536];
	if (r->pending) {
		buf_consume(&r->in, r->pending);
		r->pending = 0;
	}
	size_t room = r->in.cap - r->in.len;
	if (room == 0)
		return -ENOBUFS;
	ssize_t n = read(fd, tmp, room < sizeof tmp ? room : sizeof tmp);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n > 0 && buf_append(&r->in, tmp, (size_t)n))
		return -ENOMEM;
	return n;
}

int ipc_reader_next(struct ipc_reader *r, struct ipc_msg *m)
{
	if (r->pending) {
		buf_consume(&r->in, r->pending);
		r->pending = 0;
	}
	long size = ipc_frame_size(r->in.data, r->in.len, r->max);
	if (size < 0)
		return -EPROTO;
	if (size == 0 || (size_t)size > r->in.len)
		return 0;
	if (ipc_decode(r->in.data, (size_t)size, m))
		return -EPROTO;
	r->pending = (size_t)size;
	return 1;
}

int ipc_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
