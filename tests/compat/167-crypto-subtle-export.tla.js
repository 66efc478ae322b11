const key = await crypto.subtle.importKey('raw', new Uint8Array([1, 2, 3, 4]), { name: 'HMAC', hash: { name: 'SHA-1' } }, true, ['sign']);
console.log(new Uint8Array(await crypto.subtle.exportKey('raw', key)));
const jwk = await crypto.subtle.exportKey('jwk', key); console.log(jwk.kty, jwk.k, jwk.alg, jwk.ext);
const k2 = await crypto.subtle.importKey('jwk', jwk, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
console.log(Buffer.from(await crypto.subtle.sign('HMAC', k2, new Uint8Array([9]))).toString('hex') === Buffer.from(await crypto.subtle.sign('HMAC', key, new Uint8Array([9]))).toString('hex'));
