const ab = new ArrayBuffer(4);
const view = Buffer.from(ab, 1, 2); view[0] = 7;
console.log(new Uint8Array(ab), Buffer.from(Buffer.from('copy')).toString(), Buffer.from(new Uint16Array([1, 256])), Buffer.from({ length: 2, 0: 65, 1: 66 }).toString());
console.log(Buffer.allocUnsafe(3).length, Buffer.alloc(0), typeof Buffer.poolSize, require('buffer').constants.MAX_LENGTH > 0, require('buffer').kMaxLength > 0);
console.log(Buffer.from('€').length, Buffer.from('\ud83d').toString('hex'), String(Buffer.from('str')), Buffer.from('abc') + '');
