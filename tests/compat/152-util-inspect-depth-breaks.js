const util = require('util');
const wide = { a: 'x'.repeat(30), b: 'y'.repeat(30), c: 'z'.repeat(30) };
console.log(util.inspect(wide));
console.log(util.inspect({ nested: wide }, { compact: 1 }));
console.log(util.inspect(new Array(5).fill({ k: 'v' })));
console.log(util.inspect(new Map([['a', new Set([1, 2])]]), { depth: 0 }));
console.log(util.inspect([1, [2, [3, [4, [5, [6]]]]]]));
