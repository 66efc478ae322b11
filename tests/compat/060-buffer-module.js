const buffer = require('buffer');
console.log(buffer.Buffer === Buffer, typeof buffer.Blob, typeof buffer.atob, buffer.btoa('hi'), buffer.atob('aGk='), buffer.INSPECT_MAX_BYTES);
console.log(buffer.isUtf8(Buffer.from('ok')), buffer.isUtf8(Buffer.from([0xff])), buffer.isAscii(Buffer.from('abc')), buffer.isAscii(Buffer.from('é')));
