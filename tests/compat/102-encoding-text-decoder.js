const dec = new TextDecoder();
console.log(dec.encoding, dec.fatal, dec.ignoreBOM, dec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])));
console.log(dec.decode(new Uint8Array([0xff, 0x61, 0xc3])), dec.decode(), dec.decode(new Uint16Array([0x6968]).buffer));
const streaming = new TextDecoder('utf-8');
const bytes = new TextEncoder().encode('€uro');
console.log(JSON.stringify(streaming.decode(bytes.subarray(0, 2), { stream: true })), JSON.stringify(streaming.decode(bytes.subarray(2), { stream: true })), JSON.stringify(streaming.decode()));
try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { console.log(e.name, e.code); }
console.log(new TextDecoder('utf-16le').decode(new Uint8Array([104, 0, 105, 0])), new TextDecoder('latin1').encoding, new TextDecoder('ascii').decode(new Uint8Array([0x80, 0x41])));
try { new TextDecoder('nope'); } catch (e) { console.log(e.name, e.code); }
