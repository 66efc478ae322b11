// CompressionStream and DecompressionStream round trip, and decompress Node's zlib output.
const zlib = require('zlib');
const text = 'streams of text, compressed and back '.repeat(100);
for (const format of ['gzip', 'deflate', 'deflate-raw']) {
  const compressed = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  const back = await new Response(compressed.pipeThrough(new DecompressionStream(format))).text();
  console.log(format, back === text);
}
const gz = zlib.gzipSync(text);
console.log('from zlib', (await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'))).text()) === text);
try { new CompressionStream('brotli'); } catch (e) { console.log(e.name, e.code); }
