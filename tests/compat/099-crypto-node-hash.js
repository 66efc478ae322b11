const crypto = require('crypto');
console.log(crypto.createHash('sha256').update('hello').digest('hex'));
console.log(crypto.createHash('sha1').update('a').update(Buffer.from('b')).digest('base64'));
console.log(crypto.createHash('SHA512').update('x', 'utf8').digest().length, crypto.createHash('sha384').digest('base64url').length);
console.log(crypto.createHmac('sha256', 'key').update('data').digest('hex'));
const h = crypto.createHash('sha256').update('part1'); const h2 = h.copy(); h2.update('part2');
console.log(h.digest('hex').slice(0, 16), h2.digest('hex').slice(0, 16));
try { const x = crypto.createHash('sha256'); x.digest(); x.digest(); } catch (e) { console.log(e.code); }
