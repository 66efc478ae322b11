const samples = ['', 'ascii', 'ünïcödé', '日本語テキスト', '🎉🚀', '\u0000\uffff', 'a\u0301'];
const enc = new TextEncoder(); const dec = new TextDecoder();
console.log(samples.map((s) => dec.decode(enc.encode(s)) === s).join(','), samples.map((s) => enc.encode(s).length).join(','));
const lone = enc.encode('a\ud83db'); console.log(lone, dec.decode(lone));
