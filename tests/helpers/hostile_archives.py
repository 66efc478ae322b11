#!/usr/bin/env python3
"""hostile_archives — writes the table of upload bodies that package.c must
refuse (and a few it must accept) into a directory, with manifest.json
describing what each one should do.

    python3 tests/helpers/hostile_archives.py OUTDIR

Standard library only. The bombs are not compressed by zlib here: 1 MiB of
zeros is deflated once, ending in a full flush, and that byte-aligned,
history-free segment is written as many times as needed (concatenated
deflate blocks that do not refer back are a valid stream, the trick pigz
uses). The gzip trailer's CRC of n zero bytes is computed with the GF(2)
matrix method of zlib's crc32_combine. So a 4 GiB bomb costs ~4 MB of disk
and well under a second.

manifest.json is a list of objects:
  file      the body, in OUTDIR
  type      the Content-Type to upload it with
  expect    "refused" or "ok"
  why       what the case is about
  refused:  error     "EINVAL" or "E2BIG" (the class package_parse returns)
            mentions  a substring the error message must contain (the
                      offending entry, or what is wrong when there is none)
  ok:       files     the package's paths, sorted, after normalization
            entry     the entry point
            group     bodies in one group hold the same files and contents,
                      so they must give the same package hash; different
                      groups must give different hashes
Used by tests/unit/test-package.c and the end-to-end upload tests.
"""
import gzip
import io
import json
import os
import struct
import sys
import tarfile
import warnings
import zipfile
import zlib

MiB = 1 << 20
MAX_FILES = 10000
MAX_FILE = 50 * MiB
MAX_PATH = 1024

GZIP = "application/gzip"
ZIP = "application/zip"
JSON = "application/json"

INDEX_JS = b"const greet = require('./lib/greet.js');\n" \
           b"const data = require('fs').promises.readFile('/data.json', 'utf8');\n" \
           b"module.exports = async (req, res) => res.json({ hello: greet(req.query.name), data: JSON.parse(await data) });\n"
GREET_JS = b"module.exports = (name) => `hello, ${name || 'world'}`;\n"
DATA_JSON = b'{"answer": 42, "bytes": "\\u00e9\\u0000"}\n'
GOOD = [("index.js", INDEX_JS), ("lib/greet.js", GREET_JS), ("data.json", DATA_JSON)]
HANDLER = b"module.exports = (req, res) => res.send('ok');\n"

manifest = []


# ---------------------------------------------------------------- tar helpers

def member(name, data=b"", type=tarfile.REGTYPE, linkname="", mode=0o644, pax=None,
           devmajor=0, devminor=0, size=None):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = 0o755 if type == tarfile.DIRTYPE else mode
    ti.linkname = linkname
    ti.devmajor, ti.devminor = devmajor, devminor
    ti.mtime = 1700000000
    ti.uname = ti.gname = "corral"
    ti.size = len(data) if size is None else size
    if pax:
        ti.pax_headers = dict(pax)
    return ti, data


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return bio.getvalue()


def gz(raw):
    return gzip.compress(raw, compresslevel=6, mtime=0)


def tgz(members, fmt=tarfile.PAX_FORMAT):
    return gz(tar_bytes(members, fmt))


def files_members(files, prefix=""):
    return [member(prefix + n, d) for n, d in files]


def zip_bytes(entries):
    """entries: (name or ZipInfo, data)."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if isinstance(name, str):
                name = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                name.compress_type = zipfile.ZIP_DEFLATED
                name.external_attr = (0o100644 << 16) if not name.filename.endswith("/") else (0o40755 << 16) | 0x10
            z.writestr(name, data)
    return bio.getvalue()


# ---------------------------------------------- streaming deflate of zeros

SEGMENT_ZEROS = MiB


def segment(data):
    """Raw deflate of data that refers to nothing before it and ends byte-aligned."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)


ZERO_SEGMENT = segment(bytes(SEGMENT_ZEROS))
FINAL_BLOCK = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last block


def _gf2_times(mat, vec):
    s = 0
    i = 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat):
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_zeros(crc, n):
    """zlib.crc32(bytes(n), crc) without touching n bytes."""
    odd = [0xEDB88320] + [1 << k for k in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two
    odd = _gf2_square(even)  # four
    reg = crc ^ 0xFFFFFFFF
    while n:
        even = _gf2_square(odd)  # first pass: one zero byte
        if n & 1:
            reg = _gf2_times(even, reg)
        n >>= 1
        if not n:
            break
        odd = _gf2_square(even)
        if n & 1:
            reg = _gf2_times(odd, reg)
        n >>= 1
    return reg ^ 0xFFFFFFFF


class Deflater:
    """Writes a raw deflate stream from pieces: bytes, or a count of zeros
    (a multiple of SEGMENT_ZEROS). Tracks the CRC and the length."""

    def __init__(self, out):
        self.out = out
        self.crc = 0
        self.size = 0
        self.written = 0

    def _w(self, b):
        self.out.write(b)
        self.written += len(b)

    def data(self, b):
        if b:
            self._w(segment(b))
            self.crc = zlib.crc32(b, self.crc)
            self.size += len(b)

    def zeros(self, n):
        assert n % SEGMENT_ZEROS == 0
        for _ in range(n // SEGMENT_ZEROS):
            self._w(ZERO_SEGMENT)
        self.crc = crc32_zeros(self.crc, n)
        self.size += n

    def finish(self):
        self._w(FINAL_BLOCK)


def gzip_stream(path, produce):
    """Writes a gzip file whose content is what produce(deflater) feeds it."""
    with open(path, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")
        d = Deflater(f)
        produce(d)
        d.finish()
        f.write(struct.pack("<II", d.crc, d.size & 0xFFFFFFFF))


def tar_header(name, size):
    ti, _ = member(name, size=size)
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def tar_pad(size):
    return bytes(-size % 512)


def zeros_bomb_one(d, size):
    d.data(tar_header("index.js", len(HANDLER)) + HANDLER + tar_pad(len(HANDLER)))
    d.data(tar_header("zeros.bin", size))
    d.zeros(size)
    d.data(tar_pad(size) + bytes(1024))


def zeros_bomb_many(d, count, size):
    d.data(tar_header("index.js", len(HANDLER)) + HANDLER + tar_pad(len(HANDLER)))
    for i in range(count):
        d.data(tar_header("zeros/%04d.bin" % i, size))
        d.zeros(size)
        d.data(tar_pad(size))
    d.data(bytes(1024))


def zip_local(name, method, crc, csize, usize, flags=0):
    n = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x5821, crc, csize, usize,
                       len(n), 0) + n


def zip_central(name, method, crc, csize, usize, offset, flags=0, ext_attr=0o100644 << 16):
    n = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, flags, method, 0, 0x5821,
                       crc, csize, usize, len(n), 0, 0, 0, 0, ext_attr, offset) + n


def zip_end(count, cd_size, cd_offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0)


def zip_raw(path, entries):
    """A hand-made zip. entries: dicts with name, data (bytes, stored or
    deflated) or zeros (a count, deflated by segments), and optional
    local_name, usize (a lie), flags, ext_attr."""
    with open(path, "wb") as f:
        central = []
        for e in entries:
            offset = f.tell()
            if "zeros" in e:
                n = e["zeros"]
                method = 8
                csize = (n // SEGMENT_ZEROS) * len(ZERO_SEGMENT) + len(FINAL_BLOCK)
                crc = crc32_zeros(0, n)
                usize = e.get("usize", n)
            else:
                method = 0
                payload = e["data"]
                csize = len(payload)
                crc = zlib.crc32(payload)
                usize = e.get("usize", len(payload))
            flags = e.get("flags", 0)
            f.write(zip_local(e.get("local_name", e["name"]), method, crc, csize, usize, flags))
            if "zeros" in e:
                d = Deflater(f)
                d.zeros(e["zeros"])
                d.finish()
            else:
                f.write(payload)
            central.append(zip_central(e["name"], method, crc, csize, usize, offset, flags,
                                       e.get("ext_attr", 0o100644 << 16)))
        cd_offset = f.tell()
        for c in central:
            f.write(c)
        f.write(zip_end(len(central), f.tell() - cd_offset, cd_offset))


# ------------------------------------------------------------------ the table

def write(outdir, name, body):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(body)


def refused(name, ctype, error, mentions, why):
    manifest.append({"file": name, "type": ctype, "expect": "refused", "error": error,
                     "mentions": mentions, "why": why})


def accepted(name, ctype, files, entry, group, why):
    manifest.append({"file": name, "type": ctype, "expect": "ok", "files": sorted(files),
                     "entry": entry, "group": group, "why": why})


def build(out):
    idx = member("index.js", HANDLER)

    # --- good ones
    good = [member("./", type=tarfile.DIRTYPE), member("./index.js", INDEX_JS),
            member("./lib/", type=tarfile.DIRTYPE), member("./lib/greet.js", GREET_JS),
            member("./data.json", DATA_JSON)]
    write(out, "good.tgz", tgz(good))
    accepted("good.tgz", GZIP, [n for n, _ in GOOD], "index.js", "hello",
             "what `tar czf good.tgz -C dir .` makes: './' prefixes and directory entries")
    write(out, "good.zip", zip_bytes([("data.json", DATA_JSON), ("lib/", b""), ("lib/greet.js", GREET_JS),
                                      ("index.js", INDEX_JS)]))
    accepted("good.zip", ZIP, [n for n, _ in GOOD], "index.js", "hello", "the same files as a zip, another order")
    write(out, "good.json", json.dumps({"files": {
        "lib/greet.js": GREET_JS.decode(), "index.js": INDEX_JS.decode(),
        "data.json": {"base64": __import__("base64").b64encode(DATA_JSON).decode()}},
        "env": {"KEY": "v"}, "timeout_ms": 1000}).encode())
    accepted("good.json", JSON, [n for n, _ in GOOD], "index.js", "hello",
             "the same files as JSON, one as base64; other top-level keys are ignored")
    write(out, "good-wrapped.tgz", tgz([member("hello/", type=tarfile.DIRTYPE)]
                                      + files_members(GOOD, "hello/")))
    accepted("good-wrapped.tgz", GZIP, [n for n, _ in GOOD], "index.js", "hello",
             "`tar czf hello.tgz hello/`: one top-level directory and no entry at the root, so it is stripped")
    write(out, "good-gnu.tgz", tgz(files_members(GOOD), tarfile.GNU_FORMAT))
    accepted("good-gnu.tgz", GZIP, [n for n, _ in GOOD], "index.js", "hello", "GNU tar format")
    app = b"module.exports = require('./util')((req, res) => res.send('app'));\n"
    util = b"module.exports = (f) => f;\n"
    pkg = json.dumps({"name": "app", "main": "src/app.js"}).encode()
    write(out, "good-main.tgz", tgz([member("package.json", pkg), member("src/app.js", app),
                                     member("src/util.js", util)]))
    accepted("good-main.tgz", GZIP, ["package.json", "src/app.js", "src/util.js"], "src/app.js", "main",
             "package.json main = src/app.js")
    pkg2 = json.dumps({"name": "app", "main": "./src/app"}).encode()
    write(out, "good-main-noext.tgz", tgz([member("package.json", pkg2), member("src/app.js", app),
                                           member("src/util.js", util)]))
    accepted("good-main-noext.tgz", GZIP, ["package.json", "src/app.js", "src/util.js"], "src/app.js",
             "main-noext", "main './src/app' resolves to src/app.js, as Node does")
    pkg3 = json.dumps({"main": "lib"}).encode()
    write(out, "good-npm-pack.tgz", tgz([member("package/package.json", pkg3),
                                         member("package/lib/index.js", HANDLER)]))
    accepted("good-npm-pack.tgz", GZIP, ["lib/index.js", "package.json"], "lib/index.js", "npm",
             "what `npm pack` makes: package/ is stripped, main 'lib' resolves to lib/index.js")
    write(out, "good-ts.tgz", tgz([member("index.ts", b"export default { fetch() { return new Response('ts'); } };\n")]))
    accepted("good-ts.tgz", GZIP, ["index.ts"], "index.ts", "ts", "only index.ts")
    write(out, "good-mjs.zip", zip_bytes([("index.mjs", b"export default { fetch() {} };\n")]))
    accepted("good-mjs.zip", ZIP, ["index.mjs"], "index.mjs", "mjs", "only index.mjs")
    write(out, "good-unicode.tgz", tgz([idx, member("café/ünï.js", b"1\n"), member("日本.txt", b"2\n")]))
    accepted("good-unicode.tgz", GZIP, ["caf\u00e9/\u00fcn\u00ef.js", "index.js", "\u65e5\u672c.txt"],
             "index.js", "unicode", "UTF-8 names (pax), read the same in any process locale")
    write(out, "good-unicode.zip", zip_bytes([("index.js", HANDLER), ("café/ünï.js", b"1\n"),
                                              ("日本.txt", b"2\n")]))
    accepted("good-unicode.zip", ZIP, ["caf\u00e9/\u00fcn\u00ef.js", "index.js", "\u65e5\u672c.txt"],
             "index.js", "unicode", "UTF-8 names (zip flag 11)")
    write(out, "good-max-path.tgz", tgz([idx, member("d/" * 300 + "x" * (MAX_PATH - 600), b"")]))
    accepted("good-max-path.tgz", GZIP, ["d/" * 300 + "x" * (MAX_PATH - 600), "index.js"], "index.js", "maxpath",
             "a name of exactly 1024 bytes, 301 levels deep")

    # --- names
    write(out, "traversal.tgz", tgz([idx, member("../etc/passwd", b"root::0:0::/:/bin/sh\n")]))
    refused("traversal.tgz", GZIP, "EINVAL", "../etc/passwd", "a leading '..' would write outside the package")
    write(out, "traversal-deep.tgz", tgz([idx, member("a/../../x.js", b"x\n")]))
    refused("traversal-deep.tgz", GZIP, "EINVAL", "a/../../x.js", "'..' inside a name")
    write(out, "traversal-end.tgz", tgz([idx, member("lib/..", type=tarfile.DIRTYPE)]))
    refused("traversal-end.tgz", GZIP, "EINVAL", "lib/..", "a directory named '..'")
    write(out, "absolute.tgz", tgz([idx, member("/etc/passwd", b"root::0:0::/:/bin/sh\n")]))
    refused("absolute.tgz", GZIP, "EINVAL", "/etc/passwd", "an absolute name")
    write(out, "dot-component.tgz", tgz([idx, member("lib/./x.js", b"x\n")]))
    refused("dot-component.tgz", GZIP, "EINVAL", "lib/./x.js", "'.' inside a name: not normalized")
    write(out, "double-slash.tgz", tgz([idx, member("lib//x.js", b"x\n")]))
    refused("double-slash.tgz", GZIP, "EINVAL", "lib//x.js", "an empty component: not normalized")
    write(out, "control-char.tgz", tgz([idx, member("evil\n.js", b"x\n")]))
    refused("control-char.tgz", GZIP, "EINVAL", "evil\\x0a.js", "a newline in a name (log and header injection)")
    long_name = "a" * 200 + "/" + "b" * 200 + "/" + "c" * 700 + ".js"
    write(out, "long-name.tgz", tgz([idx, member(long_name, b"x\n")]))
    refused("long-name.tgz", GZIP, "E2BIG", "1105 bytes", "a name over 1024 bytes (pax path record)")
    write(out, "long-name-gnu.tgz", tgz([idx, member("d/" * 1000 + "x.js", b"x\n")], tarfile.GNU_FORMAT))
    refused("long-name-gnu.tgz", GZIP, "E2BIG", "2004 bytes", "a 2004-byte name (GNU ././@LongLink)")
    write(out, "nul-name.tgz", tgz([idx, member("index.js\0/../../etc/passwd", b"evil\n")]))
    refused("nul-name.tgz", GZIP, "EINVAL", "duplicate",
            "a NUL in a tar name: the name ends there (tar names are C strings, and libarchive hands them "
            "over as such), so this second entry is read as 'index.js' and refused as a duplicate; "
            "nothing after a NUL can reach a stored name")
    write(out, "duplicate.tgz", tgz([idx, member("index.js", b"module.exports = () => 'second';\n")]))
    refused("duplicate.tgz", GZIP, "EINVAL", "index.js", "the same name twice: which one wins differs by tool")
    write(out, "duplicate-dotslash.tgz", tgz([idx, member("./index.js", b"x\n")]))
    refused("duplicate-dotslash.tgz", GZIP, "EINVAL", "index.js", "'./index.js' and 'index.js' are one name")
    write(out, "file-dir-conflict.tgz", tgz([idx, member("lib", b"x\n"), member("lib/x.js", b"y\n")]))
    refused("file-dir-conflict.tgz", GZIP, "EINVAL", "lib/x.js", "'lib' is both a file and a directory")
    write(out, "dir-file-conflict.tgz", tgz([idx, member("lib/", type=tarfile.DIRTYPE),
                                             member("lib", b"x\n")]))
    refused("dir-file-conflict.tgz", GZIP, "EINVAL", "lib", "a directory entry and a file of the same name")

    # --- entry types
    write(out, "symlink-out.tgz", tgz([idx, member("passwd", type=tarfile.SYMTYPE, linkname="/etc/passwd")]))
    refused("symlink-out.tgz", GZIP, "EINVAL", "passwd", "a symlink to an absolute host path")
    write(out, "symlink-out-relative.tgz", tgz([idx, member("up", type=tarfile.SYMTYPE, linkname="../../../etc")]))
    refused("symlink-out-relative.tgz", GZIP, "EINVAL", "up", "a symlink climbing out of the package")
    write(out, "symlink-in.tgz", tgz([idx, member("lib/", type=tarfile.DIRTYPE), member("lib/a.js", b"1\n"),
                                      member("alias", type=tarfile.SYMTYPE, linkname="lib")]))
    refused("symlink-in.tgz", GZIP, "EINVAL", "alias", "even a symlink that stays inside: only files and directories")
    write(out, "symlink-then-file.tgz", tgz([idx, member("dir", type=tarfile.SYMTYPE, linkname="/tmp"),
                                             member("dir/x.js", b"x\n")]))
    refused("symlink-then-file.tgz", GZIP, "EINVAL", "dir",
            "the classic two-step escape: a symlink, then a file written through it")
    write(out, "hardlink.tgz", tgz([idx, member("copy.js", type=tarfile.LNKTYPE, linkname="index.js")]))
    refused("hardlink.tgz", GZIP, "EINVAL", "copy.js", "a hard link")
    write(out, "hardlink-out.tgz", tgz([idx, member("shadow", type=tarfile.LNKTYPE, linkname="/etc/shadow")]))
    refused("hardlink-out.tgz", GZIP, "EINVAL", "shadow", "a hard link to a host file")
    write(out, "chardev.tgz", tgz([idx, member("null", type=tarfile.CHRTYPE, devmajor=1, devminor=3)]))
    refused("chardev.tgz", GZIP, "EINVAL", "null", "a character device (1,3)")
    write(out, "blockdev.tgz", tgz([idx, member("sda", type=tarfile.BLKTYPE, devmajor=8, devminor=0)]))
    refused("blockdev.tgz", GZIP, "EINVAL", "sda", "a block device (8,0)")
    write(out, "fifo.tgz", tgz([idx, member("pipe", type=tarfile.FIFOTYPE)]))
    refused("fifo.tgz", GZIP, "EINVAL", "pipe", "a FIFO")

    # --- sizes and counts
    gzip_stream(os.path.join(out, "gzip-bomb.tgz"), lambda d: zeros_bomb_one(d, 4096 * MiB))
    refused("gzip-bomb.tgz", GZIP, "E2BIG", "zeros.bin",
            "4 GiB of zeros in ~4 MB: refused from the header's size before any of it is inflated")
    gzip_stream(os.path.join(out, "gzip-bomb-many.tgz"), lambda d: zeros_bomb_many(d, 400, 10 * MiB))
    refused("gzip-bomb-many.tgz", GZIP, "E2BIG", "zeros/0004.bin",
            "400 files of 10 MiB of zeros (4000 MiB in ~4 MB), each under the per-file cap: "
            "stopped at the file that would pass the 50 MiB total")
    sparse_map = b"1\n%d\n512\n" % ((1 << 40) - 512)
    sparse_data = sparse_map + tar_pad(len(sparse_map)) + b"x" * 512
    write(out, "sparse-huge.tgz", tgz([idx, member("GNUSparseFile.0/huge.bin", sparse_data, pax={
        "GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "huge.bin",
        "GNU.sparse.realsize": str(1 << 40)})]))
    refused("sparse-huge.tgz", GZIP, "E2BIG", "huge.bin",
            "a 1 TiB sparse file (GNU pax 1.0) stored in 1 KiB: refused by its declared size")
    write(out, "too-many-files.tgz", tgz([idx] + [member("f/%05d.js" % i, b"") for i in range(MAX_FILES)]))
    refused("too-many-files.tgz", GZIP, "E2BIG", "f/09999.js", "10,001 files: one over the cap")
    write(out, "pax-header-bomb.tgz", tgz([idx] + [member("f/%02d.js" % i, b"", pax={"comment": "x" * 900000})
                                               for i in range(40)]))
    refused("pax-header-bomb.tgz", GZIP, "E2BIG", "f/01.js",
            "40 empty files each behind a 900 KB pax comment: 36 MB of headers for no data, "
            "stopped by the bound on header bytes per entry")
    write(out, "file-too-big.tgz", tgz([idx, member("big.bin", bytes(MAX_FILE + 1))]))
    refused("file-too-big.tgz", GZIP, "E2BIG", "big.bin", "one file of 50 MiB + 1 byte")

    # --- entry point
    write(out, "missing-index.tgz", tgz([member("README.md", b"# hi\n"), member("lib/util.js", b"1\n")]))
    refused("missing-index.tgz", GZIP, "EINVAL", "index.js", "no package.json main, index.js, index.ts or index.mjs")
    write(out, "missing-index-wrapped.tgz", tgz([member("pkg/README.md", b"# hi\n"), member("pkg/lib.js", b"1\n")]))
    refused("missing-index-wrapped.tgz", GZIP, "EINVAL", "index.js", "no entry point, even after stripping 'pkg/'")
    write(out, "main-outside.tgz", tgz([idx, member("package.json", b'{"main": "../x.js"}')]))
    refused("main-outside.tgz", GZIP, "EINVAL", "../x.js", "package.json main pointing outside the package")
    write(out, "main-absolute.tgz", tgz([idx, member("package.json", b'{"main": "/etc/passwd"}')]))
    refused("main-absolute.tgz", GZIP, "EINVAL", "/etc/passwd", "package.json main is an absolute path")
    write(out, "main-missing.tgz", tgz([idx, member("package.json", b'{"main": "src/app.js"}')]))
    refused("main-missing.tgz", GZIP, "EINVAL", "src/app.js",
            "package.json main names a file that is not there (no silent fallback to index.js)")
    write(out, "main-not-string.tgz", tgz([idx, member("package.json", b'{"main": ["index.js"]}')]))
    refused("main-not-string.tgz", GZIP, "EINVAL", "main", "package.json main is not a string")
    write(out, "package-json-invalid.tgz", tgz([idx, member("package.json", b'{"main": ')]))
    refused("package-json-invalid.tgz", GZIP, "EINVAL", "package.json", "package.json is not JSON")

    # --- not archives, broken archives
    write(out, "not-an-archive.tgz", b"#!/bin/sh\nrm -rf /\n")
    refused("not-an-archive.tgz", GZIP, "EINVAL", "gzip", "a shell script sent as application/gzip")
    write(out, "zip-as-gzip.tgz", zip_bytes([("index.js", HANDLER)]))
    refused("zip-as-gzip.tgz", GZIP, "EINVAL", "gzip", "a zip sent as application/gzip")
    write(out, "plain-tar.tgz", tar_bytes([idx]))
    refused("plain-tar.tgz", GZIP, "EINVAL", "gzip", "an uncompressed tar sent as application/gzip")
    write(out, "gzip-not-tar.tgz", gz(b"module.exports = () => 1;\n" * 40))
    refused("gzip-not-tar.tgz", GZIP, "EINVAL", "tar", "gzip of something that is not a tar")
    write(out, "gzip-of-gzip.tgz", gz(tgz([idx])))
    refused("gzip-of-gzip.tgz", GZIP, "EINVAL", "tar", "a tar.gz compressed again: one layer of gzip only")
    whole = tgz([idx, member("lib/a.js", bytes(range(256)) * 64)])
    write(out, "truncated.tgz", whole[: len(whole) * 2 // 3])
    refused("truncated.tgz", GZIP, "EINVAL", "truncated", "a tar.gz cut short")
    write(out, "empty.tgz", tgz([]))
    refused("empty.tgz", GZIP, "EINVAL", "no files", "a valid, empty tar.gz")
    write(out, "empty-body.tgz", b"")
    refused("empty-body.tgz", GZIP, "EINVAL", "empty", "a zero-byte body")
    write(out, "only-dirs.tgz", tgz([member("a/", type=tarfile.DIRTYPE), member("a/b/", type=tarfile.DIRTYPE)]))
    refused("only-dirs.tgz", GZIP, "EINVAL", "no files", "directories and nothing else")

    # --- zip
    write(out, "zip-traversal.zip", zip_bytes([("index.js", HANDLER), ("../evil.js", b"x\n")]))
    refused("zip-traversal.zip", ZIP, "EINVAL", "../evil.js", "a zip entry with '..' (zip slip)")
    write(out, "zip-traversal-deep.zip", zip_bytes([("index.js", HANDLER), ("lib/../../../evil.js", b"x\n")]))
    refused("zip-traversal-deep.zip", ZIP, "EINVAL", "lib/../../../evil.js", "zip slip inside a name")
    write(out, "zip-absolute.zip", zip_bytes([("index.js", HANDLER), ("/etc/cron.d/evil", b"x\n")]))
    refused("zip-absolute.zip", ZIP, "EINVAL", "/etc/cron.d/evil", "a zip entry with an absolute name")
    write(out, "zip-backslash.zip", zip_bytes([("index.js", HANDLER), ("..\\..\\evil.js", b"x\n")]))
    refused("zip-backslash.zip", ZIP, "EINVAL", "evil.js",
            "'..\\..\\evil.js': libarchive reads a zip's backslashes as separators, so this is "
            "'../../evil.js' (a name that still holds one after that is refused)")
    sym = zipfile.ZipInfo("passwd", date_time=(2024, 1, 1, 0, 0, 0))
    sym.create_system = 3
    sym.external_attr = (0o120777 << 16)
    write(out, "zip-symlink.zip", zip_bytes([("index.js", HANDLER), (sym, b"/etc/passwd")]))
    refused("zip-symlink.zip", ZIP, "EINVAL", "passwd", "a symlink in a zip (unix mode in the external attributes)")
    sock = zipfile.ZipInfo("sock", date_time=(2024, 1, 1, 0, 0, 0))
    sock.create_system = 3
    sock.external_attr = (0o140755 << 16)
    write(out, "zip-socket.zip", zip_bytes([("index.js", HANDLER), (sock, b"")]))
    refused("zip-socket.zip", ZIP, "EINVAL", "sock", "a socket in a zip (tar cannot even say that)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is told to write
        write(out, "zip-duplicate.zip", zip_bytes([("index.js", HANDLER), ("index.js", b"x\n")]))
    refused("zip-duplicate.zip", ZIP, "EINVAL", "index.js", "the same name twice in a zip")
    zip_raw(os.path.join(out, "zip-bomb.zip"), [{"name": "index.js", "data": HANDLER},
                                                {"name": "zeros.bin", "zeros": 4095 * MiB}])
    refused("zip-bomb.zip", ZIP, "E2BIG", "zeros.bin", "4095 MiB of zeros deflated into ~4 MB, size declared honestly")
    zip_raw(os.path.join(out, "zip-bomb-lying.zip"), [{"name": "index.js", "data": HANDLER},
                                                      {"name": "zeros.bin", "zeros": 4095 * MiB, "usize": 1024}])
    refused("zip-bomb-lying.zip", ZIP, "EINVAL", "zeros.bin",
            "the same bomb declaring 1 KiB: stopped by counting what is inflated, not by the header")
    zip_raw(os.path.join(out, "zip-name-mismatch.zip"), [{"name": "index.js", "data": HANDLER},
                                                         {"name": "lib/a.js", "local_name": "../a.js",
                                                          "data": b"x\n"}])
    refused("zip-name-mismatch.zip", ZIP, "EINVAL", "a.js",
            "the central directory says lib/a.js, the local header ../a.js: tools disagree on which counts")
    zip_raw(os.path.join(out, "zip-encrypted.zip"), [{"name": "index.js", "data": HANDLER, "flags": 1}])
    refused("zip-encrypted.zip", ZIP, "EINVAL", "index.js", "an encrypted entry")
    zip_raw(os.path.join(out, "zip-invalid-utf8.zip"), [{"name": "index.js", "data": HANDLER},
                                                        {"name": b"caf\xe9.js", "data": b"x\n"}])
    refused("zip-invalid-utf8.zip", ZIP, "EINVAL", "caf\\xe9.js", "a name that is not UTF-8 (Latin-1)")
    write(out, "zip-not-zip.zip", b"PK but not really a zip file at all\n")
    refused("zip-not-zip.zip", ZIP, "EINVAL", "zip", "garbage after a zip-like first two bytes")
    write(out, "zip-empty.zip", zip_bytes([]))
    refused("zip-empty.zip", ZIP, "EINVAL", "no files", "an empty zip")
    write(out, "tgz-as-zip.zip", tgz([idx]))
    refused("tgz-as-zip.zip", ZIP, "EINVAL", "zip", "a tar.gz sent as application/zip")

    # --- JSON
    def j(name, obj):
        write(out, name, json.dumps(obj).encode() if not isinstance(obj, bytes) else obj)

    j("json-traversal.json", {"files": {"index.js": "x", "../../etc/passwd": "x"}})
    refused("json-traversal.json", JSON, "EINVAL", "../../etc/passwd", "'..' in a JSON file name")
    j("json-absolute.json", {"files": {"index.js": "x", "/etc/passwd": "x"}})
    refused("json-absolute.json", JSON, "EINVAL", "/etc/passwd", "an absolute JSON file name")
    j("json-backslash.json", {"files": {"index.js": "x", "lib\\x.js": "x"}})
    refused("json-backslash.json", JSON, "EINVAL", "lib\\\\x.js",
            "a backslash in a name (shown escaped in the message)")
    j("json-control.json", {"files": {"index.js": "x", "a\u001b[2Jb.js": "x"}})
    refused("json-control.json", JSON, "EINVAL", "a\\x1b[2Jb.js", "an escape sequence in a name")
    j("json-nul.json", {"files": {"index.js": "x", "index.js\u0000.evil": "x"}})
    refused("json-nul.json", JSON, "EINVAL", "NUL", "a NUL in a JSON file name")
    j("json-duplicate.json", b'{"files": {"index.js": "a", "index.js": "b"}}')
    refused("json-duplicate.json", JSON, "EINVAL", "index.js", "a name twice in one JSON object")
    j("json-duplicate-dotslash.json", {"files": {"index.js": "a", "./index.js": "b"}})
    refused("json-duplicate-dotslash.json", JSON, "EINVAL", "index.js", "two spellings of one name")
    j("json-bad-base64.json", {"files": {"index.js": "x", "img.png": {"base64": "not*base64"}}})
    refused("json-bad-base64.json", JSON, "EINVAL", "img.png", "invalid base64")
    j("json-bad-content.json", {"files": {"index.js": 42}})
    refused("json-bad-content.json", JSON, "EINVAL", "index.js", "content that is neither a string nor {base64}")
    j("json-no-files.json", {"code": "1"})
    refused("json-no-files.json", JSON, "EINVAL", "files", "no 'files' object")
    j("json-files-array.json", {"files": ["index.js"]})
    refused("json-files-array.json", JSON, "EINVAL", "files", "'files' is not an object")
    j("json-invalid.json", b'{"files": {"index.js": "x"')
    refused("json-invalid.json", JSON, "EINVAL", "JSON", "not JSON")
    j("json-missing-index.json", {"files": {"lib/a.js": "x", "README.md": "y"}})
    refused("json-missing-index.json", JSON, "EINVAL", "index.js", "no entry point")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: hostile_archives.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    assert crc32_zeros(0x12345678, 3 * MiB + 5) == zlib.crc32(bytes(3 * MiB + 5), 0x12345678)
    build(out)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print("%d bodies (%d refused, %d ok) in %s" % (
        len(manifest), sum(m["expect"] == "refused" for m in manifest),
        sum(m["expect"] == "ok" for m in manifest), out))


if __name__ == "__main__":
    main()
