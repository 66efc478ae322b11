const buf = Buffer.from('abcdef');
const s = buf.subarray(1, 3);
s[0] = 0x5a;
console.log(buf.toString(), s.toString(), buf.slice(-2).toString(), buf.indexOf('d'), buf.includes('ef'), buf.lastIndexOf(0x66));
const t = Buffer.alloc(6); buf.copy(t, 1, 0, 3); console.log(t);
console.log([...Buffer.from('xy')], Buffer.from('xyz').reverse().toString(), buf.fill('-', 4).toString());
