const util = require('util');
console.log(util.formatWithOptions({ compact: false }, '%o', { a: 1 }).split('\n').length > 1);
console.log(util.formatWithOptions({ depth: 0 }, { a: { b: 1 } }));
console.log(util.format('%s', Symbol('sym')), util.format('%d', '0x10'), util.format('%s', 1.0), util.format('%s', -0), util.format('%d', -0));
