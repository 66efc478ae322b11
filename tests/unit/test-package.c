/* test-package — upload bodies into validated packages.
 *
 * Three parts. Direct cases: name normalization (package_path_normalize),
 * content types, the JSON format with small limits, base64, entry-point
 * resolution, the wrapper rule, the canonical hash recomputed here by hand.
 * The table: tests/helpers/hostile_archives.py writes the hostile (and good)
 * bodies with manifest.json; every one is parsed with the default limits and
 * must be refused with the error class and a message naming what it says,
 * or accepted with the files and entry it lists, bodies of one group giving
 * one hash. Peak memory (ru_maxrss) may grow by less than 100 MiB over the
 * whole table, bombs included. Last, a few thousand seeded mutations of the
 * good bodies must give 0, -EINVAL or -E2BIG and a printable message (run it
 * under ASan to make that mean something).
 *
 * Usage: test-package PYTHON GENERATOR   (meson: writes the table into a
 *                                          temporary directory, removed after)
 *        test-package DIR                (a table written already)
 * With no arguments, python3 and tests/helpers/hostile_archives.py from the
 * current directory are tried; if that fails the table is a SKIP. */
#include "supervisor/package.h"
#include "common/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "tap.h"

#define LIMIT_GROWTH_KB (100 * 1024)

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* true when s is printable UTF-8 (what package.h promises for err). */
static bool printable(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; u[i];) {
		unsigned c = u[i];
		size_t k = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
			: c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (k == 0 || (k == 1 && (c < 0x20 || c == 0x7f)))
			return false;
		for (size_t j = 1; j < k; j++)
			if ((u[i + j] & 0xc0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

static int read_all(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) < 0) {
		fclose(f);
		return -errno;
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf || n != (size_t)st.st_size) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* ------------------------------------------------------------ names */

struct norm_case {
	const char *name;
	size_t len;     /* 0: strlen */
	bool dir;
	int rc;
	const char *want; /* the normalized name, or a substring of err */
};

static void test_normalize(void)
{
	static const struct norm_case cases[] = {
		{ "index.js", 0, false, 0, "index.js" },
		{ "./index.js", 0, false, 0, "index.js" },
		{ "././a/b.js", 0, false, 0, "a/b.js" },
		{ "lib/", 0, true, 0, "lib" },
		{ "./lib/", 0, true, 0, "lib" },
		{ "lib", 0, true, 0, "lib" },
		{ "./", 0, true, 0, "" },
		{ ".", 0, true, 0, "" },
		{ ".hidden", 0, false, 0, ".hidden" },
		{ "...", 0, false, 0, "..." },
		{ "..a/a..", 0, false, 0, "..a/a.." },
		{ "caf\xc3\xa9/\xe6\x97\xa5\xf0\x9f\x98\x80.js", 0, false, 0,
		  "caf\xc3\xa9/\xe6\x97\xa5\xf0\x9f\x98\x80.js" },
		{ "a b/c'd.js", 0, false, 0, "a b/c'd.js" },
		{ "", 0, false, -EINVAL, "empty" },
		{ ".", 0, false, -EINVAL, "'.'" },
		{ "./", 0, false, -EINVAL, "ends in '/'" },
		{ "lib/", 0, false, -EINVAL, "ends in '/'" },
		{ "..", 0, false, -EINVAL, "'..'" },
		{ "..", 0, true, -EINVAL, "'..'" },
		{ "../x", 0, false, -EINVAL, "entry '../x': '..' is not allowed" },
		{ "a/../b", 0, false, -EINVAL, "entry 'a/../b': '..' is not allowed" },
		{ "a/..", 0, true, -EINVAL, "'..'" },
		{ "a/../", 0, true, -EINVAL, "'..'" },
		{ "./../x", 0, false, -EINVAL, "'..'" },
		{ "/etc/passwd", 0, false, -EINVAL, "absolute" },
		{ "/", 0, true, -EINVAL, "absolute" },
		{ "a//b", 0, false, -EINVAL, "'//'" },
		{ ".//a", 0, false, -EINVAL, "'//'" },
		{ "lib//", 0, true, -EINVAL, "'//'" },
		{ "a/./b", 0, false, -EINVAL, "'.'" },
		{ "a/.", 0, true, -EINVAL, "'.'" },
		{ "a\\b", 0, false, -EINVAL, "entry 'a\\\\b'" },
		{ "a\nb", 0, false, -EINVAL, "entry 'a\\x0ab': control character" },
		{ "a\x7f", 0, false, -EINVAL, "control" },
		{ "a\x1b[31m", 0, false, -EINVAL, "\\x1b" },
		{ "it's", 0, false, 0, "it's" },
		{ "it's/\n", 0, false, -EINVAL, "entry 'it\\'s/\\x0a'" },
		{ "a\0b", 3, false, -EINVAL, "NUL" },
		{ "index.js\0", 9, false, -EINVAL, "NUL" },
		{ "\xff.js", 0, false, -EINVAL, "entry '\\xff.js': the name is not valid UTF-8" },
		{ "caf\xe9.js", 0, false, -EINVAL, "UTF-8" },
		{ "\xc0\xaf", 0, false, -EINVAL, "UTF-8" },             /* overlong '/' */
		{ "\xe0\x80\xaf", 0, false, -EINVAL, "UTF-8" },         /* overlong '/' */
		{ "\xed\xa0\x80", 0, false, -EINVAL, "UTF-8" },         /* surrogate */
		{ "\xf4\x90\x80\x80", 0, false, -EINVAL, "UTF-8" },     /* past U+10FFFF */
		{ "\xe6\x97", 0, false, -EINVAL, "UTF-8" },             /* cut short */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct norm_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->name);
		char err[PACKAGE_ERR_LEN] = "", shown[64];
		const char *out = NULL;
		size_t out_len = 0;
		int rc = package_path_normalize(c->name, len, c->dir, 1024, &out, &out_len, err);
		snprintf(shown, sizeof(shown), "%zu", i);
		if (c->rc == 0) {
			if (!ok(rc == 0 && out_len == strlen(c->want) && memcmp(out, c->want, out_len) == 0,
				"normalize #%s%s: accepted as '%s'", shown, c->dir ? " (dir)" : "", c->want))
				diag("rc %d, err '%s'", rc, err);
		} else {
			if (!ok(rc == c->rc && strstr(err, c->want) && printable(err),
				"normalize #%s%s: refused, err has \"%s\"", shown, c->dir ? " (dir)" : "", c->want))
				diag("rc %d, err '%s'", rc, err);
		}
	}

	/* Length: the normalized name counts, against max_path. */
	char name[2100];
	char err[PACKAGE_ERR_LEN];
	const char *out;
	size_t n;
	memset(name, 'x', sizeof(name));
	is_int(package_path_normalize(name, 1024, false, 1024, &out, &n, err), 0, "a 1024-byte name fits");
	is_int(package_path_normalize(name, 1025, false, 1024, &out, &n, err), -E2BIG, "a 1025-byte name is -E2BIG");
	ok(strstr(err, "1025 bytes") && strstr(err, "...'") && strlen(err) < 300,
	   "  and the message gives its length and shows it cut: %.60s...", err);
	memcpy(name, "./", 2);
	is_int(package_path_normalize(name, 1026, false, 1024, &out, &n, err), 0,
	       "'./' + 1024 bytes fits (the normalized name counts)");
	name[1024] = '/';
	is_int(package_path_normalize(name, 1025, true, 1024, &out, &n, err), 0,
	       "a 1024-byte directory name with its '/' fits");
	memset(name, 0xff, sizeof(name));
	name[sizeof(name) - 1] = 0;
	package_path_normalize(name, strlen(name), false, 4096, &out, &n, err);
	ok(strlen(err) < PACKAGE_ERR_LEN && printable(err), "2,099 bad bytes: the message stays short and printable");
}

static void test_types(void)
{
	static const struct {
		const char *type;
		int rc;
		enum package_format fmt;
	} cases[] = {
		{ "application/gzip", 0, PACKAGE_TAR_GZ },
		{ "application/x-gzip", 0, PACKAGE_TAR_GZ },
		{ "application/x-tar+gzip", 0, PACKAGE_TAR_GZ },
		{ "Application/GZIP; charset=binary", 0, PACKAGE_TAR_GZ },
		{ "application/zip", 0, PACKAGE_ZIP },
		{ " application/x-zip-compressed ", 0, PACKAGE_ZIP },
		{ "application/json", 0, PACKAGE_JSON },
		{ "application/json;charset=utf-8", 0, PACKAGE_JSON },
		{ "application/json ; charset=UTF-8", 0, PACKAGE_JSON },
		{ "application/x-tar", -EINVAL, 0 },
		{ "application/gzipx", -EINVAL, 0 },
		{ "application/json-seq", -EINVAL, 0 },
		{ "text/plain", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ NULL, -EINVAL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum package_format fmt = (enum package_format)-1;
		int rc = package_format_from_type(cases[i].type, &fmt);
		ok(rc == cases[i].rc && (rc || fmt == cases[i].fmt), "content type '%s' -> %s",
		   cases[i].type ? cases[i].type : "(null)",
		   cases[i].rc ? "-EINVAL" : cases[i].fmt == PACKAGE_TAR_GZ ? "tar.gz"
					   : cases[i].fmt == PACKAGE_ZIP ? "zip" : "json");
	}
}

/* ------------------------------------------------------------ JSON, direct */

static struct package *parse_json(const char *body, const struct package_limits *lim, int *rc,
				  char err[PACKAGE_ERR_LEN])
{
	struct package *p = (struct package *)1;
	*rc = package_parse(PACKAGE_JSON, body, strlen(body), lim, &p, err);
	return p;
}

/* Parses body, expects rc and (on failure) want in err, or (on success)
 * want as the entry point. */
static void expect(const char *what, const char *body, const struct package_limits *lim, int want_rc,
		   const char *want)
{
	char err[PACKAGE_ERR_LEN] = "";
	int rc;
	struct package *p = parse_json(body, lim, &rc, err);
	if (want_rc == 0) {
		if (!ok(rc == 0 && p && strcmp(p->entry, want) == 0, "%s: entry %s", what, want))
			diag("rc %d err '%s' entry '%s'", rc, err, p && rc == 0 ? p->entry : "-");
	} else {
		if (!ok(rc == want_rc && p == NULL && strstr(err, want) && printable(err),
			"%s: %s, err has \"%s\"", what, want_rc == -E2BIG ? "-E2BIG" : "-EINVAL", want))
			diag("rc %d err '%s'", rc, err);
	}
	package_free(rc == 0 ? p : NULL);
}

static void hex(const unsigned char *md, char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void test_json(void)
{
	char err[PACKAGE_ERR_LEN];
	int rc;
	struct package *p = parse_json(
		"{\"timeout_ms\": 5, \"files\": {\"lib/b.js\": \"B\", \"index.js\": \"module.exports = 1;\\n\","
		" \"z.bin\": {\"base64\": \"AAEC/w==\"}, \"nul.txt\": \"a\\u0000b\"}, \"env\": {\"K\": \"v\"}}",
		NULL, &rc, err);
	if (!ok(rc == 0 && p, "JSON: parses (other top-level keys ignored)")) {
		diag("rc %d err '%s'", rc, err);
		return;
	}
	is_int(p->nfiles, 4, "  4 files");
	is_str(p->files[0].path, "index.js", "  sorted: index.js first");
	is_str(p->files[1].path, "lib/b.js", "  then lib/b.js");
	is_str(p->files[2].path, "nul.txt", "  then nul.txt");
	is_str(p->files[3].path, "z.bin", "  then z.bin");
	is_str(p->entry, "index.js", "  entry index.js");
	is_int(p->total, 20 + 1 + 4 + 3, "  total counts every byte");
	const struct package_file *f = package_find(p, "z.bin");
	ok(f && f->len == 4 && memcmp(f->data, "\x00\x01\x02\xff", 4) == 0 && f->data[4] == 0,
	   "  base64 decoded, NUL after the data");
	f = package_find(p, "nul.txt");
	ok(f && f->len == 3 && memcmp(f->data, "a\0b", 3) == 0, "  a string with \\u0000 keeps it");
	ok(package_find(p, "lib") == NULL && package_find(p, "index") == NULL &&
	   package_find(p, "index.js.x") == NULL && package_find(p, "") == NULL &&
	   package_find(NULL, "index.js") == NULL, "  package_find: directories, prefixes and NULL miss");
	ok(package_find(p, "lib/b.js") == &p->files[1], "  package_find: a hit");

	/* The canonical listing, by hand. */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	char want[65];
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, "index.js\0" "20\0" "module.exports = 1;\n", 9 + 3 + 20);
	EVP_DigestUpdate(ctx, "lib/b.js\0" "1\0" "B", 9 + 2 + 1);
	EVP_DigestUpdate(ctx, "nul.txt\0" "3\0" "a\0b", 8 + 2 + 3);
	EVP_DigestUpdate(ctx, "z.bin\0" "4\0" "\x00\x01\x02\xff", 6 + 2 + 4);
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	hex(md, want);
	is_str(p->hash, want, "  hash = SHA-256 of path\\0len\\0bytes, sorted by path");

	/* The same files, in another order and spelling, hash the same. */
	struct package *q = parse_json(
		"{\"files\": {\"./z.bin\": {\"base64\": \"AAEC\\n/w\"}, \"nul.txt\": {\"base64\": \"YQBi\"},"
		" \"./lib/b.js\": \"B\", \"index.js\": \"module.exports = 1;\\n\"}}", NULL, &rc, err);
	ok(rc == 0 && strcmp(q->hash, p->hash) == 0, "  same files in another order and encoding: same hash");
	package_free(q);
	q = parse_json("{\"files\": {\"lib/b.js\": \"C\", \"index.js\": \"module.exports = 1;\\n\","
		       " \"z.bin\": {\"base64\": \"AAEC/w==\"}, \"nul.txt\": \"a\\u0000b\"}}", NULL, &rc, err);
	ok(rc == 0 && strcmp(q->hash, p->hash) != 0, "  one byte changed: another hash");
	package_free(q);
	q = parse_json("{\"files\": {\"lib/c.js\": \"B\", \"index.js\": \"module.exports = 1;\\n\","
		       " \"z.bin\": {\"base64\": \"AAEC/w==\"}, \"nul.txt\": \"a\\u0000b\"}}", NULL, &rc, err);
	ok(rc == 0 && strcmp(q->hash, p->hash) != 0, "  one name changed: another hash");
	package_free(q);
	/* "ab" + "c" must not hash like "a" + "bc": the listing is unambiguous. */
	struct package *r1 = parse_json("{\"files\": {\"index.js\": \"ab\", \"x\": \"c\"}}", NULL, &rc, err);
	struct package *r2 = parse_json("{\"files\": {\"index.js\": \"a\", \"x\": \"bc\"}}", NULL, &rc, err);
	ok(r1 && r2 && strcmp(r1->hash, r2->hash) != 0, "  bytes moved between files: another hash");
	package_free(r1);
	package_free(r2);
	package_free(p);
	package_free(NULL);

	/* Limits, exactly at and one past each. */
	struct package_limits lim = { .max_files = 3, .max_file_bytes = 10, .max_total_bytes = 15, .max_path = 8 };
	expect("at every limit", "{\"files\": {\"index.js\": \"0123456789\", \"a\": \"01234\", \"12345678\": \"\"}}",
	       &lim, 0, "index.js");
	expect("4 files of 3", "{\"files\": {\"index.js\": \"\", \"a\": \"\", \"b\": \"\", \"c\": \"\"}}", &lim,
	       -E2BIG, "entry 'c': more than 3 files");
	expect("11 bytes of 10", "{\"files\": {\"index.js\": \"\", \"big\": \"01234567890\"}}", &lim, -E2BIG,
	       "entry 'big': 11 bytes");
	expect("16 bytes of 15 in all", "{\"files\": {\"index.js\": \"0123456789\", \"a\": \"012345\"}}", &lim,
	       -E2BIG, "entry 'a': 6 bytes would take the package past its limit of 15");
	expect("a 9-byte name of 8", "{\"files\": {\"index.js\": \"\", \"123456789\": \"\"}}", &lim, -E2BIG,
	       "9 bytes");
	expect("base64 of 11 bytes, checked before decoding",
	       "{\"files\": {\"index.js\": \"\", \"b\": {\"base64\": \"MDEyMzQ1Njc4OTA=\"}}}", &lim, -E2BIG,
	       "entry 'b': 11 bytes");

	/* base64 */
	expect("base64 without padding", "{\"files\": {\"index.js\": {\"base64\": \"aGVsbG8\"}}}", NULL, 0, "index.js");
	expect("base64, bad character", "{\"files\": {\"index.js\": {\"base64\": \"aGV*bG8=\"}}}", NULL, -EINVAL,
	       "entry 'index.js': invalid base64 at offset 3");
	expect("base64, too much padding", "{\"files\": {\"index.js\": {\"base64\": \"aGVsbG8==\"}}}", NULL,
	       -EINVAL, "invalid base64");
	expect("base64, one symbol left over", "{\"files\": {\"index.js\": {\"base64\": \"aGVsb\"}}}", NULL,
	       -EINVAL, "invalid base64");
	expect("base64, data after padding", "{\"files\": {\"index.js\": {\"base64\": \"aG==bG8=\"}}}", NULL,
	       -EINVAL, "invalid base64");
	expect("base64 and another key", "{\"files\": {\"index.js\": {\"base64\": \"\", \"mode\": 1}}}", NULL,
	       -EINVAL, "string or {\"base64\"");
	expect("a number as content", "{\"files\": {\"index.js\": 1}}", NULL, -EINVAL, "entry 'index.js'");
	expect("null as content", "{\"files\": {\"index.js\": null}}", NULL, -EINVAL, "entry 'index.js'");

	/* The body */
	expect("not JSON", "{\"files\": ", NULL, -EINVAL, "not valid JSON");
	expect("an array", "[]", NULL, -EINVAL, "\"files\"");
	expect("files is null", "{\"files\": null}", NULL, -EINVAL, "\"files\"");
	expect("files is empty", "{\"files\": {}}", NULL, -EINVAL, "no files");
	expect("a duplicate key", "{\"files\": {\"index.js\": \"a\", \"index.js\": \"a\"}}", NULL, -EINVAL,
	       "index.js");
	expect("NUL in a key", "{\"files\": {\"index.js\": \"a\", \"x\\u0000y\": \"a\"}}", NULL, -EINVAL, "NUL");
	expect("a key ending in '/'", "{\"files\": {\"index.js\": \"a\", \"lib/\": \"\"}}", NULL, -EINVAL,
	       "ends in '/'");
	expect("'./a' and 'a'", "{\"files\": {\"index.js\": \"\", \"./a\": \"\", \"a\": \"\"}}", NULL, -EINVAL,
	       "entry 'a': duplicate name");
	expect("'lib' a file and a directory", "{\"files\": {\"index.js\": \"\", \"lib\": \"\", \"lib/a.js\": \"\"}}",
	       NULL, -EINVAL, "entry 'lib/a.js': 'lib' is a file");
	expect("a file under a file, deep", "{\"files\": {\"index.js\": \"\", \"a/b\": \"\", \"a/b/c/d\": \"\"}}",
	       NULL, -EINVAL, "'a/b' is a file");
	expect("'a-b' between 'a' and 'a/b' in sort order",
	       "{\"files\": {\"index.js\": \"\", \"a\": \"\", \"a-b\": \"\", \"a/b\": \"\"}}", NULL, -EINVAL,
	       "'a' is a file");
	{
		char e2[PACKAGE_ERR_LEN];
		struct package *pp = (struct package *)1;
		is_int(package_parse(PACKAGE_JSON, "", 0, NULL, &pp, e2), -EINVAL, "an empty body: -EINVAL");
		ok(pp == NULL && strstr(e2, "empty"), "  *out NULL, \"%s\"", e2);
		is_int(package_parse((enum package_format)7, "{}", 2, NULL, &pp, e2), -EINVAL,
		       "an unknown format: -EINVAL");
	}

	/* Entry points */
	expect("index.js before index.ts", "{\"files\": {\"index.ts\": \"\", \"index.js\": \"\", \"index.mjs\": \"\"}}",
	       NULL, 0, "index.js");
	expect("index.ts before index.mjs", "{\"files\": {\"index.mjs\": \"\", \"index.ts\": \"\"}}", NULL, 0, "index.ts");
	expect("index.mjs alone", "{\"files\": {\"index.mjs\": \"\"}}", NULL, 0, "index.mjs");
	expect("index.cjs is not an entry", "{\"files\": {\"index.cjs\": \"\"}}", NULL, -EINVAL, "no entry point");
	expect("main before index.js",
	       "{\"files\": {\"index.js\": \"\", \"app.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"app.js\\\"}\"}}",
	       NULL, 0, "app.js");
	expect("package.json without main",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"name\\\": \\\"x\\\"}\"}}", NULL, 0, "index.js");
	expect("main \"\" is no main",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"\\\"}\"}}", NULL, 0, "index.js");
	expect("main null is no main",
	       "{\"files\": {\"index.ts\": \"\", \"package.json\": \"{\\\"main\\\": null}\"}}", NULL, 0, "index.ts");
	expect("main \".\" is the root's index",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\".\\\"}\"}}", NULL, 0, "index.js");
	expect("main \"./\" is the root's index, .ts too",
	       "{\"files\": {\"index.ts\": \"\", \"package.json\": \"{\\\"main\\\": \\\"./\\\"}\"}}", NULL, 0, "index.ts");
	expect("main \"lib/\" is lib/index.js",
	       "{\"files\": {\"lib/index.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"lib/\\\"}\"}}", NULL, 0,
	       "lib/index.js");
	expect("main \"lib\": lib.js before lib/index.js (Node's order)",
	       "{\"files\": {\"lib/index.js\": \"\", \"lib.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"lib\\\"}\"}}",
	       NULL, 0, "lib.js");
	expect("main \"src/app\" is src/app.ts",
	       "{\"files\": {\"src/app.ts\": \"\", \"package.json\": \"{\\\"main\\\": \\\"./src/app\\\"}\"}}", NULL, 0,
	       "src/app.ts");
	expect("main \"server\" without extension",
	       "{\"files\": {\"server\": \"\", \"package.json\": \"{\\\"main\\\": \\\"server\\\"}\"}}", NULL, 0, "server");
	expect("main \"lib\" as lib/index.ts",
	       "{\"files\": {\"lib/index.ts\": \"\", \"package.json\": \"{\\\"main\\\": \\\"lib\\\"}\"}}", NULL, 0,
	       "lib/index.ts");
	expect("main missing: no fallback to index.js",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"app.js\\\"}\"}}", NULL, -EINVAL,
	       "\"main\" 'app.js' names no file");
	expect("main with '..'",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"lib/../index.js\\\"}\"}}", NULL,
	       -EINVAL, "\"main\" 'lib/../index.js': '..' is not allowed");
	expect("main with a NUL",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"main\\\": \\\"index.js\\\\u0000\\\"}\"}}", NULL,
	       -EINVAL, "NUL");
	expect("main a number",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"main\\\": 1}\"}}", NULL, -EINVAL,
	       "\"main\" must be a string");
	expect("package.json an array",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"[]\"}}", NULL, -EINVAL, "not a JSON object");
	expect("package.json not JSON",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{main\"}}", NULL, -EINVAL,
	       "entry 'package.json': not valid JSON");
	expect("package.json with a byte-order mark, as Node allows",
	       "{\"files\": {\"app.js\": \"\", \"package.json\": \"\\ufeff{\\\"main\\\": \\\"app.js\\\"}\"}}", NULL, 0,
	       "app.js");
	expect("package.json in a subdirectory does not count",
	       "{\"files\": {\"index.js\": \"\", \"x/package.json\": \"{\\\"main\\\": \\\"y.js\\\"}\"}}", NULL, 0,
	       "index.js");

	/* The wrapper rule */
	expect("one top-level directory is stripped",
	       "{\"files\": {\"hello/index.js\": \"\", \"hello/lib/a.js\": \"\"}}", NULL, 0, "index.js");
	expect("and its package.json main read after",
	       "{\"files\": {\"pkg/app.js\": \"\", \"pkg/package.json\": \"{\\\"main\\\": \\\"app.js\\\"}\"}}", NULL, 0,
	       "app.js");
	expect("two top-level directories: nothing stripped",
	       "{\"files\": {\"hello/index.js\": \"\", \"other/x.js\": \"\"}}", NULL, -EINVAL, "no entry point");
	expect("a file at the root: nothing stripped",
	       "{\"files\": {\"hello/index.js\": \"\", \"README\": \"\"}}", NULL, -EINVAL, "no entry point");
	expect("only one level is stripped",
	       "{\"files\": {\"a/b/index.js\": \"\", \"a/b/c.js\": \"\"}}", NULL, -EINVAL, "(nor in 'a/'");
	{
		struct package *w = parse_json("{\"files\": {\"hello/index.js\": \"x\", \"hello/lib/a.js\": \"y\"}}",
					       NULL, &rc, err);
		struct package *u = parse_json("{\"files\": {\"index.js\": \"x\", \"lib/a.js\": \"y\"}}", NULL, &rc, err);
		ok(w && u && strcmp(w->files[1].path, "lib/a.js") == 0 && package_find(w, "hello/index.js") == NULL &&
		   strcmp(w->hash, u->hash) == 0, "a wrapped package is the unwrapped one, hash and all");
		package_free(w);
		package_free(u);
	}
}

/* package.json's "corral" settings: read on parse and on the way back
 * from the stored form; a bad one refuses the upload, naming it. */
static void test_settings(void)
{
	char err[PACKAGE_ERR_LEN] = "";
	int rc;
	struct package *p = parse_json("{\"files\": {\"index.js\": \"\", \"package.json\": "
				       "\"{\\\"corral\\\": {\\\"allow_eval\\\": true, \\\"wasm\\\": false}}\"}}", NULL, &rc, err);
	ok(rc == 0 && p && p->allow_eval == 1 && p->wasm == 0, "corral settings are read (%s)", err);
	struct buf b = BUF_INIT(1u << 20);
	struct package *q = NULL;
	if (rc == 0 && p && !package_serialize(p, &b))
		package_deserialize(b.data, b.len, p->hash, &q);
	ok(q && q->allow_eval == 1 && q->wasm == 0, "and read again from the stored form");
	package_free(q);
	buf_release(&b);
	package_free(rc == 0 ? p : NULL);
	p = parse_json("{\"files\": {\"index.js\": \"\"}}", NULL, &rc, err);
	ok(rc == 0 && p && p->allow_eval == -1 && p->wasm == -1, "without package.json both are unset");
	package_free(rc == 0 ? p : NULL);
	expect("corral must be an object",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"corral\\\": 1}\"}}", NULL, -EINVAL,
	       "\"corral\" must be an object");
	expect("corral.allow_eval must be a boolean",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"corral\\\": {\\\"allow_eval\\\": \\\"yes\\\"}}\"}}",
	       NULL, -EINVAL, "\"corral\".allow_eval must be true or false");
	expect("an unknown corral setting is named",
	       "{\"files\": {\"index.js\": \"\", \"package.json\": \"{\\\"corral\\\": {\\\"wasm\\\": null, \\\"evil\\\": 1}}\"}}",
	       NULL, -EINVAL, "unknown setting 'evil'");
}

/* ------------------------------------------------------------ the table */

struct seen {
	const char *file;
	const char *group;
	char hash[65];
};

static void test_table(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	json_error_t jerr;
	json_t *m = json_load_file(path, 0, &jerr);
	if (!ok(json_is_array(m), "manifest %s loads", path)) {
		diag("%s", jerr.text);
		return;
	}
	size_t nrefused = 0;
	struct seen seen[64];
	size_t nseen = 0;
	long base = maxrss_kb(), heavy_peak = 0;
	/* The bombs and the bodies over a cap go first, so the peak measured
	 * over them is theirs (ru_maxrss only rises, and under ASan freed
	 * memory sits in quarantine). */
	for (int pass = 0; pass < 2; pass++) {
	if (pass == 1) {
		heavy_peak = maxrss_kb() - base;
		ok(heavy_peak < LIMIT_GROWTH_KB, "peak memory over the bombs and caps rose %ld KiB (< %d)",
		   heavy_peak, LIMIT_GROWTH_KB);
	}
	size_t i;
	json_t *c;
	json_array_foreach(m, i, c) {
		const char *file = json_string_value(json_object_get(c, "file"));
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *expect_s = json_string_value(json_object_get(c, "expect"));
		const char *error_s = json_string_value(json_object_get(c, "error"));
		bool heavy = (file && strstr(file, "bomb")) || (error_s && strcmp(error_s, "E2BIG") == 0);
		if (heavy != (pass == 0))
			continue;
		if (!file || !type || !expect_s) {
			ok(0, "manifest entry %zu is complete", i);
			continue;
		}
		unsigned char *body = NULL;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if (read_all(path, &body, &len)) {
			ok(0, "%s: readable", file);
			continue;
		}
		enum package_format fmt;
		if (package_format_from_type(type, &fmt)) {
			ok(0, "%s: content type %s known", file, type);
			free(body);
			continue;
		}
		char err[PACKAGE_ERR_LEN] = "";
		struct package *p = (struct package *)1;
		long before = maxrss_kb();
		int rc = package_parse(fmt, body, len, NULL, &p, err);
		free(body);
		if (heavy)
			diag("%s: peak memory %ld KiB over the start (this one raised it %ld KiB)", file,
			     maxrss_kb() - base, maxrss_kb() - before);
		if (strcmp(expect_s, "refused") == 0) {
			nrefused++;
			const char *error = json_string_value(json_object_get(c, "error"));
			const char *mentions = json_string_value(json_object_get(c, "mentions"));
			int want = error && strcmp(error, "E2BIG") == 0 ? -E2BIG : -EINVAL;
			if (!ok(rc == want && p == NULL && mentions && strstr(err, mentions) && printable(err),
				"%s: refused, %s, \"%s\"", file, error, err)) {
				diag("rc %d, want %d; err must mention \"%s\"", rc, want, mentions ? mentions : "?");
				diag("why: %s", json_string_value(json_object_get(c, "why")));
			}
			if (rc == 0)
				package_free(p);
			continue;
		}
		if (!ok(rc == 0 && p, "%s: accepted", file)) {
			diag("rc %d err '%s'", rc, err);
			diag("why: %s", json_string_value(json_object_get(c, "why")));
			continue;
		}
		json_t *files = json_object_get(c, "files");
		bool same = json_array_size(files) == p->nfiles;
		for (size_t k = 0; same && k < p->nfiles; k++)
			same = strcmp(json_string_value(json_array_get(files, k)), p->files[k].path) == 0;
		if (!ok(same, "  %s: %zu files, as listed", file, json_array_size(files)))
			for (size_t k = 0; k < p->nfiles; k++)
				diag("got '%s'", p->files[k].path);
		is_str(p->entry, json_string_value(json_object_get(c, "entry")), "  %s: entry", file);
		uint64_t sum = 0;
		for (size_t k = 0; k < p->nfiles; k++)
			sum += p->files[k].len;
		ok(sum == p->total && strlen(p->hash) == 64, "  %s: total %llu, hash %.12s...", file,
		   (unsigned long long)p->total, p->hash);
		if (nseen < sizeof(seen) / sizeof(seen[0])) {
			seen[nseen].file = file;
			seen[nseen].group = json_string_value(json_object_get(c, "group"));
			memcpy(seen[nseen].hash, p->hash, 65);
			nseen++;
		}
		package_free(p);
	}
	}
	ok(nrefused >= 25, "the table has %zu hostile bodies (at least 25)", nrefused);

	/* Same group, same hash; different groups, different hashes. */
	for (size_t a = 0; a < nseen; a++) {
		bool first = true;
		for (size_t b = 0; b < a; b++)
			if (seen[b].group && seen[a].group && strcmp(seen[a].group, seen[b].group) == 0)
				first = false;
		if (!first)
			continue;
		size_t members = 0, agree = 0;
		for (size_t b = a; b < nseen; b++) {
			if (!seen[b].group || strcmp(seen[a].group, seen[b].group) != 0)
				continue;
			members++;
			agree += strcmp(seen[a].hash, seen[b].hash) == 0;
		}
		ok(members == agree, "group '%s': %zu bodies, one hash", seen[a].group, members);
	}
	size_t clashes = 0;
	for (size_t a = 0; a < nseen; a++)
		for (size_t b = a + 1; b < nseen; b++)
			if (strcmp(seen[a].group, seen[b].group) != 0 && strcmp(seen[a].hash, seen[b].hash) == 0) {
				diag("%s and %s: same hash, different groups", seen[a].file, seen[b].file);
				clashes++;
			}
	ok(clashes == 0, "different groups, different hashes");
	json_decref(m);
}

/* ------------------------------------------------------------ mutations */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The tar inside a tar.gz (libarchive's raw format), or NULL. */
static unsigned char *gunzip(const unsigned char *body, size_t len, size_t *out_len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	unsigned char *buf = NULL;
	size_t n = 0;
	if (archive_read_open_memory(a, body, len) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		buf = malloc(1 << 20);
		la_ssize_t k;
		while (buf && (k = archive_read_data(a, buf + n, (1 << 20) - n)) > 0)
			n += (size_t)k;
	}
	archive_read_free(a);
	*out_len = n;
	return buf;
}

/* gzip of raw (libarchive writing its raw format through the gzip filter). */
static unsigned char *gzip_raw(const unsigned char *raw, size_t len, size_t *out_len)
{
	size_t cap = len + 4096;
	unsigned char *buf = malloc(cap);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_raw(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open_memory(a, buf, cap, out_len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "x");
	archive_write_header(a, e);
	archive_write_data(a, raw, len);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
	return buf;
}

static void mutate(unsigned char *b, size_t *len)
{
	int edits = 1 + (int)(next() % 4);
	for (int k = 0; k < edits && *len > 0; k++) {
		size_t at = next() % *len;
		switch (next() % 5) {
		case 0:
			b[at] ^= (unsigned char)(1u << (next() % 8));
			break;
		case 1:
			b[at] = (unsigned char)next();
			break;
		case 2:
			b[at] = (unsigned char[]){ 0, 0xff, '/', '.', '0', '7' }[next() % 6];
			break;
		case 3:
			*len = at;
			break;
		default: {
			size_t span = next() % 16;
			if (at + span < *len)
				memset(b + at, (int)(next() & 0xff), span);
		}
		}
	}
}

static void fuzz(const char *what, enum package_format fmt, const unsigned char *body, size_t len, int rounds,
		 bool regzip)
{
	size_t accepted = 0, bad = 0;
	unsigned char *b = malloc(len + 1);
	for (int r = 0; r < rounds; r++) {
		size_t n = len;
		memcpy(b, body, len);
		mutate(b, &n);
		unsigned char *input = b;
		size_t in_len = n;
		if (regzip)
			input = gzip_raw(b, n, &in_len);
		char err[PACKAGE_ERR_LEN];
		struct package *p = NULL;
		int rc = package_parse(fmt, input, in_len, NULL, &p, err);
		if (rc == 0) {
			accepted++;
			if (!p || !p->entry || !package_find(p, p->entry) || p->nfiles == 0)
				bad++;
			package_free(p);
		} else if ((rc != -EINVAL && rc != -E2BIG) || p != NULL || !err[0] || !printable(err)) {
			if (bad++ < 3)
				diag("%s round %d: rc %d err '%s'", what, r, rc, err);
		}
		if (regzip)
			free(input);
	}
	free(b);
	ok(bad == 0, "%s: %d mutations, %zu still valid, every other one refused cleanly", what, rounds, accepted);
}

static void test_fuzz(const char *dir)
{
	static const struct {
		const char *file;
		enum package_format fmt;
	} seeds[] = {
		{ "good.tgz", PACKAGE_TAR_GZ },
		{ "good.zip", PACKAGE_ZIP },
		{ "good.json", PACKAGE_JSON },
		{ "good-unicode.zip", PACKAGE_ZIP },
	};
	char path[4096];
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		unsigned char *body;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].file);
		if (read_all(path, &body, &len)) {
			ok(0, "%s readable", path);
			continue;
		}
		fuzz(seeds[i].file, seeds[i].fmt, body, len, 1000, false);
		if (seeds[i].fmt == PACKAGE_TAR_GZ) {
			size_t raw_len;
			unsigned char *raw = gunzip(body, len, &raw_len);
			if (ok(raw && raw_len > 1024, "the tar inside %s (%zu bytes)", seeds[i].file, raw_len))
				fuzz("good.tgz's tar, regzipped", PACKAGE_TAR_GZ, raw, raw_len, 2000, true);
			free(raw);
		}
		free(body);
	}
}

/* ------------------------------------------------------------ main */

static char tmp[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Runs python generator tmp, its stdout onto our stderr (stdout is TAP). */
static int generate(const char *python, const char *generator)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test-package.XXXXXX");
	if (!mkdtemp(tmp))
		return -errno;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(2, 1);
		execlp(python, python, generator, tmp, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	test_normalize();
	test_types();
	test_json();
	test_settings();

	if (argc == 2) {
		dir = argv[1];
	} else {
		const char *python = argc >= 3 ? argv[1] : "python3";
		const char *generator = argc >= 3 ? argv[2] : "tests/helpers/hostile_archives.py";
		int rc = access(generator, R_OK) == 0 ? generate(python, generator) : -ENOENT;
		if (rc == 0)
			dir = tmp;
		else if (argc >= 3)
			ok(0, "%s %s wrote the table: %s", python, generator, strerror(-rc));
	}
	if (dir) {
		test_table(dir);
		test_fuzz(dir);
	} else {
		skip("the archive table: give the generator (PYTHON GENERATOR) or a directory holding it");
	}
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
