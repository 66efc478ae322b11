const crypto = require('node:crypto');
console.log(crypto.randomBytes(8).length, Buffer.isBuffer(crypto.randomBytes(1)), typeof crypto.randomUUID());
const n = crypto.randomInt(10); console.log(n >= 0 && n < 10, Number.isInteger(crypto.randomInt(5, 6)));
console.log(crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')), crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd')));
try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); } catch (e) { console.log(e.code); }
console.log(crypto.pbkdf2Sync('password', 'salt', 2, 20, 'sha1').toString('hex'));
crypto.randomBytes(4, (err, b) => console.log('async', err, b.length));
console.log(crypto.webcrypto === globalThis.crypto, typeof crypto.subtle.digest, crypto.getHashes().includes('sha256'));
