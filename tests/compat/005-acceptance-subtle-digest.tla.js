const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('x'));
console.log(digest instanceof ArrayBuffer, digest.byteLength);
console.log([...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join(''));
