const { pipeline } = require('stream/promises');
const { Readable, Writable } = require('node:stream');
let total = 0;
await pipeline(Readable.from([1, 2, 3]), new Writable({ objectMode: true, write(c, e, cb) { total += c; cb(); } }));
console.log('total', total);
const chunks = [];
for await (const c of Readable.from(['p', 'q'])) chunks.push(c);
console.log(chunks);
