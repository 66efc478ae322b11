const b = Buffer.alloc(16);
b.writeUInt32BE(0xdeadbeef, 0);
b.writeInt16LE(-2, 4);
b.writeDoubleLE(1.5, 8);
console.log(b.readUInt32BE(0).toString(16), b.readInt16LE(4), b.readDoubleLE(8), b.readUInt8(0), b.readUInt16LE(0));
b.writeBigUInt64BE(2n ** 63n, 8); console.log(b.readBigUInt64BE(8), b.readBigInt64BE(8));
console.log(b.write('zz', 1), b.toString('hex', 0, 4), b.readUIntBE(0, 3), b.writeIntLE(-1, 0, 2), b.readIntLE(0, 2));
try { b.readUInt32BE(14); } catch (e) { console.log(e.code, e.name); }
