// util.inspect of errors without a stack: [Error: x], with [cause] and
// AggregateError's [errors] nested as Node 20 nests them.
const util = require('util');
const bare = (e) => { e.stack = undefined; return e; };
const inner = bare(new TypeError('inner'));
const outer = bare(new Error('outer', { cause: inner }));
console.log(util.inspect(outer));
console.log([bare(new Error('in array'))], { k: bare(new RangeError('in object')) });
const agg = bare(new AggregateError([bare(new Error('a')), bare(new SyntaxError('b'))], 'many'));
console.log(agg);
const coded = bare(new Error('coded'));
coded.code = 'E_CODED';
console.log(coded);
console.log(bare(new Error('primitive', { cause: 42 })));
