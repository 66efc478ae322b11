const b = Buffer.from('héllo wörld');
console.log(b.length, b.toString('hex'), b.toString('base64'), b.toString('base64url'), b.toString('latin1'));
console.log(Buffer.from('aGVsbG8', 'base64').toString(), Buffer.from('68656c6c6f', 'hex').toString(), Buffer.from('aGk_-w', 'base64url'));
console.log(Buffer.from('hi', 'utf16le'), Buffer.from('hi', 'ucs2').toString('utf16le'), Buffer.from('ÿ', 'latin1'), Buffer.from('abc', 'ascii').toString('ascii'));
console.log(Buffer.byteLength('héllo'), Buffer.byteLength('aGVsbG8=', 'base64'), Buffer.isEncoding('utf8'), Buffer.isEncoding('nope'), Buffer.isEncoding('base64url'));
