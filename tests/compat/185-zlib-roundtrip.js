// zlib: every format round trips, in the sync, callback and stream forms.
const zlib = require('zlib');
const { pipeline, Readable, Writable } = require('stream');
const text = 'The quick brown fox jumps over the lazy dog. '.repeat(200) + '✓ ünïcödé';
const pairs = [['deflateSync', 'inflateSync'], ['gzipSync', 'gunzipSync'], ['deflateRawSync', 'inflateRawSync'],
  ['gzipSync', 'unzipSync'], ['brotliCompressSync', 'brotliDecompressSync']];
for (const [c, d] of pairs) {
  const z = zlib[c](text);
  console.log(c, z.length < text.length / 10, zlib[d](z).toString() === text);
}
console.log(zlib.crc32(text), zlib.gunzipSync(Buffer.concat([zlib.gzipSync('a'), zlib.gzipSync('b')])).toString());
zlib.deflate(text, { level: 9 }, (err, z) => {
  zlib.inflate(z, (err2, back) => console.log('callback', err, err2, back.toString() === text));
});
const out = [];
pipeline(Readable.from([Buffer.from(text.slice(0, 100)), Buffer.from(text.slice(100))]), zlib.createGzip(), zlib.createGunzip(),
  new Writable({ write(c, e, cb) { out.push(c); cb(); } }), (err) => console.log('stream', err, Buffer.concat(out).toString() === text));
