const assert = require('assert');
assert(true); assert.ok(1); assert.equal(1, '1'); assert.strictEqual(NaN, NaN); assert.deepEqual({ a: [1] }, { a: ['1'] });
assert.deepStrictEqual(new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])); assert.notStrictEqual(1, 2); assert.notDeepStrictEqual({ a: 1 }, { a: 2 });
assert.throws(() => { throw new TypeError('bad'); }, TypeError);
assert.throws(() => { throw new Error('msg here'); }, /msg/);
assert.throws(() => { throw new Error('m'); }, { message: 'm' });
assert.doesNotThrow(() => 1); assert.match('abc', /b/);
console.log('all passed');
