const hex = (ab) => Buffer.from(ab).toString('hex');
const data = new TextEncoder().encode('The quick brown fox');
for (const alg of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', { name: 'sha-256' }]) {
  console.log(JSON.stringify(alg), hex(await crypto.subtle.digest(alg, data)));
}
console.log(hex(await crypto.subtle.digest('SHA-256', new ArrayBuffer(0))), hex(await crypto.subtle.digest('SHA-256', Buffer.from('buf'))));
try { await crypto.subtle.digest('MD5', data); } catch (e) { console.log(e.name); }
