const { StringDecoder } = require('string_decoder');
const d = new StringDecoder('utf8');
const euro = Buffer.from('€');
console.log(JSON.stringify(d.write(euro.subarray(0, 1))), JSON.stringify(d.write(euro.subarray(1))), JSON.stringify(d.end()));
const d2 = new StringDecoder('utf8'); console.log(JSON.stringify(d2.write(Buffer.from([0xe2, 0x82]))), JSON.stringify(d2.end()));
const b64 = new StringDecoder('base64'); console.log(b64.write(Buffer.from('ab')), b64.end(Buffer.from('c')));
const hex = new StringDecoder('hex'); console.log(hex.write(Buffer.from([1, 255])), new StringDecoder('utf16le').write(Buffer.from('hi', 'utf16le')));
