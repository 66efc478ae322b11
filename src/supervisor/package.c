/* package — see package.h; docs/internals/package.md has the whole story.
 *
 * Theory of operation. A parse is one pass over the body that collects
 * entries into a struct package, then a finishing step over the collection.
 *
 *   tar.gz and zip: libarchive reads the body from memory
 *   (archive_read_open_memory), with only the tar format and the gzip filter
 *   enabled, or only zip. For each header, in this order: the name is
 *   normalized and checked; the type must be a regular file or a directory
 *   (a header with a hard-link or symlink target is refused whatever type it
 *   claims); the count and the declared size are checked against the caps
 *   before a byte is allocated; then the data is read into a buffer no larger
 *   than the declared size, and a file that yields more than it declared (a
 *   lying zip) is refused at the first extra byte. Where no size is declared
 *   the buffer grows to at most what the caps allow. So no allocation ever
 *   passes the caps, and inflation stops at the first byte over them.
 *
 *   libarchive also inflates what is not file data: headers, pax records,
 *   padding. It caps each special header at 1 MiB itself; we also bound the
 *   sum (PACKAGE_META_SLACK + PACKAGE_META_PER_ENTRY per entry), checked
 *   after every header and data block from archive_filter_bytes(a, 0), the
 *   count of inflated bytes the tar reader has consumed. With that, the work
 *   a tar.gz can cause is bounded by the caps, not by its compression ratio.
 *
 *   JSON: jansson parses the body (duplicate keys refused); each member of
 *   "files" is a string (the UTF-8 contents) or {"base64": "..."}.
 *
 *   Finishing, the same for every format: sort by name; refuse duplicates
 *   and a name that is both a file and a directory; strip a single top-level
 *   directory that wraps everything (what `tar czf x.tgz dir/` and npm pack
 *   make); find the entry point; hash the canonical listing.
 *
 * Names are read as UTF-8 whatever the process locale: libarchive converts
 * pax and zip UTF-8 names to the current locale's charset, which fails for
 * every non-ASCII name in the "C" locale a service runs in. The parse runs
 * under a per-thread C.UTF-8 locale (uselocale), so nothing global changes.
 *
 * A NUL inside a tar or zip name cannot be seen here: libarchive hands names
 * over as C strings, so the name ends at the NUL, for us and for every later
 * reader of what we store. Only the JSON format could carry one, and jansson
 * refuses a NUL in an object key. */
#include "supervisor/package.h"
#include "common/buf.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

const struct package_limits package_limits_default = {
	.max_files = PACKAGE_MAX_FILES_DEFAULT,
	.max_file_bytes = PACKAGE_MAX_FILE_BYTES_DEFAULT,
	.max_total_bytes = PACKAGE_MAX_TOTAL_BYTES_DEFAULT,
	.max_path = PACKAGE_MAX_PATH_DEFAULT,
};

/* Inflated tar bytes that are not file data (headers, pax records, padding)
 * allowed in all: a legitimate entry needs a 512-byte header, up to 511
 * bytes of padding and, with a long or non-ASCII name, a pax header of
 * about 2 KiB. */
#define PACKAGE_META_SLACK (1u << 20)
#define PACKAGE_META_PER_ENTRY 8192u
/* First buffer for a file whose size is not declared. */
#define PACKAGE_READ_CHUNK (64u << 10)
/* How much of a name an error message shows. */
#define PACKAGE_QUOTE_MAX 120

struct parse {
	const struct package_limits *lim;
	struct package *p;    /* files so far, in arrival order until finish() */
	size_t files_alloc;
	char **dirs;          /* normalized directory names, for the conflict check */
	size_t ndirs, dirs_alloc;
	char wrapper[64];     /* the top-level directory stripped, for messages */
	char *err;
};

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 if it is not
 * one: overlong forms, surrogates and code points past U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Writes the message and returns rc. Names in it are quoted already; the
 * rest (libarchive's and jansson's words, a cut at the end) is made
 * printable UTF-8 here, so err can go into JSON and logs as it is. */
static int fail(struct parse *ps, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct parse *ps, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err, PACKAGE_ERR_LEN, fmt, ap);
	va_end(ap);
	unsigned char *m = (unsigned char *)ps->err;
	for (size_t i = 0, n = strlen(ps->err); i < n;) {
		size_t k = utf8_seq(m + i, n - i);
		if (k == 0 || (k == 1 && (m[i] < 0x20 || m[i] == 0x7f))) {
			m[i++] = '?';
			continue;
		}
		i += k;
	}
	return rc;
}

/* Writes name (n bytes) into dst for a message: printable UTF-8 as is,
 * '\'' and '\\' escaped, anything else as \xNN, cut with "..." past
 * PACKAGE_QUOTE_MAX bytes. dst holds at least PACKAGE_QUOTE_MAX * 4 + 4. */
static const char *quote(char *dst, const char *name, size_t n)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (i >= PACKAGE_QUOTE_MAX) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		size_t k = utf8_seq(s + i, n - i);
		if (k > 1) {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (k == 1 && s[i] >= 0x20 && s[i] != 0x7f) {
			if (s[i] == '\'' || s[i] == '\\')
				dst[o++] = '\\';
			dst[o++] = (char)s[i];
		} else {
			o += (size_t)sprintf(dst + o, "\\x%02x", s[i]);
		}
		i++;
	}
	dst[o] = '\0';
	return dst;
}

#define QUOTE_BUF (PACKAGE_QUOTE_MAX * 4 + 8)

/* What is wrong with a name, or NULL; *rc is the class. On success *off and
 * *nlen give the normalized name inside name. */
static const char *path_problem(const char *name, size_t len, bool is_dir, size_t max_path,
				size_t *off, size_t *nlen, int *rc, char why[96])
{
	const unsigned char *s = (const unsigned char *)name;
	*rc = -EINVAL;
	if (len == 0)
		return "the name is empty";
	for (size_t i = 0; i < len;) {
		size_t k = utf8_seq(s + i, len - i);
		if (k == 0)
			return "the name is not valid UTF-8";
		if (k == 1 && s[i] == 0)
			return "NUL in the name";
		if (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			return "control character in the name";
		if (s[i] == '\\')
			return "'\\' in the name (a separator to Windows tools, a character to Linux)";
		i += k;
	}
	if (s[0] == '/')
		return "absolute names are not allowed";
	size_t b = 0, e = len;
	/* "./a", "././a" and, for a directory, "." and "./" (the root) are
	 * what `tar -C dir .` writes. */
	while (e - b >= 2 && name[b] == '.' && name[b + 1] == '/')
		b += 2;
	if (is_dir && e - b == 1 && name[b] == '.')
		b = e;
	if (is_dir && e > b && name[e - 1] == '/')
		e--;
	else if (!is_dir && name[e - 1] == '/')
		return "a file name ends in '/'";
	if (b == e) {
		if (!is_dir)
			return "the name is empty";
		*off = b;
		*nlen = 0;
		*rc = 0;
		return NULL;
	}
	if (e - b > max_path) {
		*rc = -E2BIG;
		snprintf(why, 96, "the name is %zu bytes, over the limit of %zu", e - b, max_path);
		return why;
	}
	for (size_t c = b; c <= e;) {
		const char *slash = memchr(name + c, '/', e - c);
		size_t clen = (slash ? (size_t)(slash - name) : e) - c;
		if (clen == 0)
			return "empty component ('//') in the name";
		if (clen == 1 && name[c] == '.')
			return "'.' components are not allowed";
		if (clen == 2 && name[c] == '.' && name[c + 1] == '.')
			return "'..' is not allowed";
		c += clen + 1;
	}
	*off = b;
	*nlen = e - b;
	*rc = 0;
	return NULL;
}

int package_path_normalize(const char *name, size_t len, bool is_dir, size_t max_path,
			   const char **out, size_t *out_len, char err[PACKAGE_ERR_LEN])
{
	size_t off = 0, nlen = 0;
	int rc;
	char why[96], q[QUOTE_BUF];
	const char *problem = path_problem(name, len, is_dir, max_path, &off, &nlen, &rc, why);
	if (problem) {
		snprintf(err, PACKAGE_ERR_LEN, "entry '%s': %s", quote(q, name, len), problem);
		return rc;
	}
	*out = name + off;
	*out_len = nlen;
	return 0;
}

/* ----------------------------------------------------------------- collecting */

/* Takes ownership of data (len bytes + NUL, malloc'd), also on failure. */
static int add_file(struct parse *ps, const char *path, size_t plen, unsigned char *data, size_t len)
{
	struct package *p = ps->p;
	if (p->nfiles == ps->files_alloc) {
		size_t n = ps->files_alloc ? ps->files_alloc * 2 : 16;
		struct package_file *f = realloc(p->files, n * sizeof(*f));
		if (!f)
			goto fail_nomem;
		p->files = f;
		ps->files_alloc = n;
	}
	char *copy = strndup(path, plen);
	if (!copy)
		goto fail_nomem;
	p->files[p->nfiles++] = (struct package_file){ copy, data, len };
	p->total += len;
	return 0;
fail_nomem:
	free(data);
	return fail(ps, -ENOMEM, "out of memory");
}

static int add_dir(struct parse *ps, const char *path, size_t plen)
{
	if (plen == 0)
		return 0; /* the root */
	if (ps->ndirs == ps->dirs_alloc) {
		size_t n = ps->dirs_alloc ? ps->dirs_alloc * 2 : 16;
		char **d = realloc(ps->dirs, n * sizeof(*d));
		if (!d)
			return fail(ps, -ENOMEM, "out of memory");
		ps->dirs = d;
		ps->dirs_alloc = n;
	}
	if (!(ps->dirs[ps->ndirs] = strndup(path, plen)))
		return fail(ps, -ENOMEM, "out of memory");
	ps->ndirs++;
	return 0;
}

/* Checks a file about to be added: the count, then a size known in advance. */
static int check_file(struct parse *ps, const char *shown, bool sized, uint64_t size)
{
	const struct package_limits *lim = ps->lim;
	if (ps->p->nfiles >= lim->max_files)
		return fail(ps, -E2BIG, "entry '%s': more than %zu files", shown, lim->max_files);
	if (!sized)
		return 0;
	if (size > lim->max_file_bytes)
		return fail(ps, -E2BIG, "entry '%s': %" PRIu64 " bytes, over the limit of %" PRIu64
			    " per file", shown, size, lim->max_file_bytes);
	if (size > lim->max_total_bytes - ps->p->total)
		return fail(ps, -E2BIG, "entry '%s': %" PRIu64 " bytes would take the package past its "
			    "limit of %" PRIu64 " bytes in all", shown, size, lim->max_total_bytes);
	return 0;
}

/* ----------------------------------------------------------------- archives */

static int archive_fail(struct parse *ps, struct archive *a, const char *shown)
{
	const char *msg = archive_error_string(a);
	if (archive_errno(a) == ENOMEM)
		return fail(ps, -ENOMEM, "out of memory reading the archive");
	if (!msg)
		msg = "unreadable archive";
	if (shown)
		return fail(ps, -EINVAL, "entry '%s': %s", shown, msg);
	return fail(ps, -EINVAL, "%s", msg);
}

/* The bound on inflated bytes that are not file data (see the top);
 * reading is the part of the current file read so far. */
static int check_stream(struct parse *ps, struct archive *a, size_t nentries, size_t reading,
			const char *shown)
{
	int64_t consumed = archive_filter_bytes(a, 0);
	uint64_t data = ps->p->total + reading;
	uint64_t meta = consumed > 0 && (uint64_t)consumed > data ? (uint64_t)consumed - data : 0;
	uint64_t allowed = PACKAGE_META_SLACK + (uint64_t)nentries * PACKAGE_META_PER_ENTRY;
	if (meta > allowed)
		return fail(ps, -E2BIG, "entry '%s': the archive holds %" PRIu64 " bytes of headers for "
			    "%zu entries (at most %" PRIu64 ")", shown, meta, nentries, allowed);
	return 0;
}

/* Reads the current entry's data into a new buffer (len + NUL; caller frees
 * it), never holding more than the caps allow. */
static int read_data(struct parse *ps, struct archive *a, struct archive_entry *e, bool is_tar,
		     size_t nentries, const char *shown, unsigned char **out, size_t *out_len)
{
	const struct package_limits *lim = ps->lim;
	uint64_t room = lim->max_total_bytes - ps->p->total;
	uint64_t limit = lim->max_file_bytes < room ? lim->max_file_bytes : room;
	bool sized = archive_entry_size_is_set(e);
	int64_t declared = archive_entry_size(e);
	if (sized && declared < 0)
		return fail(ps, -EINVAL, "entry '%s': negative size", shown);
	if (sized)
		limit = (uint64_t)declared; /* check_file made sure it fits */
	if (limit > SIZE_MAX - 1)
		return fail(ps, -E2BIG, "entry '%s': too big for this machine", shown);
	size_t cap = sized ? (size_t)limit : (size_t)(limit < PACKAGE_READ_CHUNK ? limit : PACKAGE_READ_CHUNK);
	size_t len = 0;
	unsigned char *buf = malloc(cap + 1);
	int rc;
	if (!buf)
		return fail(ps, -ENOMEM, "out of memory");
	for (;;) {
		if (len == cap) {
			if (cap == limit) {
				/* Full: one more byte means the entry lied or is too big. */
				unsigned char probe;
				la_ssize_t n = archive_read_data(a, &probe, 1);
				if (n < 0) {
					rc = archive_fail(ps, a, shown);
					goto fail_buf;
				}
				if (n == 0)
					break;
				if (sized)
					rc = fail(ps, -EINVAL, "entry '%s': holds more data than the %" PRId64
						  " bytes its header declares", shown, declared);
				else if (limit == lim->max_file_bytes)
					rc = fail(ps, -E2BIG, "entry '%s': more than %" PRIu64 " bytes, the limit "
						  "per file", shown, lim->max_file_bytes);
				else
					rc = fail(ps, -E2BIG, "entry '%s': takes the package past its limit of %"
						  PRIu64 " bytes in all", shown, lim->max_total_bytes);
				goto fail_buf;
			}
			size_t ncap = cap * 2 < limit ? cap * 2 : (size_t)limit;
			unsigned char *nbuf = realloc(buf, ncap + 1);
			if (!nbuf) {
				rc = fail(ps, -ENOMEM, "out of memory");
				goto fail_buf;
			}
			buf = nbuf;
			cap = ncap;
		}
		la_ssize_t n = archive_read_data(a, buf + len, cap - len);
		if (n < 0) {
			rc = archive_fail(ps, a, shown);
			goto fail_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (is_tar && (rc = check_stream(ps, a, nentries, len, shown)))
			goto fail_buf;
	}
	if (sized && len != (uint64_t)declared) {
		rc = fail(ps, -EINVAL, "entry '%s': ends after %zu of its %" PRId64 " declared bytes",
			  shown, len, declared);
		goto fail_buf;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
fail_buf:
	free(buf);
	return rc;
}

static const char *type_problem(struct archive_entry *e, char *why, size_t cap)
{
	char q[QUOTE_BUF];
	const char *target = archive_entry_hardlink(e);
	if (target) {
		snprintf(why, cap, "hard links are not allowed (to '%s')", quote(q, target, strlen(target)));
		return why;
	}
	target = archive_entry_symlink(e);
	if (target || archive_entry_filetype(e) == AE_IFLNK) {
		snprintf(why, cap, "symbolic links are not allowed (to '%s')",
			 target ? quote(q, target, strlen(target)) : "?");
		return why;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		return NULL;
	case AE_IFCHR:
		return "character devices are not allowed";
	case AE_IFBLK:
		return "block devices are not allowed";
	case AE_IFIFO:
		return "FIFOs are not allowed";
	case AE_IFSOCK:
		return "sockets are not allowed";
	default:
		snprintf(why, cap, "entries of type 0%o are not allowed (only files and directories)",
			 (unsigned)archive_entry_filetype(e));
		return why;
	}
}

static int read_entries(struct parse *ps, struct archive *a, bool is_tar)
{
	const struct package_limits *lim = ps->lim;
	char q[QUOTE_BUF], prev[QUOTE_BUF] = "";
	size_t nentries = 0;
	int rc;
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK) {
			/* A warning too: a header libarchive had to guess at is
			 * not one to trust. */
			const char *raw = r == ARCHIVE_WARN ? archive_entry_pathname(e) : NULL;
			if (raw)
				return archive_fail(ps, a, quote(q, raw, strlen(raw)));
			if (archive_errno(a) == ENOMEM)
				return fail(ps, -ENOMEM, "out of memory reading the archive");
			return fail(ps, -EINVAL, "%s%s%s: %s", nentries ? "after entry '" : "archive",
				    prev, nentries ? "'" : "",
				    archive_error_string(a) ? archive_error_string(a) : "unreadable");
		}
		nentries++;
		const char *raw = archive_entry_pathname(e);
		if (!raw)
			return fail(ps, -EINVAL, "entry %zu%s%s%s: the name cannot be read", nentries,
				    nentries > 1 ? " (after '" : "", prev, nentries > 1 ? "')" : "");
		size_t rawlen = strlen(raw);
		const char *shown = quote(q, raw, rawlen);
		bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
		const char *path;
		size_t plen;
		if ((rc = package_path_normalize(raw, rawlen, is_dir, lim->max_path, &path, &plen, ps->err)))
			return rc;
		char why[QUOTE_BUF + 64];
		const char *problem = type_problem(e, why, sizeof(why));
		if (problem)
			return fail(ps, -EINVAL, "entry '%s': %s", shown, problem);
		if (is_tar && (rc = check_stream(ps, a, nentries, 0, shown)))
			return rc;
		if (is_dir) {
			if (archive_entry_size_is_set(e) && archive_entry_size(e) != 0)
				return fail(ps, -EINVAL, "entry '%s': a directory with data", shown);
			if (ps->ndirs >= lim->max_files)
				return fail(ps, -E2BIG, "entry '%s': more than %zu directories", shown,
					    lim->max_files);
			if ((rc = add_dir(ps, path, plen)))
				return rc;
		} else {
			bool sized = archive_entry_size_is_set(e);
			int64_t size = archive_entry_size(e);
			if ((rc = check_file(ps, shown, sized && size >= 0, (uint64_t)size)))
				return rc;
			unsigned char *data = NULL;
			size_t len = 0;
			if ((rc = read_data(ps, a, e, is_tar, nentries, shown, &data, &len)))
				return rc;
			if ((rc = add_file(ps, path, plen, data, len)))
				return rc;
		}
		memcpy(prev, q, sizeof(prev));
	}
}

static int read_archive(struct parse *ps, enum package_format fmt, const void *body, size_t len)
{
	const unsigned char *b = body;
	bool is_tar = fmt == PACKAGE_TAR_GZ;
	/* Each content type gets its one format: a zip labelled gzip, a bare
	 * tar, or a tar.gz labelled zip is refused, not guessed at. */
	if (is_tar && (len < 2 || b[0] != 0x1f || b[1] != 0x8b))
		return fail(ps, -EINVAL, "the body is not gzip data (a .tar.gz was expected)");
	if (!is_tar && (len < 4 || b[0] != 'P' || b[1] != 'K'))
		return fail(ps, -EINVAL, "the body is not a zip archive");
	/* An end record alone, which libarchive does not recognize. */
	if (!is_tar && len == 22 && b[2] == 5 && b[3] == 6)
		return fail(ps, -EINVAL, "the package has no files (an empty zip)");
	struct archive *a = archive_read_new();
	int rc;
	if (!a)
		return fail(ps, -ENOMEM, "out of memory");
	if (is_tar) {
		archive_read_support_filter_gzip(a);
		archive_read_support_format_tar(a);
	} else {
		archive_read_support_format_zip_seekable(a);
	}
	if (archive_read_open_memory(a, body, len) != ARCHIVE_OK) {
		const char *msg = archive_error_string(a);
		if (archive_errno(a) == ENOMEM)
			rc = fail(ps, -ENOMEM, "out of memory reading the archive");
		else
			rc = fail(ps, -EINVAL, "the body is not a readable %s: %s", is_tar ? "tar.gz" : "zip",
				  msg ? msg : "unrecognized format");
		goto out;
	}
	/* libarchive unwraps gzip inside gzip on its own; one layer it is. */
	if (is_tar && (archive_filter_count(a) != 2 || archive_filter_code(a, 0) != ARCHIVE_FILTER_GZIP)) {
		rc = fail(ps, -EINVAL, "the body is not a tar inside one layer of gzip");
		goto out;
	}
	rc = read_entries(ps, a, is_tar);
out:
	archive_read_free(a);
	return rc;
}

/* ----------------------------------------------------------------- JSON */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes standard base64 (padding optional, ASCII whitespace skipped, as
 * Node's Buffer.from(s, 'base64') does) into a new buffer of *n bytes + NUL.
 * Returns 0, -EINVAL (with *bad the offset of the offending character) or
 * -ENOMEM. */
static int b64_decode(const char *s, size_t len, unsigned char **out, size_t *n, size_t *bad)
{
	unsigned char *buf = malloc(len / 4 * 3 + 3 + 1);
	size_t o = 0, nsym = 0, pad = 0;
	uint32_t acc = 0;
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64_value(c);
		if (v < 0 || pad) {
			*bad = i;
			goto fail_buf;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++nsym % 4 == 0) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (nsym % 4) {
	case 0:
		break;
	case 2:
		buf[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
		break;
	default:
		*bad = len;
		goto fail_buf;
	}
	if (pad > 2 || (pad && (nsym + pad) % 4 != 0)) {
		*bad = len;
		goto fail_buf;
	}
	buf[o] = '\0';
	*out = buf;
	*n = o;
	return 0;
fail_buf:
	free(buf);
	return -EINVAL;
}

static int json_content(struct parse *ps, const char *shown, json_t *v, unsigned char **out, size_t *len)
{
	if (json_is_string(v)) {
		size_t n = json_string_length(v);
		int rc = check_file(ps, shown, true, n);
		if (rc)
			return rc;
		unsigned char *buf = malloc(n + 1);
		if (!buf)
			return fail(ps, -ENOMEM, "out of memory");
		memcpy(buf, json_string_value(v), n);
		buf[n] = '\0';
		*out = buf;
		*len = n;
		return 0;
	}
	json_t *b64 = json_is_object(v) && json_object_size(v) == 1 ? json_object_get(v, "base64") : NULL;
	if (!json_is_string(b64))
		return fail(ps, -EINVAL, "entry '%s': the content must be a string or {\"base64\": \"...\"}",
			    shown);
	const char *s = json_string_value(b64);
	size_t slen = json_string_length(b64), bad = 0, nsym = 0;
	/* The size it decodes to, checked before anything is allocated. */
	for (size_t i = 0; i < slen; i++)
		nsym += b64_value((unsigned char)s[i]) >= 0;
	int rc = check_file(ps, shown, true, (uint64_t)nsym * 6 / 8);
	if (rc)
		return rc;
	rc = b64_decode(s, slen, out, len, &bad);
	if (rc == -ENOMEM)
		return fail(ps, rc, "out of memory");
	if (rc)
		return fail(ps, rc, "entry '%s': invalid base64 at offset %zu", shown, bad);
	return 0;
}

static int read_json(struct parse *ps, const void *body, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	int rc = 0;
	if (!root)
		return fail(ps, -EINVAL, "the body is not valid JSON: %s (line %d, column %d)", jerr.text,
			    jerr.line, jerr.column);
	json_t *files = json_object_get(root, "files");
	if (!json_is_object(root) || !json_is_object(files)) {
		rc = fail(ps, -EINVAL, "the body must be a JSON object with \"files\": {\"name\": \"content\", ...}");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(files, key, v) {
		char q[QUOTE_BUF];
		size_t klen = strlen(key);
		const char *shown = quote(q, key, klen), *path;
		size_t plen;
		unsigned char *data = NULL;
		size_t dlen = 0;
		if ((rc = package_path_normalize(key, klen, false, ps->lim->max_path, &path, &plen, ps->err)))
			goto out;
		if ((rc = json_content(ps, shown, v, &data, &dlen)))
			goto out;
		if ((rc = add_file(ps, path, plen, data, dlen)))
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

/* ----------------------------------------------------------------- finishing */

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct package_file *)a)->path, ((const struct package_file *)b)->path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const struct package_file *find_n(const struct package *p, const char *path, size_t n)
{
	size_t lo = 0, hi = p->nfiles;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = p->files[mid].path;
		int c = strncmp(m, path, n);
		if (c == 0 && m[n] != '\0')
			c = 1;
		if (c == 0)
			return &p->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct package_file *package_find(const struct package *p, const char *path)
{
	return p && path ? find_n(p, path, strlen(path)) : NULL;
}

/* Duplicates, and names that are a file and a directory at once. */
static int check_names(struct parse *ps)
{
	struct package *p = ps->p;
	char q[QUOTE_BUF];
	for (size_t i = 0; i < p->nfiles; i++) {
		const char *path = p->files[i].path;
		if (i > 0 && strcmp(p->files[i - 1].path, path) == 0)
			return fail(ps, -EINVAL, "entry '%s': duplicate name", quote(q, path, strlen(path)));
		for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
			if (find_n(p, path, (size_t)(s - path))) {
				char q2[QUOTE_BUF];
				return fail(ps, -EINVAL, "entry '%s': '%s' is a file, not a directory",
					    quote(q, path, strlen(path)), quote(q2, path, (size_t)(s - path)));
			}
		}
	}
	for (size_t i = 0; i < ps->ndirs; i++)
		if (package_find(p, ps->dirs[i]))
			return fail(ps, -EINVAL, "entry '%s': both a file and a directory",
				    quote(q, ps->dirs[i], strlen(ps->dirs[i])));
	return 0;
}

/* If every file and directory sits under one top-level directory, that
 * directory is a wrapper (`tar czf hello.tgz hello/`, npm pack's
 * "package/"): it is stripped, so the package is the same as if uploaded
 * without it. The root then held no file, so nothing there could have been
 * the entry point. */
static void strip_wrapper(struct parse *ps)
{
	struct package *p = ps->p;
	const char *first = p->files[0].path, *slash = strchr(first, '/');
	if (!slash)
		return;
	size_t n = (size_t)(slash - first) + 1; /* "dir/" */
	for (size_t i = 0; i < p->nfiles; i++)
		if (strncmp(p->files[i].path, first, n) != 0)
			return;
	for (size_t i = 0; i < ps->ndirs; i++)
		if (strncmp(ps->dirs[i], first, n - 1) != 0 ||
		    (ps->dirs[i][n - 1] != '\0' && ps->dirs[i][n - 1] != '/'))
			return;
	char q[QUOTE_BUF];
	snprintf(ps->wrapper, sizeof(ps->wrapper), "%s", quote(q, first, n));
	for (size_t i = 0; i < p->nfiles; i++) {
		char *path = p->files[i].path;
		memmove(path, path + n, strlen(path + n) + 1);
	}
}

/* Node's order for a package's main: the file, with .js, with .ts, then as
 * a directory with index.js or index.ts. */
static int resolve_main(const struct package *p, const char *m, size_t n,
			const struct package_file **found)
{
	static const char *const suffix[] = { "", ".js", ".ts", "/index.js", "/index.ts" };
	char *path = malloc(n + sizeof("/index.js"));
	*found = NULL;
	if (!path)
		return -ENOMEM;
	/* n == 0 is main "." or "./": the root as a directory. */
	for (size_t i = n ? 0 : 3; !*found && i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		const char *sfx = n ? suffix[i] : suffix[i] + 1;
		memcpy(path, m, n);
		memcpy(path + n, sfx, strlen(sfx) + 1);
		*found = package_find(p, path);
	}
	free(path);
	return 0;
}

/* The package's settings for corral, from package.json's "corral" object:
 * {"allow_eval": bool, "wasm": bool}. Returns 0, or -EINVAL with err set
 * when the object or one of its values is not what it must be. A missing
 * or unparsable package.json sets nothing (find_entry names that fault). */
static int read_settings(struct package *p, char err[PACKAGE_ERR_LEN])
{
	p->allow_eval = -1;
	p->wasm = -1;
	const struct package_file *pj = package_find(p, "package.json");
	if (!pj)
		return 0;
	size_t bom = pj->len >= 3 && memcmp(pj->data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	json_t *root = json_loadb((const char *)pj->data + bom, pj->len - bom, 0, NULL);
	json_t *cs = json_is_object(root) ? json_object_get(root, "corral") : NULL;
	int rc = 0;
	if (cs && !json_is_null(cs) && !json_is_object(cs)) {
		snprintf(err, PACKAGE_ERR_LEN, "entry 'package.json': \"corral\" must be an object ({\"allow_eval\", \"wasm\"})");
		rc = -EINVAL;
	}
	const char *k;
	json_t *v;
	if (json_is_object(cs))
		json_object_foreach(cs, k, v) {
			bool ae = !strcmp(k, "allow_eval");
			if (!ae && strcmp(k, "wasm")) {
				char q[QUOTE_BUF];
				snprintf(err, PACKAGE_ERR_LEN, "entry 'package.json': \"corral\": unknown setting '%s' "
					 "(known: allow_eval, wasm)", quote(q, k, strlen(k)));
				rc = -EINVAL;
				break;
			}
			if (json_is_null(v))
				continue;
			if (!json_is_boolean(v)) {
				snprintf(err, PACKAGE_ERR_LEN, "entry 'package.json': \"corral\".%s must be true or false", k);
				rc = -EINVAL;
				break;
			}
			*(ae ? &p->allow_eval : &p->wasm) = json_is_true(v);
		}
	json_decref(root);
	return rc;
}

static int find_entry(struct parse *ps)
{
	struct package *p = ps->p;
	const struct package_file *pj = package_find(p, "package.json"), *entry = NULL;
	char q[QUOTE_BUF];
	if (pj) {
		json_error_t jerr;
		size_t bom = pj->len >= 3 && memcmp(pj->data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0; /* Node skips it */
		json_t *root = json_loadb((const char *)pj->data + bom, pj->len - bom, 0, &jerr);
		if (!root)
			return fail(ps, -EINVAL, "entry 'package.json': not valid JSON: %s (line %d, column %d)",
				    jerr.text, jerr.line, jerr.column);
		json_t *jmain = json_is_object(root) ? json_object_get(root, "main") : NULL;
		int rc = 0;
		if (!json_is_object(root)) {
			rc = fail(ps, -EINVAL, "entry 'package.json': not a JSON object");
		} else if (jmain && !json_is_null(jmain) && !json_is_string(jmain)) {
			rc = fail(ps, -EINVAL, "entry 'package.json': \"main\" must be a string");
		} else if (json_is_string(jmain) && json_string_length(jmain) > 0) {
			/* Node resolves main against the package directory, so
			 * "./src/app.js", "src/app" and "lib/" are all fine;
			 * ".." and absolute paths would leave the package. An
			 * empty main is no main, as in Node. */
			const char *m = json_string_value(jmain);
			size_t mlen = json_string_length(jmain), off = 0, nlen = 0;
			char why[96];
			const char *problem = path_problem(m, mlen, true, ps->lim->max_path, &off, &nlen,
							   &rc, why);
			if (problem)
				rc = fail(ps, rc, "entry 'package.json': \"main\" '%s': %s", quote(q, m, mlen),
					  problem);
			else if (resolve_main(p, m + off, nlen, &entry))
				rc = fail(ps, -ENOMEM, "out of memory");
			else if (!entry)
				rc = fail(ps, -EINVAL, "entry 'package.json': \"main\" '%s' names no file%s%s%s "
					  "(tried it as is, with .js and .ts, and as a directory with index.js "
					  "or index.ts)", quote(q, m, mlen), ps->wrapper[0] ? " in '" : "",
					  ps->wrapper, ps->wrapper[0] ? "'" : "");
		}
		json_decref(root);
		if (rc)
			return rc;
	}
	static const char *const fallback[] = { "index.js", "index.ts", "index.mjs" };
	for (size_t i = 0; !entry && i < sizeof(fallback) / sizeof(fallback[0]); i++)
		entry = package_find(p, fallback[i]);
	if (!entry)
		return fail(ps, -EINVAL, "no entry point: the package has no package.json \"main\", "
			    "index.js, index.ts or index.mjs at its root%s%s%s",
			    ps->wrapper[0] ? " (nor in '" : "", ps->wrapper, ps->wrapper[0] ? "', which wraps it all)" : "");
	if (!(p->entry = strdup(entry->path)))
		return fail(ps, -ENOMEM, "out of memory");
	return 0;
}

static int hash_package(struct package *p)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; ok && i < p->nfiles; i++) {
		char num[24];
		int n = snprintf(num, sizeof(num), "%zu", p->files[i].len);
		ok = EVP_DigestUpdate(ctx, p->files[i].path, strlen(p->files[i].path) + 1) &&
		     EVP_DigestUpdate(ctx, num, (size_t)n + 1) &&
		     EVP_DigestUpdate(ctx, p->files[i].data, p->files[i].len);
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -ENOMEM;
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(p->hash + 2 * i, "%02x", md[i]);
	return 0;
}

static int hash_listing(struct parse *ps)
{
	return hash_package(ps->p) ? fail(ps, -ENOMEM, "cannot compute SHA-256") : 0;
}

static int finish(struct parse *ps)
{
	struct package *p = ps->p;
	int rc;
	if (p->nfiles == 0)
		return fail(ps, -EINVAL, "the package has no files");
	qsort(p->files, p->nfiles, sizeof(p->files[0]), cmp_file);
	if (ps->ndirs)
		qsort(ps->dirs, ps->ndirs, sizeof(ps->dirs[0]), cmp_str);
	if ((rc = check_names(ps)))
		return rc;
	strip_wrapper(ps);
	if ((rc = find_entry(ps)))
		return rc;
	if ((rc = read_settings(p, ps->err)))
		return rc;
	return hash_listing(ps);
}

/* ----------------------------------------------------------------- API */

void package_free(struct package *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].data);
	}
	free(p->files);
	free(p->entry);
	free(p);
}

int package_parse(enum package_format fmt, const void *body, size_t len,
		  const struct package_limits *lim, struct package **out,
		  char err[PACKAGE_ERR_LEN])
{
	struct parse ps = { .lim = lim ? lim : &package_limits_default, .err = err };
	int rc;
	*out = NULL;
	err[0] = '\0';
	if (len == 0)
		return fail(&ps, -EINVAL, "the body is empty");
	if (!body)
		return fail(&ps, -EINVAL, "no body");
	if (!(ps.p = calloc(1, sizeof(*ps.p))))
		return fail(&ps, -ENOMEM, "out of memory");
	/* libarchive converts names to the locale's charset: make it UTF-8
	 * for this thread only (see the top). Without C.UTF-8, non-ASCII
	 * names are refused as unreadable, never misread. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
	switch (fmt) {
	case PACKAGE_TAR_GZ:
	case PACKAGE_ZIP:
		rc = read_archive(&ps, fmt, body, len);
		break;
	case PACKAGE_JSON:
		rc = read_json(&ps, body, len);
		break;
	default:
		rc = fail(&ps, -EINVAL, "unknown package format %d", (int)fmt);
	}
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	if (!rc)
		rc = finish(&ps);
	for (size_t i = 0; i < ps.ndirs; i++)
		free(ps.dirs[i]);
	free(ps.dirs);
	if (rc) {
		package_free(ps.p);
		return rc;
	}
	*out = ps.p;
	err[0] = '\0';
	return 0;
}

int package_format_from_type(const char *content_type, enum package_format *fmt)
{
	static const struct {
		const char *type;
		enum package_format fmt;
	} types[] = {
		{ "application/gzip", PACKAGE_TAR_GZ },
		{ "application/x-gzip", PACKAGE_TAR_GZ },
		{ "application/x-tar+gzip", PACKAGE_TAR_GZ },
		{ "application/tar+gzip", PACKAGE_TAR_GZ },
		{ "application/x-compressed-tar", PACKAGE_TAR_GZ },
		{ "application/zip", PACKAGE_ZIP },
		{ "application/x-zip", PACKAGE_ZIP },
		{ "application/x-zip-compressed", PACKAGE_ZIP },
		{ "application/json", PACKAGE_JSON },
	};
	if (!content_type)
		return -EINVAL;
	const char *s = content_type + strspn(content_type, " \t");
	size_t n = strcspn(s, ";");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].type) == n && strncasecmp(s, types[i].type, n) == 0) {
			*fmt = types[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

/* ------------------------------------------------------ stored form */

#define PACKAGE_MAGIC "corral-package 1\n"

int package_serialize(const struct package *p, struct buf *out)
{
	int rc = buf_puts(out, PACKAGE_MAGIC);
	rc = rc ? rc : buf_append(out, p->entry, strlen(p->entry) + 1);
	for (size_t i = 0; !rc && i < p->nfiles; i++) {
		rc = buf_append(out, p->files[i].path, strlen(p->files[i].path) + 1);
		rc = rc ? rc : buf_printf(out, "%zu", p->files[i].len);
		rc = rc ? rc : buf_putc(out, '\0');
		rc = rc ? rc : buf_append(out, p->files[i].data, p->files[i].len);
	}
	return rc;
}

int package_deserialize(const void *blob, size_t len, const char *hash, struct package **out)
{
	const char *p = blob, *end = p + len;
	size_t ml = strlen(PACKAGE_MAGIC);
	*out = NULL;
	if (len < ml || memcmp(p, PACKAGE_MAGIC, ml) != 0)
		return -EINVAL;
	p += ml;
	struct package *pk = calloc(1, sizeof *pk);
	if (!pk)
		return -ENOMEM;
	int rc = -EINVAL;
	const char *nul = memchr(p, '\0', (size_t)(end - p));
	if (!nul || !(pk->entry = strdup(p)))
		goto fail;
	p = nul + 1;
	size_t alloc = 0;
	while (p < end) {
		const char *pn = memchr(p, '\0', (size_t)(end - p));
		if (!pn)
			goto fail;
		const char *ln = memchr(pn + 1, '\0', (size_t)(end - pn - 1));
		if (!ln)
			goto fail;
		char *e;
		unsigned long long n = strtoull(pn + 1, &e, 10);
		if (e != ln || n > (unsigned long long)(end - ln - 1))
			goto fail;
		if (pk->nfiles == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			struct package_file *nf = realloc(pk->files, alloc * sizeof *nf);
			if (!nf) {
				rc = -ENOMEM;
				goto fail;
			}
			pk->files = nf;
		}
		struct package_file *f = &pk->files[pk->nfiles];
		f->path = strndup(p, (size_t)(pn - p));
		f->data = malloc((size_t)n + 1);
		if (!f->path || !f->data) {
			free(f->path);
			free(f->data);
			rc = -ENOMEM;
			goto fail;
		}
		memcpy(f->data, ln + 1, (size_t)n);
		f->data[n] = '\0';
		f->len = (size_t)n;
		pk->total += n;
		pk->nfiles++;
		p = ln + 1 + n;
	}
	if (hash_package(pk)) {
		rc = -ENOMEM;
		goto fail;
	}
	/* The stored bytes must still be the package they were. */
	if (hash && strcmp(hash, pk->hash) != 0)
		goto fail;
	/* Checked when it was stored: a fault now only leaves them unset. */
	char serr[PACKAGE_ERR_LEN];
	read_settings(pk, serr);
	*out = pk;
	return 0;
fail:
	package_free(pk);
	return rc;
}
