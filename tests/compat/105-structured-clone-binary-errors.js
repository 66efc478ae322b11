const u8 = new Uint8Array([1, 2, 3]);
const c = structuredClone({ u8, view: new DataView(u8.buffer, 1), buf: u8.buffer });
console.log(c.u8, c.view.byteOffset, c.buf.byteLength, c.u8.buffer === c.buf, c.u8.buffer === u8.buffer);
const e = structuredClone(new RangeError('bad range'));
console.log(e instanceof RangeError, e.name, e.message);
class K { constructor() { this.a = 1; } method() {} }
const k = structuredClone(new K()); console.log(k, k instanceof K, Object.getPrototypeOf(k) === Object.prototype);
for (const bad of [() => 1, Symbol('s'), { f() {} }, Promise.resolve(), new WeakMap()]) {
  try { structuredClone(bad); } catch (err) { console.log(err.name, err.code, err instanceof DOMException); }
}
const ab = new ArrayBuffer(4); const moved = structuredClone(ab, { transfer: [ab] }); console.log(moved.byteLength, ab.byteLength);
