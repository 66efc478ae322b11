// util for npm assert: the same module, except that `inspect` is a function
// that loads Node's inspect on its first call. assert reads util.inspect when
// it loads, but calls it only to word a failure; loading inspect up front
// would cost every require('assert') ~3 ms.
'use strict';

const util = require('../util.js');

function inspect(...args) {
  return util.inspect(...args);
}
Object.defineProperty(inspect, 'custom', { get: () => Symbol.for('nodejs.util.inspect.custom'), enumerable: true });
Object.defineProperty(inspect, 'defaultOptions', { get: () => util.inspect.defaultOptions, enumerable: true });

module.exports = new Proxy(util, {
  get(target, key, receiver) {
    if (key === 'inspect') return inspect;
    return Reflect.get(target, key, receiver);
  },
});
