/* package — an uploaded function body (tar.gz, zip or JSON) turned into a
 * validated package in memory, before anything is stored.
 *
 * Everything in an upload is untrusted: names, entry types, declared sizes,
 * compression ratios, package.json. package_parse() reads the body once,
 * streaming, and refuses it at the first entry that breaks a rule, with a
 * message naming that entry; the caps in struct package_limits hold while
 * data is inflated, so a bomb stops after at most the caps' worth of work
 * and memory. What comes out is only regular files with normalized relative
 * names (directories are implied by the names), an entry point that exists,
 * and a SHA-256 over a canonical listing, the same for the same files
 * whatever the format or order they arrived in. Store the files of a
 * package, never the uploaded bytes: other tools may read those bytes
 * differently. docs/internals/package.md has the rules and the reasons. */
#ifndef CORRAL_PACKAGE_H
#define CORRAL_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PACKAGE_ERR_LEN 512

/* The defaults: 10,000 files, 50 MiB per file, 50 MiB in all, 1024-byte names. */
#define PACKAGE_MAX_FILES_DEFAULT 10000
#define PACKAGE_MAX_FILE_BYTES_DEFAULT (50ull << 20)
#define PACKAGE_MAX_TOTAL_BYTES_DEFAULT (50ull << 20)
#define PACKAGE_MAX_PATH_DEFAULT 1024

struct package_limits {
	size_t max_files;         /* regular files; directory entries are capped at the same number */
	uint64_t max_file_bytes;  /* one file, expanded */
	uint64_t max_total_bytes; /* all files, expanded */
	size_t max_path;          /* bytes in a normalized name */
};

extern const struct package_limits package_limits_default;

/* path: normalized (see package_path_normalize), relative, no leading "/".
 * data: len bytes followed by a NUL that len does not count. */
struct package_file {
	char *path;
	unsigned char *data;
	size_t len;
};

/* Invariants: files are sorted by path (strcmp order) and unique; no path
 * is a prefix directory of another ("a" and "a/b" never both); nfiles >= 1;
 * total is the sum of the lens; entry is the path of one of the files. */
struct package {
	struct package_file *files;
	size_t nfiles;
	uint64_t total;
	char hash[65];  /* SHA-256, lowercase hex, over "path\0<len in decimal>\0<bytes>" per file in order */
	char *entry;    /* package.json main (resolved), else index.js, index.ts, index.mjs */
	/* package.json's "corral": {"allow_eval": bool, "wasm": bool}, each -1
	 * when not given (the tenant's setting then applies). */
	int allow_eval;
	int wasm;
};

enum package_format { PACKAGE_TAR_GZ, PACKAGE_ZIP, PACKAGE_JSON };

/* Parses and validates an upload of len bytes at body. lim NULL means
 * package_limits_default. Returns 0 with *out set (caller frees it with
 * package_free), or with *out NULL: -EINVAL (a malformed body or a
 * forbidden entry), -E2BIG (a limit passed), -ENOMEM; err then says why,
 * naming the offending entry ("entry 'a/../b': '..' is not allowed"), with
 * names quoted printable (control and non-UTF-8 bytes as \xNN). Uses no
 * global state: threads may parse at once. */
int package_parse(enum package_format fmt, const void *body, size_t len,
		  const struct package_limits *lim, struct package **out,
		  char err[PACKAGE_ERR_LEN]);
/* package_free(NULL) is a no-op. */
void package_free(struct package *p);
/* The file at path (normalized, as in the package), or NULL. Borrowed. */
const struct package_file *package_find(const struct package *p, const char *path);

/* Content-Type (parameters and case ignored) to format: application/gzip,
 * application/x-gzip, application/x-tar+gzip, application/tar+gzip,
 * application/x-compressed-tar; application/zip, application/x-zip,
 * application/x-zip-compressed; application/json. Returns 0 or -EINVAL. */
int package_format_from_type(const char *content_type, enum package_format *fmt);

/* Checks one entry name of len bytes as an upload may give it, and
 * normalizes it: leading "./" are dropped, and for a directory
 * (is_dir) one trailing "/". Refused: empty names, NUL, bytes that are not
 * UTF-8, control characters, "\\", a leading "/", and "", "." or ".."
 * components. Returns 0 with the result at *out (inside name, *out_len
 * bytes, not NUL-terminated; 0 bytes means the root directory, allowed only
 * when is_dir), -EINVAL, or -E2BIG when the result is longer than max_path;
 * err names the entry. */
int package_path_normalize(const char *name, size_t len, bool is_dir, size_t max_path,
			   const char **out, size_t *out_len, char err[PACKAGE_ERR_LEN]);

struct buf;
/* The stored form: a magic line, the entry, then the canonical listing
 * (path NUL length NUL bytes, sorted). Appends to out. */
int package_serialize(const struct package *p, struct buf *out);
/* Reads the stored form back; with hash set, refuses (-EINVAL) bytes whose
 * files no longer hash to it. Caller frees *out with package_free. */
int package_deserialize(const void *blob, size_t len, const char *hash, struct package **out);

#endif
