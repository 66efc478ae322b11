const a = Buffer.alloc(4, 'ab');
const b = Buffer.alloc(3);
const c = Buffer.concat([a, b, Buffer.from([255])]);
console.log(a, b, c, c.length, Buffer.concat([a, b], 5));
console.log(Buffer.compare(Buffer.from('a'), Buffer.from('b')), a.equals(Buffer.from('abab')), Buffer.isBuffer(a), Buffer.isBuffer(new Uint8Array(1)));
const big = Buffer.alloc(60, 1); console.log(big);
console.log(Buffer.from([1, 2, 3]).toJSON(), JSON.stringify(Buffer.from('A')));
