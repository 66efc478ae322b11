const assert = require('assert/strict');
try { assert.equal(1, '1'); } catch (e) { console.log('strict equal fails:', e.code); }
await assert.rejects(Promise.reject(new Error('x')), /x/);
await assert.doesNotReject(Promise.resolve(1));
console.log(require('assert').strict === assert, typeof require('node:assert'));
