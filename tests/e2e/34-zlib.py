#!/usr/bin/env python3
"""Node's zlib module and the web CompressionStream/DecompressionStream in
the sandbox (issue 13 point 13), on the C zlib and brotli libraries of the
worker (src/worker/host_zlib.c, js/runtime/node/zlib.js).

Each program runs in Node (the `node` on PATH: the reference) and in
`corral run --json`, and the two stdouts must be equal byte for byte: round
trips of every format and option, the sync, callback, promise and stream
forms, chunked piping with backpressure, the errors (bad data, truncated
input, dictionaries, options), CompressionStream. Compressed bytes cross
between the two as base64 both ways (corral compresses, Node inflates, and
the reverse), since the two zlib builds need not emit the same bytes. A gzip
bomb (1 GiB of zeros in ~1 MB) ends as ERR_BUFFER_TOO_LARGE, as a typed
memory_limit when the program lifts the limit, streams through a discarding
sink in bounded memory, and does not disturb a neighbour on the same
server."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
import server  # noqa: E402
from corraltest import CORRAL, HOOKS, SANITIZED, Tap  # noqa: E402

t = Tap("34-zlib")
NODE = shutil.which("node")
TMP = tempfile.mkdtemp(prefix="corral-zlib-")

# Memory caps are raised under ASan, whose shadow memory and quarantine
# the resident-memory accounting counts too.
SCALE = 4 if SANITIZED else 1
# ... and ASan's quarantine (freed memory it keeps, 256 MB by default) is
# held to run-tests.sh's 16 MB however the suite is started.
if SANITIZED and "quarantine_size_mb" not in os.environ.get("ASAN_OPTIONS", ""):
    os.environ["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=16"]))

# Servers this suite starts listen in its own port range.
_ports = iter(range(18300, 18350))
server.free_port = lambda: next(_ports)

# Shared by the programs: deterministic data of several shapes.
PRELUDE = r"""
const zlib = require('zlib');
const { promisify } = require('util');
const crypto = require('crypto');
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex').slice(0, 16);
function data(n, seed = 1) {
  // Text-like bytes: words from a small vocabulary, and some noise.
  const words = ['alpha', 'beta', 'gamma', 'delta', 'zlib', 'corral', 'node', '\n', ' ', '{"k":1}'];
  const out = Buffer.alloc(n);
  let x = seed >>> 0, o = 0;
  while (o < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if ((x >>> 24) < 16) { out[o++] = x & 0xff; continue; }
    const w = words[(x >>> 8) % words.length];
    for (let i = 0; i < w.length && o < n; i++) out[o++] = w.charCodeAt(i);
  }
  return out;
}
const showErr = (e) => `${e.name} ${e.code} ${e.errno} ${JSON.stringify(e.message)}`;
const tryIt = (label, f) => { try { const r = f(); console.log(label, 'ok', r && r.length); } catch (e) { console.log(label, showErr(e)); } };
"""


def write(name, code):
    p = os.path.join(TMP, name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(code)
    return p


def node_out(path, timeout=120):
    p = subprocess.run([NODE, path], capture_output=True, timeout=timeout, cwd=TMP)
    return p.stdout.decode("utf-8", errors="replace"), p.stderr.decode("utf-8", errors="replace")


def corral(path, *flags, timeout_ms=30000):
    p = subprocess.run([CORRAL, "run", "--json", "--timeout", str(timeout_ms), *flags, path],
                       capture_output=True, timeout=timeout_ms / 1000 + 60)
    lines = p.stdout.decode("utf-8", errors="replace").strip().split("\n")
    try:
        return json.loads(lines[-1])
    except (ValueError, IndexError):
        return {"status": None, "stdout": "", "_raw": p.stdout[-2000:], "_stderr": p.stderr[-2000:]}


def compare(name, body, desc, timeout_ms=30000, flags=()):
    """Runs PRELUDE + body in Node and in corral; stdout must be equal."""
    path = write(f"{name}.js", PRELUDE + body)
    want, nerr = node_out(path)
    got = corral(path, "--memory", str(128 * SCALE), *flags, timeout_ms=timeout_ms)
    ok = got.get("status") == "ok" and got.get("stdout") == want and want.strip() != ""
    diag = None
    if not ok:
        w, g = want.split("\n"), (got.get("stdout") or "").split("\n")
        first = next((i for i in range(max(len(w), len(g)))
                      if (w[i] if i < len(w) else None) != (g[i] if i < len(g) else None)), None)
        diag = (f"status {got.get('status')} error {json.dumps(got.get('error'))[:600]}\n"
                f"node stderr: {nerr[-600:]}\n")
        if first is not None:
            diag += (f"first difference, line {first + 1}:\n  node:   {w[first] if first < len(w) else '<end>'!r}\n"
                     f"  corral: {g[first] if first < len(g) else '<end>'!r}")
    t.ok(ok, desc, diag)
    return want, got


if not NODE:
    t.skip("zlib against Node", "node is not on PATH")
    t.done()

# --- round trips ---------------------------------------------------------

compare("roundtrip-sync", r"""
const inputs = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('hello world'), data(1000), data(100000, 7),
  Buffer.alloc(300000, 0x61), crypto.createHash('sha512').update('x').digest()];
const pairs = [['deflateSync', 'inflateSync'], ['gzipSync', 'gunzipSync'], ['deflateRawSync', 'inflateRawSync'],
  ['deflateSync', 'unzipSync'], ['gzipSync', 'unzipSync'], ['brotliCompressSync', 'brotliDecompressSync']];
for (const [c, d] of pairs) {
  for (const input of inputs) {
    const z = zlib[c](input);
    const back = zlib[d](z);
    console.log(c, d, input.length, Buffer.isBuffer(z), Buffer.isBuffer(back), back.equals(input), sha(back));
  }
}
// Strings, ArrayBuffers and other views as input.
console.log(zlib.gunzipSync(zlib.gzipSync('héllo ✓')).toString());
console.log(zlib.inflateSync(zlib.deflateSync(new Uint16Array([1, 2, 3]).buffer)).toString('hex'));
console.log(zlib.inflateSync(new Uint8Array(zlib.deflateSync(new Float64Array([1.5])))).toString('hex'));
console.log(zlib.inflateRawSync(new DataView(zlib.deflateRawSync('dv').buffer)).toString());
""", "sync round trips of every format, input shape and type")

compare("roundtrip-options", r"""
const input = data(50000, 3);
for (let level = -1; level <= 9; level++) {
  console.log('level', level, zlib.inflateSync(zlib.deflateSync(input, { level })).equals(input));
}
for (const strategy of [0, 1, 2, 3, 4]) {
  console.log('strategy', strategy, zlib.gunzipSync(zlib.gzipSync(input, { strategy })).equals(input));
}
for (const windowBits of [8, 9, 12, 15]) {
  console.log('deflate windowBits', windowBits, zlib.inflateSync(zlib.deflateSync(input, { windowBits }), { windowBits: 15 }).equals(input));
  console.log('raw windowBits', windowBits, zlib.inflateRawSync(zlib.deflateRawSync(input, { windowBits })).equals(input));
}
for (const memLevel of [1, 5, 9]) console.log('memLevel', memLevel, zlib.inflateSync(zlib.deflateSync(input, { memLevel })).equals(input));
for (const chunkSize of [64, 1000, 65536]) {
  console.log('chunkSize', chunkSize, zlib.gunzipSync(zlib.gzipSync(input, { chunkSize }), { chunkSize }).equals(input));
}
const dictionary = Buffer.from('alpha beta gamma delta zlib corral node');
console.log('dict', zlib.inflateSync(zlib.deflateSync(input, { dictionary }), { dictionary }).equals(input));
console.log('dict raw', zlib.inflateRawSync(zlib.deflateRawSync(input, { dictionary }), { dictionary }).equals(input));
const P = zlib.constants;
for (const q of [0, 1, 5, 11]) {
  const params = { [P.BROTLI_PARAM_QUALITY]: q, [P.BROTLI_PARAM_MODE]: P.BROTLI_MODE_TEXT, [P.BROTLI_PARAM_SIZE_HINT]: input.length };
  console.log('brotli q', q, zlib.brotliDecompressSync(zlib.brotliCompressSync(input, { params })).equals(input));
}
console.log('brotli lgwin', zlib.brotliDecompressSync(zlib.brotliCompressSync(input, { params: { [P.BROTLI_PARAM_LGWIN]: 10 } })).equals(input));
const info = zlib.gzipSync('info', { info: true });
console.log('info', Object.keys(info).join(), info.engine instanceof zlib.Gzip, zlib.gunzipSync(info.buffer).toString());
// The level shows in the size: 0 stores, 9 compresses.
console.log('stored bigger', zlib.deflateSync(input, { level: 0 }).length > input.length,
  zlib.deflateSync(input, { level: 9 }).length < input.length / 2);
// Two gzip members and zero padding are one stream; unzip detects both formats.
const two = Buffer.concat([zlib.gzipSync('one '), zlib.gzipSync('two'), Buffer.alloc(5)]);
console.log('members', zlib.gunzipSync(two).toString(), zlib.unzipSync(two).toString());
console.log('trailing after deflate', zlib.inflateSync(Buffer.concat([zlib.deflateSync('x'), Buffer.from('junk')])).toString());
// flush modes on the one-shot forms
const part = zlib.deflateSync('partial', { finishFlush: zlib.constants.Z_SYNC_FLUSH });
console.log('sync flush', zlib.inflateSync(part, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString());
""", "options: level, strategy, windowBits, memLevel, chunkSize, dictionary, brotli params, info, members, flush")

compare("async-forms", r"""
const input = data(70000, 5);
const names = [['deflate', 'inflate'], ['gzip', 'gunzip'], ['deflateRaw', 'inflateRaw'], ['gzip', 'unzip'],
  ['brotliCompress', 'brotliDecompress']];
(async () => {
  for (const [c, d] of names) {
    await new Promise((resolve) => {
      zlib[c](input, (err, z) => {
        zlib[d](z, { chunkSize: 1024 }, (err2, back) => {
          console.log('callback', c, d, err, err2, back.equals(input));
          resolve();
        });
      });
    });
    const z = await promisify(zlib[c])(input, { level: 1 });
    const back = await promisify(zlib[d])(z);
    console.log('promise', c, d, back.equals(input), sha(back));
  }
  // The callback comes later, never synchronously.
  let later = false;
  await new Promise((r) => { zlib.gzip('x', () => { console.log('callback after the call returned:', later); r(); }); later = true; });
  await promisify(zlib.gunzip)(Buffer.from('not gzip')).catch((e) => console.log('rejects', showErr(e)));
  await new Promise((r) => zlib.inflate(Buffer.from([1, 2, 3]), (e) => { console.log('callback error', showErr(e)); r(); }));
  await new Promise((r) => zlib.gzip(new Uint16Array([65535]), { info: true }, (e, res) => {
    console.log('info', Object.keys(res).join(), zlib.gunzipSync(res.buffer).toString('hex')); r(); }));
  tryIt('no callback', () => zlib.gzip('x'));
})();
""", "callback and promisify forms of every format")

# 512 KiB under the sanitizers: ~10 s of streaming there exposed a crash of
# JavaScriptCore's "Signal Sender" thread under ASan (whose report's ioctl
# the seccomp filter then kills: SIGSYS), seen once in CI; see the notes.
compare("streams", r"""
const { pipeline, Readable, Writable, PassThrough } = require('stream');
const total = """ + ("512 * 1024" if SANITIZED else "2 * 1024 * 1024") + r""";
function source(n, size) {
  let sent = 0;
  return new Readable({
    highWaterMark: size,
    read() {
      if (sent >= n) return this.push(null);
      const c = data(Math.min(size, n - sent), sent + 1);
      sent += c.length;
      this.push(c);
    },
  });
}
function slowSink(label, done) {
  const h = crypto.createHash('sha256');
  let n = 0, chunks = 0, maxChunk = 0;
  return new Writable({
    highWaterMark: 1024,
    write(chunk, enc, cb) {
      h.update(chunk); n += chunk.length; chunks++; maxChunk = Math.max(maxChunk, chunk.length);
      if (chunks % 16 === 0) setTimeout(cb, 0); else cb();
    },
    final(cb) { console.log(label, n, h.digest('hex').slice(0, 16), 'chunks within 16 KiB', maxChunk <= 16384); cb(); done(); },
  });
}
const ref = crypto.createHash('sha256');
for (let sent = 0; sent < total; sent += 4096) ref.update(data(Math.min(4096, total - sent), sent + 1));
console.log('source', total, ref.digest('hex').slice(0, 16));
const pairs = [['createGzip', 'createGunzip'], ['createDeflate', 'createInflate'], ['createDeflateRaw', 'createInflateRaw'],
  ['createDeflate', 'createUnzip'], ['createBrotliCompress', 'createBrotliDecompress']];
(async () => {
  for (const [c, d] of pairs) {
    await new Promise((resolve) => pipeline(source(total, 4096), zlib[c]({ chunkSize: 2048 }), zlib[d](), slowSink(c + ' ' + d, resolve), (err) => { if (err) console.log('pipeline error', showErr(err)); }));
  }
  // Events, flush() and bytesWritten on a stream used by hand.
  const gz = zlib.createGzip();
  const parts = [];
  gz.on('data', (c) => parts.push(c));
  gz.write('first ');
  gz.flush(() => {
    console.log('flushed: output so far inflates to', JSON.stringify(zlib.gunzipSync(Buffer.concat(parts), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString()));
    gz.end('second');
  });
  await new Promise((r) => gz.on('end', r));
  console.log('end', zlib.gunzipSync(Buffer.concat(parts)).toString(), gz.bytesWritten, gz._closed === false || gz._closed === true);
  // Decompression in small writes, bytes one at a time.
  const z = zlib.deflateSync(data(5000, 9));
  const inf = zlib.createInflate();
  const got = [];
  inf.on('data', (c) => got.push(c));
  for (let i = 0; i < z.length; i++) inf.write(z.subarray(i, i + 1));
  inf.end();
  await new Promise((r) => inf.on('end', r));
  console.log('byte by byte', Buffer.concat(got).equals(data(5000, 9)));
  // params() and reset()
  const d = zlib.createDeflate({ level: 1 });
  const out = [];
  d.on('data', (c) => out.push(c));
  d.write(data(10000, 2));
  await new Promise((r) => d.params(9, zlib.constants.Z_FILTERED, r));
  d.end(data(10000, 3));
  await new Promise((r) => d.on('end', r));
  console.log('params', zlib.inflateSync(Buffer.concat(out)).equals(Buffer.concat([data(10000, 2), data(10000, 3)])));
  const r = zlib.createGzip();
  r.reset();
  console.log('reset ok', typeof r.reset, r instanceof zlib.Gzip, r instanceof require('stream').Transform);
  r.destroy();
  // Errors on streams
  const bad = zlib.createGunzip();
  bad.on('error', (e) => console.log('stream error', showErr(e), bad.destroyed));
  bad.end(Buffer.from('definitely not gzip'));
  await new Promise((res) => setTimeout(res, 10));
  const trunc = zlib.createBrotliDecompress();
  trunc.on('error', (e) => console.log('truncated stream', showErr(e)));
  trunc.on('data', () => {});
  trunc.end(zlib.brotliCompressSync(data(30000)).subarray(0, 100));
  await new Promise((res) => setTimeout(res, 10));
  // Async iteration and stream/promises
  const { pipeline: pp } = require('stream/promises');
  const chunks = [];
  await pp(Readable.from([Buffer.from('a'), Buffer.from('b')]), zlib.createGzip(), new PassThrough().on('data', (c) => chunks.push(c)));
  console.log('stream/promises', zlib.gunzipSync(Buffer.concat(chunks)).toString());
  const acc = [];
  for await (const c of Readable.from([zlib.gzipSync('iterated')]).pipe(zlib.createGunzip())) acc.push(c);
  console.log('for await', Buffer.concat(acc).toString());
  // Constructors without new, as Node allows
  console.log('no new', zlib.Gzip() instanceof zlib.Gzip, zlib.BrotliCompress() instanceof zlib.BrotliCompress);
})();
""", "streams: piping 2 MiB (512 KiB sanitized) through every format with backpressure, flush, params, reset, errors, iteration",
        timeout_ms=60000)

# --- errors ----------------------------------------------------------------

compare("errors", r"""
const gz = zlib.gzipSync(data(20000));
const br = zlib.brotliCompressSync(data(20000));
const df = zlib.deflateSync(data(20000));
for (const f of ['inflateSync', 'gunzipSync', 'unzipSync', 'inflateRawSync', 'brotliDecompressSync']) {
  tryIt(`${f} garbage`, () => zlib[f](Buffer.from('garbage, certainly not compressed')));
  tryIt(`${f} empty`, () => zlib[f](Buffer.alloc(0)));
}
tryIt('gunzip truncated', () => zlib.gunzipSync(gz.subarray(0, gz.length - 9)));
tryIt('gunzip cut header', () => zlib.gunzipSync(gz.subarray(0, 5)));
tryIt('inflate truncated', () => zlib.inflateSync(df.subarray(0, 300)));
tryIt('brotli truncated', () => zlib.brotliDecompressSync(br.subarray(0, br.length - 3)));
const badCrc = Buffer.from(gz); badCrc[badCrc.length - 6] ^= 0xff;
tryIt('gunzip bad crc', () => zlib.gunzipSync(badCrc));
const badLen = Buffer.from(gz); badLen[badLen.length - 2] ^= 0xff;
tryIt('gunzip bad length', () => zlib.gunzipSync(badLen));
const flipped = Buffer.from(df); flipped[20] ^= 0x55;
// (Where corruption is found depends on the compressed bytes, which
// differ between zlib builds: only the code is compared.)
try { zlib.inflateSync(flipped); console.log('corrupted inflated?'); } catch (e) { console.log('inflate corrupted', e.code, e.errno); }
tryIt('gzip then junk', () => zlib.gunzipSync(Buffer.concat([zlib.gzipSync('a'), Buffer.from('junk')])));
const dictionary = Buffer.from('some dictionary');
const withDict = zlib.deflateSync('abc', { dictionary });
tryIt('missing dictionary', () => zlib.inflateSync(withDict));
tryIt('bad dictionary', () => zlib.inflateSync(withDict, { dictionary: Buffer.from('other') }));
tryIt('maxOutputLength', () => zlib.gunzipSync(gz, { maxOutputLength: 100 }));
tryIt('maxOutputLength brotli', () => zlib.brotliDecompressSync(br, { maxOutputLength: 19999 }));
tryIt('maxOutputLength exact', () => zlib.brotliDecompressSync(br, { maxOutputLength: 20000 }));
zlib.gunzip(gz, { maxOutputLength: 1000 }, (e) => console.log('async maxOutputLength', showErr(e)));
// Options
tryIt('level 10', () => zlib.deflateSync('x', { level: 10 }));
tryIt('level string', () => zlib.deflateSync('x', { level: '1' }));
tryIt('level null', () => zlib.deflateSync('x', { level: null }));
tryIt('level NaN', () => zlib.deflateSync('x', { level: NaN }));
tryIt('level Infinity', () => zlib.deflateSync('x', { level: Infinity }));
tryIt('level 1.5', () => zlib.inflateSync(zlib.deflateSync('x', { level: 1.5 })));
tryIt('windowBits 7', () => zlib.deflateSync('x', { windowBits: 7 }));
tryIt('gzip windowBits 8', () => zlib.gzipSync('x', { windowBits: 8 }));
tryIt('memLevel 0', () => zlib.deflateSync('x', { memLevel: 0 }));
tryIt('strategy 5', () => zlib.deflateSync('x', { strategy: 5 }));
tryIt('chunkSize 10', () => zlib.deflateSync('x', { chunkSize: 10 }));
tryIt('chunkSize string', () => zlib.deflateSync('x', { chunkSize: 'big' }));
tryIt('flush 9', () => zlib.deflateSync('x', { flush: 9 }));
tryIt('brotli flush 4', () => zlib.brotliCompressSync('x', { finishFlush: 4 }));
tryIt('maxOutputLength 0', () => zlib.deflateSync('x', { maxOutputLength: 0 }));
tryIt('dictionary string', () => zlib.deflateSync('x', { dictionary: 'abc' }));
tryIt('brotli param 9', () => zlib.brotliCompressSync('x', { params: { 9: 1 } }));
tryIt('brotli param key', () => zlib.brotliCompressSync('x', { params: { q: 1 } }));
tryIt('brotli param value', () => zlib.brotliCompressSync('x', { params: { 1: '5' } }));
tryIt('brotli decoder param', () => zlib.brotliDecompressSync(br, { params: { 5: 1 } }));
tryIt('brotli bool param', () => zlib.brotliCompressSync('x', { params: { 4: true } }));
tryIt('input number', () => zlib.deflateSync(42));
tryIt('input null', () => zlib.gzipSync(null));
tryIt('input object', () => zlib.gzipSync({}));
tryIt('crc32 number', () => zlib.crc32(5));
tryIt('crc32 value', () => zlib.crc32('x', -1));
tryIt('crc32 value float', () => zlib.crc32('x', 1.5));
// The error objects themselves
try { zlib.inflateSync(Buffer.from('xx')); } catch (e) {
  console.log(e instanceof Error, Object.keys(e).join(), e.constructor.name, String(e));
}
try { zlib.gunzipSync(gz, { maxOutputLength: 1 }); } catch (e) {
  console.log(e instanceof RangeError, Object.keys(e).join(), e.name, e.message);
}
""", "errors: garbage, truncation, checksums, dictionaries, limits, options, as Node reports them")

compare("misc", r"""
const c = { ...zlib.constants };
delete c.ZLIB_VERNUM;
console.log(JSON.stringify(c));
console.log(Object.getPrototypeOf(zlib.constants), Object.isFrozen(zlib.constants));
console.log(JSON.stringify(zlib.codes), Object.isFrozen(zlib.codes));
console.log(Object.keys(zlib).join());
console.log(zlib.Z_FINISH, zlib.Z_BEST_COMPRESSION, zlib.DEFLATE, zlib.BROTLI_OPERATION_FLUSH, Object.keys(zlib).includes('Z_FINISH'));
console.log(zlib.crc32('hello'), zlib.crc32(Buffer.from('hello')), zlib.crc32('world', zlib.crc32('hello ')), zlib.crc32('hello world'));
console.log(zlib.crc32(''), zlib.crc32(new Uint8Array(1000)), zlib.crc32(new Uint32Array([1, 2])), zlib.crc32('héllo'));
console.log(require('node:zlib') === zlib, typeof zlib.createGzip().pipe);
for (const k of ['Gzip', 'Gunzip', 'Deflate', 'Inflate', 'DeflateRaw', 'InflateRaw', 'Unzip', 'BrotliCompress', 'BrotliDecompress']) {
  const s = new zlib[k]();
  console.log(k, s._chunkSize, s.bytesWritten, typeof s.flush, typeof s.close, typeof s.params);
  s.close();
}
const g = zlib.createGzip();
g.close(() => console.log('closed callback', g.destroyed, g._closed));
""", "zlib.constants, codes, exports, crc32, the classes")

# --- between corral and Node ---------------------------------------------------

CROSS_COMPRESS = r"""
const out = {};
const input = data(120000, 11);
out.input = sha(input);
for (const f of ['deflateSync', 'gzipSync', 'deflateRawSync', 'brotliCompressSync']) {
  out[f] = zlib[f](input).toString('base64');
  out[f + '9'] = zlib[f](input, f === 'brotliCompressSync' ? { params: { 1: 4 } } : { level: 9 }).toString('base64');
}
(async () => {
  const read = async (s) => { const parts = []; for await (const c of s) parts.push(c); return Buffer.concat(parts); };
  for (const fmt of ['gzip', 'deflate', 'deflate-raw']) {
    const rs = new Blob([input]).stream().pipeThrough(new CompressionStream(fmt));
    const chunks = [];
    for await (const c of rs) chunks.push(Buffer.from(c));
    out['web-' + fmt] = Buffer.concat(chunks).toString('base64');
  }
  out.stream = (await read(require('stream').Readable.from([input.subarray(0, 5000), input.subarray(5000)]).pipe(zlib.createGzip({ level: 3 })))).toString('base64');
  console.log(JSON.stringify(out));
})();
"""

CROSS_DECOMPRESS = r"""
const blobs = JSON.parse(require('fs').readFileSync(process.argv[2] || '/dev/stdin', 'utf8'));
"""


def cross(direction, make, check):
    """make compresses (prints JSON of base64); check decompresses it."""
    path = write(f"cross-{direction}-make.js", PRELUDE + CROSS_COMPRESS)
    if make == "corral":
        r = corral(path)
        made = r.get("stdout", "") if r.get("status") == "ok" else ""
    else:
        made, _ = node_out(path)
    try:
        blobs = json.loads(made)
    except ValueError:
        t.ok(False, f"{make} compresses for {check}", made[:500])
        return
    inflate = {"deflateSync": "inflateSync", "gzipSync": "gunzipSync", "deflateRawSync": "inflateRawSync",
               "brotliCompressSync": "brotliDecompressSync", "web-gzip": "gunzipSync", "web-deflate": "inflateSync",
               "web-deflate-raw": "inflateRawSync", "stream": "unzipSync"}
    lines = [f"const blobs = {json.dumps(blobs)};"]
    lines.append("console.log('input', blobs.input);")
    for key in sorted(blobs):
        if key == "input":
            continue
        fn = inflate.get(key) or inflate[key[:-1]]
        lines.append(f"console.log({key!r}, sha(zlib.{fn}(Buffer.from(blobs[{key!r}], 'base64'))));")
    # The web DecompressionStream, too.
    lines.append(r"""
(async () => {
  for (const [k, fmt] of [['web-gzip', 'gzip'], ['deflateSync', 'deflate'], ['deflateRawSync', 'deflate-raw']]) {
    const rs = new Blob([Buffer.from(blobs[k], 'base64')]).stream().pipeThrough(new DecompressionStream(fmt));
    console.log('DecompressionStream', fmt, sha(Buffer.from(await new Response(rs).arrayBuffer())));
  }
})();""")
    body = "\n".join(lines)
    check_path = write(f"cross-{direction}-check.js", PRELUDE + body)
    want, _ = node_out(check_path)
    if check == "corral":
        r = corral(check_path)
        got = r.get("stdout") if r.get("status") == "ok" else f"status {r.get('status')} {r.get('error')}"
    else:
        got = node_out(check_path)[0]
    # Every output hashes to the input's hash.
    hashes = {ln.split()[-1] for ln in want.strip().split("\n")}
    t.ok(len(hashes) == 1 and got == want, f"{make} compresses, {check} decompresses: every format gives the input",
         f"node:\n{want}\ncorral/other:\n{got}")


cross("c2n", "corral", "node")
cross("n2c", "node", "corral")

# --- CompressionStream ---------------------------------------------------------

compare("web-streams", r"""
(async () => {
  const text = data(40000, 4).toString('latin1');
  for (const fmt of ['gzip', 'deflate', 'deflate-raw']) {
    const cs = new CompressionStream(fmt);
    const w = cs.writable.getWriter();
    for (let i = 0; i < text.length; i += 7000) w.write(new TextEncoder().encode(text.slice(i, i + 7000)));
    w.write('and a string chunk');
    w.close();
    const compressed = Buffer.from(await new Response(cs.readable).arrayBuffer());
    const back = await new Response(new Blob([compressed]).stream().pipeThrough(new DecompressionStream(fmt))).text();
    console.log(fmt, back === new TextDecoder().decode(new TextEncoder().encode(text)) + 'and a string chunk');
  }
  console.log(typeof CompressionStream, typeof DecompressionStream, String(new CompressionStream('gzip')), Object.prototype.toString.call(new DecompressionStream('gzip')));
  for (const bad of ['br', 'GZIP', undefined, 1]) {
    try { new CompressionStream(bad); } catch (e) { console.log('format', e.name, e.code, e.message); }
  }
  // Bad input errors the readable side with the zlib error.
  const ds = new DecompressionStream('gzip');
  const w = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  await w.write(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).then(() => console.log('write resolved'), (e) => console.log('write rejected', e.code));
  try { await reader.read(); } catch (e) { console.log('read', showErr(e)); }
  // (The closing error is the web streams' own: Node's and the polyfill's messages differ.)
  await w.close().catch((e) => console.log('close rejected', e.name));
  // Truncated input: the error comes at the end.
  const gz = zlib.gzipSync('truncated input here');
  const ds2 = new DecompressionStream('gzip');
  const w2 = ds2.writable.getWriter();
  w2.write(gz.subarray(0, gz.length - 4)).catch(() => {});
  w2.close().catch((e) => console.log('close rejected', showErr(e)));
  const r2 = ds2.readable.getReader();
  try { for (;;) { const { done } = await r2.read(); if (done) break; } console.log('no error'); } catch (e) { console.log('read', showErr(e)); }
})();
""", "CompressionStream and DecompressionStream: formats, chunks, strings, errors")

# --- a zip bomb ------------------------------------------------------------------

# The bomb is built by the program itself (corral run takes one file, and
# the HTTP API caps code at 100 KiB): one deflated MiB of zeros, a
# non-final block ended by a full flush (~1 KB), repeated 1024 times, then
# an empty final block and the trailer: ~1 MB of gzip for 1 GiB of zeros
# (deflate cannot do better than ~1032:1).
GIB = 1 << 30
MIB = 1 << 20
crc = 0
for _ in range(GIB // MIB):
    crc = zlib.crc32(bytes(MIB), crc)
BOMB = r"""
function makeBomb(mib, crc) {
  const block = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const parts = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff])];
  for (let i = 0; i < mib; i++) parts.push(block);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(crc, 0);
  tail.writeUInt32LE((mib * 1048576) >>> 0, 4);
  parts.push(Buffer.from([0x03, 0x00]), tail);
  return Buffer.concat(parts);
}
const bomb = makeBomb(1024, CRC);
""".replace("CRC", str(crc))

check = write("bomb-check.js", PRELUDE + BOMB + r"""
const small = makeBomb(8, zlib.crc32(Buffer.alloc(8 << 20)));
console.log(bomb.length < 1200000, zlib.gunzipSync(small).length === 8 << 20);
""")
want, _ = node_out(check)
t.eq(want, "true true\n", "the bomb generator is right (Node inflates its 8 MiB version; the 1 GiB one is ~1 MB)")

BOMB_SYNC = BOMB + r"""
try { zlib.gunzipSync(bomb, LIMIT); console.log('inflated?'); } catch (e) { console.log('sync', showErr(e)); }
zlib.gunzip(bomb, LIMIT, (e) => {
  console.log('callback', showErr(e));
  try { zlib.unzipSync(bomb, { maxOutputLength: 10 * 1024 * 1024 }); } catch (e2) { console.log('sync 10 MiB', showErr(e2)); }
});
"""
# brotli: 80 MiB of zeros in a few bytes (brotli has no deflate-like bound).
BOMB_BROTLI = r"""
const br = zlib.brotliCompressSync(Buffer.alloc(SIZE << 20), { params: { 1: 5, 2: 24 } });
console.log('brotli bomb under 1 KB', br.length < 1024);
try { zlib.brotliDecompressSync(br); } catch (e3) { console.log('brotli', showErr(e3)); }
"""
# In corral the default limit is a quarter of the memory budget (256 MB
# here); Node's is 4 GiB, so Node is given the same limit explicitly.
BOMB_BROTLI = BOMB_BROTLI.replace("SIZE", str(80 * SCALE))
for name, prog, desc in [("bomb-sync", BOMB_SYNC, "a 1 GiB gzip bomb"),
                         ("bomb-brotli", BOMB_BROTLI, f"an {80 * SCALE} MiB brotli bomb")]:
    cpath = write(f"{name}.js", PRELUDE + prog.replace("LIMIT", "{}"))
    limit = f"{{ maxOutputLength: {64 * SCALE} * 1024 * 1024 }}"
    npath = write(f"{name}-node.js", PRELUDE + prog.replace("LIMIT", limit)
                  .replace("zlib.brotliDecompressSync(br)", f"zlib.brotliDecompressSync(br, {limit})"))
    want, _ = node_out(npath)
    got = corral(cpath, "--memory", str(256 * SCALE))
    t.ok(got.get("status") == "ok" and got.get("stdout") == want and "ERR_BUFFER_TOO_LARGE" in want,
         f"{desc}: the one-shot forms end in ERR_BUFFER_TOO_LARGE at a quarter of the memory budget, as Node's at that limit",
         f"node:\n{want}\ncorral: {json.dumps(got)[:1000]}")

# Lifting the limit: the execution's memory cap ends it, as a typed outcome.
lift = write("bomb-lift.js", PRELUDE + BOMB + r"""
const out = zlib.gunzipSync(bomb, { maxOutputLength: 2 ** 32 });
console.log('inflated', out.length);
""")
r = corral(lift, "--memory", "64")
t.ok(r.get("status") == "memory_limit", "with maxOutputLength lifted, the bomb ends the execution as memory_limit",
     json.dumps(r)[:800])

# Streaming the whole GiB through a sink that keeps nothing: bounded memory.
spath = write("bomb-stream.js", PRELUDE + BOMB + r"""
const { Writable, Readable, pipeline } = require('stream');
let n = 0, chunks = 0;
pipeline(Readable.from([bomb]), zlib.createGunzip(), new Writable({ write(c, e, cb) { n += c.length; chunks++; cb(); } }), (err) => {
  console.log('streamed', err ? showErr(err) : 'ok', n, chunks);
});
""")
want, _ = node_out(spath, timeout=300)
r = corral(spath, "--memory", str(96 * SCALE), timeout_ms=120000)
t.ok(r.get("status") == "ok" and r.get("stdout") == want and want.startswith("streamed ok 1073741824"),
     f"a 1 GiB bomb streams through a discarding sink within a {96 * SCALE} MB cap, as in Node (usage {r.get('usage')})",
     f"node: {want}\ncorral: {json.dumps(r)[:800]}")

# The bomb on a server does not disturb a neighbour.
TWO = {"ISOLATE_POOL_SIZE": "2", "ISOLATE_MAX_POOL_SIZE": "2", "CORRAL_LOG_LEVEL": "warn"}
try:
    srv = server.Server(env=TWO, ready=True).start()
except server.ServerError as e:
    srv = None
    t.ok(False, "a server starts", str(e)[-2000:])
if srv:
    results = {}
    bomb_code = (BOMB.replace("const zlib", "") + "const out = zlib.gunzipSync(bomb, { maxOutputLength: 2 ** 32 }); out.length")
    bomb_code = "const zlib = require('zlib');\n" + bomb_code

    def run_bomb():
        results["bomb"] = srv.execute(bomb_code, memory_mb=64, timeout_ms=20000, timeout=90)

    th = threading.Thread(target=run_bomb)
    th.start()
    neighbours = [srv.execute(f"const z = require('zlib'); z.gunzipSync(z.gzipSync('n{i}')).toString()", timeout=60)
                  for i in range(5)]
    th.join()
    s, obj, _ = results.get("bomb", (None, {}, None))
    t.ok(s == 200 and (obj or {}).get("status") == "memory_limit", "on a server the bomb ends as memory_limit",
         json.dumps(obj)[:600])
    t.ok(all(n[0] == 200 and (n[1] or {}).get("status") == "ok" and n[1].get("result") == f"n{i}"
             for i, n in enumerate(neighbours)),
         "executions beside it complete normally", json.dumps([n[1] for n in neighbours])[:800])
    s, obj, _ = srv.execute("require('zlib').gunzipSync(require('zlib').gzipSync('after')).toString()")
    t.ok(s == 200 and (obj or {}).get("result") == "after", "the server serves zlib after the bomb", json.dumps(obj)[:400])
    # A stream kept in a session's context outlives its handle, which ended
    # with the execution that opened it: using it is an 'error' event.
    s, obj, _ = srv.json("POST", "/v1/sessions", {})
    sid = (obj or {}).get("id")
    s1, r1, _ = srv.execute("globalThis.g = require('zlib').createGzip(); g.write('abc'); 'made'", session_id=sid)
    s2, r2, _ = srv.execute("await new Promise((r) => { g.on('error', (e) => r('error: ' + e.message)); g.end('x', () => r('ended')); })",
                            session_id=sid)
    s3, r3, _ = srv.execute("require('zlib').gunzipSync(require('zlib').gzipSync('ok')).toString()", session_id=sid)
    t.eq([(r1 or {}).get("result"), (r2 or {}).get("result"), (r3 or {}).get("result")],
         ["made", "error: zlib binding closed", "ok"],
         "a session's stream from an earlier execution errors ('zlib binding closed'); new ones work")
    t.eq(srv.server_errors(), [], "no 5xx")
    srv.stop()

# Handles are released: many streams opened and left for the GC or the end.
leak = write("handles.js", PRELUDE + r"""
let n = 0;
// Left open and unreachable: the collector's finalizer or the end of the
// execution releases them.
for (let i = 0; i < 400; i++) { const g = zlib.createGzip(); g.write('x'); n++; }
for (let i = 0; i < 3000; i++) { zlib.gunzipSync(zlib.gzipSync('y' + i)); n++; }
for (let i = 0; i < 100; i++) { zlib.createBrotliCompress(); n++; }
const kept = [];
for (let i = 0; i < 200; i++) { kept.push(zlib.createInflate()); n++; }
console.log('opened', n);
""")
r = corral(leak, "--repeat", "3", "--memory", str(128 * SCALE))
t.ok(r.get("status") == "ok" and r.get("stdout") == "opened 3700\n",
     "thousands of handles left open in repeated executions: released at the end, no limit hit", json.dumps(r)[:600])

# The worker's count of open handles (corral-testhooks): each execution
# starts with none, whatever the one before it left open.
if os.path.exists(HOOKS):
    counted = write("handles-count.js", r"""
const zlib = require('zlib');
const before = __corral_test.info().zlib_open;
const kept = [];
for (let i = 0; i < 30; i++) kept.push(zlib.createGzip(), zlib.createBrotliDecompress());
for (let i = 0; i < 10; i++) zlib.createInflate().write('x');
const closed = zlib.createDeflate(); closed.close();
zlib.deflateSync('one-shot forms close their handle');
console.log(before, __corral_test.info().zlib_open);
""")
    p = subprocess.run([HOOKS, "run", "--json", "--repeat", "3", counted], capture_output=True, timeout=120)
    outs = [json.loads(ln).get("stdout") for ln in p.stdout.decode().strip().split("\n") if ln.startswith("{")]
    t.eq(outs, ["0 70\n"] * 3, "an execution's handles are released when it ends: the next one starts with none open")
else:
    t.skip("open handles counted across executions", "no corral-testhooks in this build")

if os.environ.get("CORRAL_KEEP_TMP"):
    print(f"# programs kept in {TMP}")
else:
    shutil.rmtree(TMP, ignore_errors=True)
t.done()
