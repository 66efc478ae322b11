const buf = new ArrayBuffer(8);
const view = new DataView(buf);
view.setUint16(0, 0x1234);
view.setFloat32(4, 1.5, true);
console.log(new Uint8Array(buf), view.getUint16(0, true).toString(16), view.getFloat32(4, true));
const f = new Float64Array([1.5, 2.5]); const i = Int16Array.from([1, -2, 70000]);
console.log(f, i, new Uint8ClampedArray([300, -5]), i.subarray(1).length, Array.from(new Uint8Array([1, 2]).map((x) => x * 2)));
console.log(new BigInt64Array([1n, -1n]), new Uint8Array(new Uint16Array([258]).buffer));
