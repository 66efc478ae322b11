const enc = new TextEncoder();
const key = await crypto.subtle.importKey('raw', enc.encode('secret'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
console.log(key.type, key.extractable, key.algorithm.name, key.algorithm.hash.name, key.usages);
const sig = await crypto.subtle.sign('HMAC', key, enc.encode('message'));
console.log(Buffer.from(sig).toString('hex'));
console.log(await crypto.subtle.verify('HMAC', key, sig, enc.encode('message')), await crypto.subtle.verify('HMAC', key, sig, enc.encode('other')));
