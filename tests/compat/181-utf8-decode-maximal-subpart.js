// UTF-8 decoding per the WHATWG Encoding standard: each ill-formed
// sequence becomes U+FFFD by the "maximal subpart" rule, the same in
// Buffer#toString, TextDecoder and string_decoder, as in Node.
const { StringDecoder } = require('string_decoder');
const table = [
  [0xe2, 0x82], [0xe2, 0x82, 0xac], [0xe2, 0x82, 0x41], [0xf0, 0x80, 0x80], [0xf0, 0x90, 0x80],
  [0xf0, 0x9f, 0x98, 0x80], [0xf0, 0x9f, 0x98], [0xf0, 0x9f], [0xf0], [0xc0, 0x80], [0xc1, 0xbf],
  [0xc2], [0xc2, 0x41], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xe0, 0xa0, 0x80],
  [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80],
  [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff], [0xfe, 0xff], [0x80], [0x80, 0x80, 0xbf], [0x41, 0x80, 0x42], [0xef, 0xbb, 0xbf, 0x41],
  [0xe1, 0x80, 0xe2, 0xf0, 0x91, 0x92, 0xf1, 0xbf, 0x41], [0xf1, 0x80, 0x80, 0xc0],
  [0x61, 0xf1, 0x80, 0x80, 0xe1, 0x80, 0xc2, 0x62, 0x80, 0x63, 0x80, 0xbf, 0x64],
];
const show = (s) => Array.from(s, (c) => c.codePointAt(0).toString(16).padStart(4, '0')).join(' ');
for (const bytes of table) {
  const b = Buffer.from(bytes);
  const hex = b.toString('hex');
  console.log(hex, 'buffer', show(b.toString()), show(b.toString('utf8', 1)));
  console.log(hex, 'textdecoder', show(new TextDecoder().decode(b)), show(new TextDecoder('utf-8', { ignoreBOM: true }).decode(b)));
  let fatal;
  try { new TextDecoder('utf-8', { fatal: true }).decode(b); fatal = 'ok'; } catch (e) { fatal = `${e.name} ${e.code}`; }
  console.log(hex, 'fatal', fatal);
  // stream: true, split at every point
  const splits = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new TextDecoder();
    splits.push(show(d.decode(b.subarray(0, cut), { stream: true }) + d.decode(b.subarray(cut))));
  }
  console.log(hex, 'stream', [...new Set(splits)].join(' | '));
  // byte by byte
  const d1 = new TextDecoder();
  let one = '';
  for (const x of bytes) one += d1.decode(Uint8Array.of(x), { stream: true });
  one += d1.decode();
  console.log(hex, 'bytewise', show(one));
  const sd = new StringDecoder('utf8');
  const parts = [];
  for (const x of bytes) parts.push(show(sd.write(Buffer.from([x]))));
  parts.push(show(sd.end()));
  console.log(hex, 'string_decoder', parts.join(' / '));
  const sd2 = new StringDecoder('utf8');
  console.log(hex, 'string_decoder whole', show(sd2.write(b)), '/', show(sd2.end()));
}
console.log(Buffer.from([0xe2, 0x82]).toString().length, Buffer.from([0xf0, 0x80, 0x80]).toString().length);
console.log(Buffer.isUtf8 ? [Buffer.isUtf8(Buffer.from([0xed, 0xa0, 0x80])), Buffer.isUtf8(Buffer.from([0xe2, 0x82, 0xac]))] : 'no isUtf8');
