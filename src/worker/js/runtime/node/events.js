// events: npm events (Node's EventEmitter for all engines), with the few
// later additions that code commonly reaches for.

'use strict';

const EventEmitter = require('events/');

const errorMonitor = Symbol('events.errorMonitor');
if (!EventEmitter.errorMonitor) EventEmitter.errorMonitor = errorMonitor;
if (!EventEmitter.captureRejectionSymbol) EventEmitter.captureRejectionSymbol = Symbol.for('nodejs.rejection');
if (!EventEmitter.getEventListeners) {
  EventEmitter.getEventListeners = function getEventListeners(emitter, name) {
    if (typeof emitter.listeners === 'function') return emitter.listeners(name);
    return [];
  };
}
if (!EventEmitter.on) {
  // events.on(emitter, name): an async iterator of the arguments of each event.
  EventEmitter.on = function on(emitter, event, options = {}) {
    const queue = [];
    const waiting = [];
    let error = null;
    let done = false;
    const push = (...args) => {
      if (waiting.length) waiting.shift().resolve({ value: args, done: false });
      else queue.push(args);
    };
    const fail = (err) => {
      error = err;
      if (waiting.length) waiting.shift().reject(err);
    };
    emitter.on(event, push);
    if (event !== 'error') emitter.on('error', fail);
    const stop = () => {
      done = true;
      emitter.removeListener(event, push);
      emitter.removeListener('error', fail);
      while (waiting.length) waiting.shift().resolve({ value: undefined, done: true });
    };
    if (options && options.signal) options.signal.addEventListener('abort', stop, { once: true });
    return {
      next() {
        if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
        if (error) {
          const e = error;
          error = null;
          return Promise.reject(e);
        }
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
      },
      return() {
        stop();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw(err) {
        stop();
        return Promise.reject(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
}
// The DOM-style classes live on the events module too in Node.
Object.defineProperty(EventEmitter, 'EventTarget', { get: () => require('../web/events.js').EventTarget, configurable: true });
Object.defineProperty(EventEmitter, 'Event', { get: () => require('../web/events.js').Event, configurable: true });

module.exports = EventEmitter;
