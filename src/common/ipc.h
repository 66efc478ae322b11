/* ipc — frames between the supervisor and a worker.
 *
 * A frame is an 8-byte header (payload length u32 LE, type u16, zero u16)
 * followed by fields: tag u16, length u32, bytes. Integers are u64 LE fields
 * of exactly 8 bytes. Decoding is pure and bounded: it never allocates, the
 * decoded fields point into the caller's bytes, and a frame is checked
 * against its type's schema (known tags only, each required tag present, no
 * repeats except where allowed, integer fields of the right size, per-field
 * length caps). Anything else is -EPROTO, and the supervisor kills a worker
 * that sends it: it trusts nothing a worker says.
 *
 * A worker runs many executions at once: every frame about one execution
 * carries its slot (IPC_T_SLOT), the number the supervisor gave it in its
 * EXEC frame, unique among the worker's executions in flight. */
#ifndef CORRAL_IPC_H
#define CORRAL_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define IPC_HEADER_LEN 8
#define IPC_MAX_FIELDS 512
/* Largest payload either side accepts: code, results and session state are
 * capped below it. */
#define IPC_MAX_FRAME (64u << 20)
/* Largest session state either side accepts (CORRAL_SESSION_STATE_MAX_BYTES
 * is capped to it). */
#define IPC_STATE_MAX (32u << 20)

enum ipc_type {
	IPC_MSG_EXEC = 1,   /* supervisor → worker: run this */
	IPC_MSG_READY,      /* worker → supervisor: sandboxed and warm */
	IPC_MSG_OUTPUT,     /* worker → supervisor: a chunk of stdout/stderr */
	IPC_MSG_RESULT,     /* worker → supervisor: the execution ended */
	IPC_MSG_FETCH,      /* worker → supervisor: perform this HTTP request */
	IPC_MSG_FETCH_RESULT, /* supervisor → worker: its answer */
	IPC_MSG_PACKAGE_FILE, /* supervisor → worker: one file of the function's package */
	IPC_MSG_PACKAGE_END,  /* supervisor → worker: the package is complete */
	IPC_MSG_RESPONSE_HEAD, /* worker → supervisor: a handler's status and headers */
	IPC_MSG_RESPONSE_BODY, /* worker → supervisor: a chunk of its body */
	IPC_MSG_DROP_SESSION,  /* supervisor → worker: forget this session's context */
	IPC_MSG_IDLE,          /* worker → supervisor: idle and collected; what it still holds */
	IPC_MSG_CANCEL,        /* supervisor → worker: stop this execution (outcome cancelled) */
	IPC_MSG_FETCH_CHUNK,   /* supervisor → worker: more of a streamed fetch body (or its end) */
	IPC_MSG_FETCH_ABORT,   /* worker → supervisor: stop this fetch (its reader cancelled) */
	IPC_MSG__COUNT
};

enum ipc_tag {
	IPC_T_ID = 1,
	IPC_T_CODE,
	IPC_T_FILENAME,
	IPC_T_TIMEOUT_MS,
	IPC_T_FLAGS,
	IPC_T_ENV,          /* repeatable: "NAME=value" */
	IPC_T_OUTPUT_CAP,
	IPC_T_MEMORY_MB,
	IPC_T_STDIN,
	IPC_T_LAYERS,
	IPC_T_STREAM,
	IPC_T_DATA,
	IPC_T_STATUS,
	IPC_T_RESULT,
	IPC_T_ERR_NAME,
	IPC_T_ERR_MESSAGE,
	IPC_T_ERR_STACK,
	IPC_T_ERR_LINE,
	IPC_T_ERR_COLUMN,
	IPC_T_WALL_NS,
	IPC_T_CPU_NS,
	IPC_T_PEAK_RSS,
	IPC_T_TRUNCATED,
	IPC_T_SIGNAL,
	IPC_T_FETCH_ID,
	IPC_T_URL,
	IPC_T_METHOD,
	IPC_T_HEADER,       /* repeatable: "Name: value" */
	IPC_T_BODY,
	IPC_T_STATUS_CODE,
	IPC_T_STATUS_TEXT,
	IPC_T_ERROR,
	IPC_T_TMP_CAP,
	IPC_T_EXIT_CODE,    /* process.exit(code) */
	IPC_T_PATH,
	IPC_T_PACKAGE_HASH,
	IPC_T_ENTRY,
	IPC_T_CLIENT_IP,
	IPC_T_WARM,         /* function mode: the handler was already loaded */
	IPC_T_SESSION,      /* the session whose global scope the code runs in */
	IPC_T_SESSION_SEQ,  /* executions the session has had before this one */
	IPC_T_STATE,        /* a session's stored bindings (session.js snapshot JSON) */
	IPC_T_STATE_MAX,    /* the most bytes a snapshot may take */
	IPC_T_RESTORED,     /* RESULT: the session's context was rebuilt from its stored state */
	IPC_T_SLOT,         /* the supervisor's number for one execution in a worker */
	IPC_T_SESSION_TTL_MS, /* a session's TTL: its context goes after that long idle */
	IPC_T_RSS,          /* READY, IDLE: the worker's resident bytes */
	IPC_T_ERR_MESSAGE_JSON, /* RESULT: the error message as JSON.stringify writes it, when
	                         * the UTF-8 text loses something (a lone surrogate, NUL) */
	IPC_T_MORE,         /* FETCH_RESULT, FETCH_CHUNK: 1 while the body has more to come */
	IPC_T__COUNT
};

/* IPC_T_FLAGS bits of an EXEC frame. */
#define IPC_EXEC_ALLOW_EVAL   (1u << 0)
#define IPC_EXEC_TYPESCRIPT   (1u << 1)
#define IPC_EXEC_LAST_IN_LIFE (1u << 2) /* the worker exits after it */
#define IPC_EXEC_FUNCTION     (1u << 3) /* invoke the loaded package's handler */
#define IPC_EXEC_CHECK        (1u << 4) /* only compile the code (a module), never run it */
#define IPC_EXEC_WASM         (1u << 5) /* keep WebAssembly (a worker started with --wasm=1) */

/* IPC_T_STREAM values. */
#define IPC_STREAM_STDOUT 1
#define IPC_STREAM_STDERR 2

struct ipc_field {
	uint16_t tag;
	uint32_t len;
	const char *data;
};

struct ipc_msg {
	uint16_t type;
	unsigned nfields;
	struct ipc_field fields[IPC_MAX_FIELDS];
};

/* What an EXEC frame carries besides the code, shared by the supervisor's
 * job (struct wproc_job) and the worker's request (struct exec_req).
 * Strings are borrowed from the caller. */
struct ipc_http {             /* function mode: the handler's HTTP request */
	const char *method, *url, *path, *client_ip;
	const char *const *headers; /* "name: value" */
	size_t nheaders;
	const void *body;
	size_t body_len;
	bool has_body;
};
struct ipc_session {          /* a session's execution */
	const char *id;            /* NULL: not one */
	uint64_t seq;              /* executions its context must have run (ctx_seq) */
	const char *state;         /* the stored bindings (session.js snapshot), or NULL */
	size_t state_len;
	uint64_t state_max;        /* the most bytes a new snapshot may take */
	uint64_t ttl_ms;           /* its TTL (sliding): the context goes when idle that long */
};

/* Encoding: begin, add fields, end. end fills in the length. */
int ipc_enc_begin(struct buf *b, enum ipc_type type);
int ipc_enc_bytes(struct buf *b, enum ipc_tag tag, const void *p, size_t n);
int ipc_enc_str(struct buf *b, enum ipc_tag tag, const char *s);
int ipc_enc_u64(struct buf *b, enum ipc_tag tag, uint64_t v);
int ipc_enc_end(struct buf *b);

/* Decodes one whole frame of exactly n bytes (header included) into *m.
 * Returns 0 or -EPROTO. *m points into p. */
int ipc_decode(const char *p, size_t n, struct ipc_msg *m);

/* Size of the frame starting at p if its header is complete (0 if not yet),
 * or -EPROTO if the header is invalid or the payload is over max. */
long ipc_frame_size(const char *p, size_t n, size_t max);

/* Field access on a decoded message. The first returns NULL when absent. */
const struct ipc_field *ipc_get(const struct ipc_msg *m, enum ipc_tag tag);
uint64_t ipc_get_u64(const struct ipc_msg *m, enum ipc_tag tag, uint64_t dflt);

/* Every field with this (repeatable) tag as NUL-terminated copies, in a
 * NULL-terminated array; *n is how many. Caller frees with
 * ipc_strings_free. NULL on ENOMEM. */
char **ipc_get_all(const struct ipc_msg *m, enum ipc_tag tag, size_t *n);
void ipc_strings_free(char **v, size_t n);

/* An incremental reader for a stream socket. */
struct ipc_reader {
	struct buf in;
	size_t pending; /* bytes of the frame returned last, consumed on the next call */
	size_t max;
};

void ipc_reader_init(struct ipc_reader *r, size_t max_frame);
void ipc_reader_release(struct ipc_reader *r);
/* Reads what fd has (non-blocking or not). Returns bytes read, 0 at EOF,
 * -EAGAIN when nothing is there, or -errno. */
long ipc_reader_fill(struct ipc_reader *r, int fd);
/* Returns 1 with *m set when a whole frame is buffered, 0 when more bytes are
 * needed, -EPROTO for a bad frame. *m is valid until the next call. */
int ipc_reader_next(struct ipc_reader *r, struct ipc_msg *m);

/* Writes all of b to a blocking fd. Returns 0 or -errno. */
int ipc_write_all(int fd, const char *p, size_t n);

#endif
