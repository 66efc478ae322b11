// timers/promises: setTimeout, setImmediate and setInterval as promises and
// async iterators, with AbortSignal support; scheduler.wait and .yield.

'use strict';

const state = require('../state.js');
const { invalidArgType } = require('../errors.js');

// Node's internal AbortError (not a DOMException).
class AbortError extends Error {
  constructor(message = 'The operation was aborted', options = undefined) {
    super(message, options);
    this.code = 'ABORT_ERR';
    this.name = 'AbortError';
  }
}

function abortError(signal) {
  return new AbortError(undefined, signal && signal.reason !== undefined ? { cause: signal.reason } : undefined);
}

function checkOptions(options) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'Object', options);
  const { signal } = options;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType('options.signal', 'AbortSignal', signal);
  }
  return options;
}

function delayed(delay, value, options) {
  return new Promise((resolve, reject) => {
    const { signal } = checkOptions(options);
    if (signal && signal.aborted) {
      reject(abortError(signal));
      return;
    }
    let onAbort = null;
    const id = state.setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve(value);
    }, delay);
    if (signal) {
      onAbort = () => {
        state.clearTimeout(id);
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

function setTimeout(delay = 1, value = undefined, options = undefined) {
  return delayed(delay, value, options);
}

function setImmediate(value = undefined, options = undefined) {
  return delayed(0, value, options);
}

function setInterval(delay = 1, value = undefined, options = undefined) {
  const { signal } = checkOptions(options);
  let pending = 0;
  let waiter = null;
  let done = false;
  let id = null;
  const start = () => {
    if (id !== null || done) return;
    id = state.setInterval(() => {
      pending++;
      if (waiter) {
        const w = waiter;
        waiter = null;
        pending--;
        w.resolve({ value, done: false });
      }
    }, delay);
  };
  const stop = () => {
    done = true;
    if (id !== null) state.clearInterval(id);
    if (waiter) {
      const w = waiter;
      waiter = null;
      if (signal && signal.aborted) w.reject(abortError(signal));
      else w.resolve({ value: undefined, done: true });
    }
  };
  if (signal) signal.addEventListener('abort', stop, { once: true });
  return {
    next() {
      if (signal && signal.aborted) return Promise.reject(abortError(signal));
      if (done) return Promise.resolve({ value: undefined, done: true });
      start();
      if (pending > 0) {
        pending--;
        return Promise.resolve({ value, done: false });
      }
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    return() {
      stop();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const scheduler = {
  wait: (delay, options) => delayed(delay, undefined, options),
  yield: () => delayed(0, undefined, undefined),
};

module.exports = { setTimeout, setImmediate, setInterval, scheduler };
