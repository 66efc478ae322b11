const crypto = require('crypto');
for (const alg of ['sha1', 'sha256', 'sha384', 'sha512']) console.log(alg, crypto.createHmac(alg, 'k').update('m').digest('base64'));
console.log(crypto.createHmac('sha256', Buffer.alloc(100, 1)).update('long key').digest('hex'));
console.log(crypto.createHash('sha256').update('é').digest('hex') === crypto.createHash('sha256').update(Buffer.from('é')).digest('hex'));
