// createCipheriv/createDecipheriv with fixed keys: AES-GCM with AAD and a
// short tag, AES-CBC across updates, AES-CTR, ChaCha20-Poly1305, and the
// errors of a wrong tag, a wrong key length and bad padding.
const c = require('crypto');
const key = Buffer.alloc(32, 5);
const e = c.createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 1), { authTagLength: 12 });
e.setAAD(Buffer.from('aad'));
const ct = Buffer.concat([e.update('gcm text', 'utf8'), e.final()]);
const tag = e.getAuthTag();
console.log(ct.toString('hex'), tag.toString('hex'));
const d = c.createDecipheriv('aes-256-gcm', key, Buffer.alloc(12, 1), { authTagLength: 12 });
d.setAAD(Buffer.from('aad')).setAuthTag(tag);
console.log(d.update(ct, undefined, 'utf8') + d.final('utf8'));
const cbc = c.createCipheriv('aes-128-cbc', key.subarray(0, 16), Buffer.alloc(16));
console.log(cbc.update('0123456789', 'utf8', 'base64') + cbc.update('abcdefghij', 'utf8', 'base64') + cbc.final('base64'));
const ctr = c.createCipheriv('aes-192-ctr', key.subarray(0, 24), Buffer.alloc(16, 0xff));
console.log(ctr.update(Buffer.alloc(40)).toString('hex') + ctr.final('hex'));
const ch = c.createCipheriv('chacha20-poly1305', key, Buffer.alloc(12, 9), { authTagLength: 16 });
console.log(ch.update('chacha', 'utf8', 'hex') + ch.final('hex'), ch.getAuthTag().toString('hex'));
try {
  const bad = c.createDecipheriv('aes-256-gcm', key, Buffer.alloc(12, 1), { authTagLength: 12 });
  bad.setAuthTag(Buffer.alloc(12));
  bad.update(ct);
  bad.final();
} catch (err) {
  console.log(err.message);
}
try { c.createCipheriv('aes-128-gcm', key, Buffer.alloc(12)); } catch (err) { console.log(err.name, err.code, err.message); }
try {
  const p = c.createDecipheriv('aes-128-cbc', key.subarray(0, 16), Buffer.alloc(16));
  p.update(Buffer.alloc(16));
  p.final();
} catch (err) {
  console.log(err.code);
}
