const enc = new TextEncoder();
console.log(enc.encoding, enc.encode('héllo €'), enc.encode(), enc.encode('\ud800'));
const dest = new Uint8Array(5);
console.log(enc.encodeInto('héllo', dest), dest);
console.log(enc.encodeInto('😀x', new Uint8Array(3)));
