// RSASSA-PKCS1-v1_5 and RSA-PSS (salt 0) signatures are deterministic for a
// fixed key; RSA-OAEP is randomized, so it is decrypted back.
const b64 = (b) => Buffer.from(b).toString('base64');
const s = crypto.subtle;
const jwk = {"kty":"RSA","n":"pt2h-HcpdT-Q4_oKjd_3pqS7GZbLUYh0xw27hACN-R4eJTbRqM4oBVwMx7IeCVRVHaik3UPxFwYKrejKBAnQSBivB0IonkSoPcWiEOQIvcDLJlxbz5ZIzQ84F4_3mhQ8MxEVxy4_Op6Idz1jI6okCaSTaJscdaN_CjzpvgqLlFk","e":"AQAB","d":"j05wuE6-kC-TY_dt8QKUUc3P0d4rp04l3H3yuR8wzu4KvbMixHKo9FFluGtEWIbQwrP_QvgCqd9KdKkkNeunr5962ZLJI4lPIQHRQPVQxtQPiC3WcYycnx5wlOy3REWfHqFu7p7oeSGCgBGTl2COA0TD_AwqgXqKJ4U35gJoHPE","p":"3e4iYLjaM_EYOv6leUcf7iLBSehYjWlvQMbGtFdHTHHNAFQx3_0FUqS9GmixXsZRW6fvV_Cwtq--hCnB4BE42w","q":"wHt2jFC3oMb246YLhp7rwoJsixkZ1Xv-u1KbsynFNpLDEV4ekR-onZ2_d4sB27Tirl6wZ_JOjcAq6_eWdD4j2w","dp":"YeYgiCZDK1KZa7zVZhB4B2aReXbjSU5PY3XMRdWSgChbVF_PuI03AePl_3ZbeAFn9lS4gkSMz6nrEwYQnjU6rQ","dq":"VbIiM5J0TtaGcRAqLYNvv6fFn6BLSirsXIYI4BmGvidVRdQ7k60eqx3ictymtSSxj6SEsaLFqoKWGXyftZ085Q","qi":"SAQUVtmVCVC0O0xBHRuEukIkpBjk_QiT9Z9VwWQWypAfUWKnSkC0j_PJ68xAuew0aCC0ZJQbr_fyuocJy7PiZQ"};
const msg = new TextEncoder().encode('message');
const pk = await s.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['sign']);
console.log(pk.algorithm.modulusLength, pk.algorithm.publicExponent, pk.algorithm.hash);
console.log('pkcs1', b64(await s.sign('RSASSA-PKCS1-v1_5', pk, msg)));
const pss = await s.importKey('jwk', jwk, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['sign']);
console.log('pss', b64(await s.sign({ name: 'RSA-PSS', saltLength: 0 }, pss, msg)));
const spki = await s.exportKey('spki', await s.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e }, { name: 'RSA-PSS', hash: 'SHA-384' }, true, ['verify']));
console.log('spki', b64(spki));
console.log('pkcs8', b64(await s.exportKey('pkcs8', pss)).length);
const pub = await s.importKey('spki', spki, { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['verify']);
const sig = await s.sign({ name: 'RSA-PSS', saltLength: 48 }, pss, msg);
console.log('pss 48', await s.verify({ name: 'RSA-PSS', saltLength: 48 }, pub, sig, msg));
const enc = await s.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
const dec = await s.importKey('jwk', jwk, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
const ct = await s.encrypt({ name: 'RSA-OAEP', label: new Uint8Array([7]) }, enc, msg);
console.log('oaep', ct.byteLength, new TextDecoder().decode(await s.decrypt({ name: 'RSA-OAEP', label: new Uint8Array([7]) }, dec, ct)));
console.log(Object.keys(await s.exportKey('jwk', pss)).join(), (await s.exportKey('jwk', pss)).alg);
