const assert = require('assert');
for (const fn of [() => assert.strictEqual(1, 2), () => assert.ok(false), () => assert.deepStrictEqual([1], [2]), () => assert.fail('boom'), () => assert.throws(() => {})]) {
  try { fn(); } catch (e) { console.log(e.name, e.code, e instanceof assert.AssertionError, e.generatedMessage); }
}
try { assert.strictEqual(1, 2, 'custom message'); } catch (e) { console.log(e.message.split('\n')[0], e.actual, e.expected, e.operator); }
