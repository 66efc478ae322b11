// zlib errors as Node gives them: message, code and errno.
const zlib = require('zlib');
const show = (label, f) => {
  try { f(); console.log(label, 'no error'); } catch (e) { console.log(label, e.name, e.code, e.errno, e.message); }
};
show('inflate garbage', () => zlib.inflateSync(Buffer.from('not compressed at all')));
show('gunzip truncated', () => zlib.gunzipSync(zlib.gzipSync('hello world').subarray(0, 12)));
show('brotli garbage', () => zlib.brotliDecompressSync(Buffer.from('not compressed at all')));
show('missing dictionary', () => zlib.inflateSync(zlib.deflateSync('x', { dictionary: Buffer.from('dict') })));
show('too large', () => zlib.inflateSync(zlib.deflateSync(Buffer.alloc(1000)), { maxOutputLength: 10 }));
show('bad level', () => zlib.gzipSync('x', { level: 42 }));
show('bad input', () => zlib.gzipSync(123));
zlib.gunzip(Buffer.from('nope'), (e) => console.log('callback', e.code, e.errno, e.message));
