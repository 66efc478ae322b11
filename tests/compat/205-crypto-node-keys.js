// node:crypto keys: KeyObject from a JWK, PEM/DER/JWK exports, createSign
// (deterministic RSA PKCS#1 v1.5), createVerify, ECDSA in DER and P1363,
// publicEncrypt/privateDecrypt, generateKeyPairSync and more digests.
const c = require('crypto');
const jwk = {"kty":"RSA","n":"pt2h-HcpdT-Q4_oKjd_3pqS7GZbLUYh0xw27hACN-R4eJTbRqM4oBVwMx7IeCVRVHaik3UPxFwYKrejKBAnQSBivB0IonkSoPcWiEOQIvcDLJlxbz5ZIzQ84F4_3mhQ8MxEVxy4_Op6Idz1jI6okCaSTaJscdaN_CjzpvgqLlFk","e":"AQAB","d":"j05wuE6-kC-TY_dt8QKUUc3P0d4rp04l3H3yuR8wzu4KvbMixHKo9FFluGtEWIbQwrP_QvgCqd9KdKkkNeunr5962ZLJI4lPIQHRQPVQxtQPiC3WcYycnx5wlOy3REWfHqFu7p7oeSGCgBGTl2COA0TD_AwqgXqKJ4U35gJoHPE","p":"3e4iYLjaM_EYOv6leUcf7iLBSehYjWlvQMbGtFdHTHHNAFQx3_0FUqS9GmixXsZRW6fvV_Cwtq--hCnB4BE42w","q":"wHt2jFC3oMb246YLhp7rwoJsixkZ1Xv-u1KbsynFNpLDEV4ekR-onZ2_d4sB27Tirl6wZ_JOjcAq6_eWdD4j2w","dp":"YeYgiCZDK1KZa7zVZhB4B2aReXbjSU5PY3XMRdWSgChbVF_PuI03AePl_3ZbeAFn9lS4gkSMz6nrEwYQnjU6rQ","dq":"VbIiM5J0TtaGcRAqLYNvv6fFn6BLSirsXIYI4BmGvidVRdQ7k60eqx3ictymtSSxj6SEsaLFqoKWGXyftZ085Q","qi":"SAQUVtmVCVC0O0xBHRuEukIkpBjk_QiT9Z9VwWQWypAfUWKnSkC0j_PJ68xAuew0aCC0ZJQbr_fyuocJy7PiZQ"};
const priv = c.createPrivateKey({ key: jwk, format: 'jwk' });
const pub = c.createPublicKey(priv);
console.log(priv.type, priv.asymmetricKeyType, priv.asymmetricKeyDetails, pub.type, pub instanceof c.KeyObject);
const pem = priv.export({ type: 'pkcs8', format: 'pem' });
console.log(pub.export({ type: 'spki', format: 'pem' }));
console.log(pub.export({ type: 'pkcs1', format: 'der' }).toString('base64'));
console.log(JSON.stringify(pub.export({ format: 'jwk' })));
console.log(c.createPrivateKey(pem).equals(priv), c.createPublicKey(pem).equals(pub), pem.length);
const sig = c.createSign('RSA-SHA256').update('some data').sign(pem, 'base64');
console.log(sig);
console.log(c.createVerify('sha256').update('some data').verify(pub, sig, 'base64'), c.verify('sha256', Buffer.from('other'), pub, Buffer.from(sig, 'base64')));
const ct = c.publicEncrypt(pub, Buffer.from('secret'));
console.log(ct.length, c.privateDecrypt(priv, ct).toString());
const ec = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const der = c.sign('sha256', Buffer.from('x'), ec.privateKey);
const p1363 = c.sign('sha256', Buffer.from('x'), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
console.log(der[0], p1363.length, c.verify('sha256', Buffer.from('x'), ec.publicKey, der),
  c.verify('sha256', Buffer.from('x'), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, p1363), ec.privateKey.asymmetricKeyDetails);
const ed = c.generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
console.log(ed.publicKey.split('\n')[0], c.verify(null, Buffer.from('m'), ed.publicKey, c.sign(null, Buffer.from('m'), ed.privateKey)));
for (const h of ['md5', 'sha224', 'sha512-256', 'sha3-512', 'ripemd160']) console.log(h, c.createHash(h).update('abc').digest('hex'), c.createHmac(h, 'k').update('abc').digest('base64'));
console.log(Buffer.from(c.hkdfSync('sha512', 'key', 'salt', 'info', 20)).toString('hex'));
