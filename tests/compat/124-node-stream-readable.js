const { Readable, Writable, Transform, pipeline, PassThrough } = require('stream');
const up = new Transform({ transform(chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()); } });
const collected = [];
const sink = new Writable({ write(chunk, enc, cb) { collected.push(chunk.toString()); cb(); } });
pipeline(Readable.from(['a', 'b', 'c']), up, new PassThrough(), sink, (err) => console.log('pipeline done', err, collected.join('')));
const r = new Readable({ read() {} }); r.push('x'); r.push(null);
r.on('data', (d) => console.log('data', d.toString())); r.on('end', () => console.log('end'));
