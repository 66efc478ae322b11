// node:async_hooks for packages that import it at load (undici's
// AsyncResource, loggers' AsyncLocalStorage). The engine has no async
// context: AsyncResource runs and binds functions without tracking them,
// hooks never fire, ids are constants, and AsyncLocalStorage's store holds
// for the synchronous extent of run() (and after enterWith) but does not
// follow an await or a timer into later turns (docs/internals/runtime.md).

'use strict';

const { validateFunction } = require('../errors.js');

class AsyncResource {
  constructor(type, opts = {}) {
    this.type = `${type}`;
    this._trigger = typeof opts === 'number' ? opts : (opts && opts.triggerAsyncId) || 0;
  }

  runInAsyncScope(fn, thisArg, ...args) {
    return Reflect.apply(fn, thisArg, args);
  }

  emitDestroy() {
    return this;
  }

  asyncId() {
    return 1;
  }

  triggerAsyncId() {
    return this._trigger;
  }

  bind(fn, thisArg) {
    validateFunction(fn, 'fn');
    const self = this;
    const bound = thisArg === undefined
      ? function (...args) { return self.runInAsyncScope(fn, this, ...args); }
      : (...args) => self.runInAsyncScope(fn, thisArg, ...args);
    Object.defineProperty(bound, 'length', { value: fn.length, configurable: true });
    bound.asyncResource = this;
    return bound;
  }

  static bind(fn, type, thisArg) {
    return new AsyncResource(type || fn.name || 'bound-anonymous-fn').bind(fn, thisArg);
  }
}

class AsyncLocalStorage {
  constructor() {
    this._store = undefined;
    this._enabled = false;
  }

  getStore() {
    return this._enabled ? this._store : undefined;
  }

  run(store, fn, ...args) {
    const prev = this._store;
    const was = this._enabled;
    this._store = store;
    this._enabled = true;
    try {
      return fn(...args);
    } finally {
      this._store = prev;
      this._enabled = was;
    }
  }

  exit(fn, ...args) {
    const was = this._enabled;
    this._enabled = false;
    try {
      return fn(...args);
    } finally {
      this._enabled = was;
    }
  }

  enterWith(store) {
    this._store = store;
    this._enabled = true;
  }

  disable() {
    this._store = undefined;
    this._enabled = false;
  }

  static bind(fn) {
    return fn;
  }

  static snapshot() {
    return (fn, ...args) => fn(...args);
  }
}

function createHook() {
  return { enable() { return this; }, disable() { return this; } };
}

module.exports = {
  AsyncResource, AsyncLocalStorage, createHook,
  executionAsyncId: () => 1, triggerAsyncId: () => 0, executionAsyncResource: () => ({}),
  asyncWrapProviders: Object.freeze({ NONE: 0 }),
};
