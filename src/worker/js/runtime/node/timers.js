// timers: the host's setTimeout/setInterval and their clears (the same
// functions as the globals), and setImmediate/clearImmediate on top of a
// zero-delay timeout.

'use strict';

const state = require('../state.js');
const { validateFunction } = require('../errors.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

class Immediate {
  #id;
  constructor(id) {
    this.#id = id;
  }
  hasRef() { return true; }
  ref() { return this; }
  unref() { return this; }
  static _id(imm) { return imm.#id; }
  [CUSTOM_INSPECT]() { return 'Immediate {}'; }
}

function setImmediate(callback, ...args) {
  validateFunction(callback, 'callback');
  return new Immediate(state.setTimeout(() => callback(...args), 0));
}

function clearImmediate(immediate) {
  if (immediate instanceof Immediate) state.clearTimeout(Immediate._id(immediate));
}

const timers = {
  setImmediate,
  clearImmediate,
};
for (const name of ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval']) {
  Object.defineProperty(timers, name, { get: () => state[name], enumerable: true, configurable: true });
}
Object.defineProperty(timers, 'promises', { get: () => require('./timers_promises.js'), enumerable: true, configurable: true });

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');
Object.defineProperty(setImmediate, kCustomPromisify, {
  value: (...a) => require('./timers_promises.js').setImmediate(...a), configurable: true,
});

module.exports = timers;
