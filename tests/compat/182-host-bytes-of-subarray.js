// Views that do not start at the beginning of their buffer (subarray, a
// Buffer over part of an ArrayBuffer) reach the native codecs and digests
// with their own bytes, not the buffer's first ones.
const { isUtf8 } = require('buffer');
const whole = new Uint8Array([9, 0x41, 0xe2, 0x82, 0xac, 0x42, 0x80, 0x43]);
const view = whole.subarray(1, 6);
console.log(JSON.stringify(new TextDecoder().decode(view)));
console.log(JSON.stringify(new TextDecoder().decode(new DataView(whole.buffer, 2, 3))));
console.log(JSON.stringify(Buffer.from(whole.buffer, 1, 5).toString()));
const big = new Uint8Array(200).fill(0x61);
big.set([0xe2, 0x82], 150);
console.log(JSON.stringify(Buffer.from(big.buffer, 100, 60).toString()));
console.log(JSON.stringify(Buffer.from(big).subarray(120, 190).toString()));
console.log(isUtf8(whole.subarray(1, 6)), isUtf8(whole.subarray(5, 8)), isUtf8(whole.subarray(6, 7)));
(async () => {
  const d = await crypto.subtle.digest('SHA-256', view);
  console.log(Buffer.from(d).toString('hex'));
  console.log(require('crypto').createHash('sha1').update(whole.subarray(2, 5)).digest('hex'));
})();
