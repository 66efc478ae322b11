const util = require('util');
console.log(util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), util.isDeepStrictEqual([1], ['1']));
console.log(util.isArray([]), util.inspect(new util.TextEncoder().encode('hi')), new util.TextDecoder().decode(new Uint8Array([104, 105])));
console.log(util.stripVTControlCharacters('\u001b[31mred\u001b[39m'), typeof util.deprecate(() => 1, 'old'), typeof util.debuglog('x'));
console.log(util.toUSVString('a\ud800b'), util.getSystemErrorName(-2));
