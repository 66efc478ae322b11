// node:diagnostics_channel: named channels that publish to their
// subscribers synchronously, and tracing channels over five of them, as
// Node 20 has them. Nothing of corral's own publishes; packages (undici,
// express's dependencies) look channels up and publish to them.

'use strict';

const { validateFunction } = require('../errors.js');

const channels = new Map();

class Channel {
  constructor(name) {
    this.name = name;
    this._subscribers = [];
    this._stores = new Map();
  }

  get hasSubscribers() {
    return this._subscribers.length > 0 || this._stores.size > 0;
  }

  subscribe(fn) {
    validateFunction(fn, 'subscription');
    this._subscribers = [...this._subscribers, fn];
  }

  unsubscribe(fn) {
    const i = this._subscribers.indexOf(fn);
    if (i < 0) return false;
    this._subscribers = this._subscribers.filter((_, k) => k !== i);
    return true;
  }

  publish(data) {
    for (const fn of this._subscribers) {
      try {
        fn(data, this.name);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  bindStore(store, transform) {
    this._stores.set(store, transform);
  }

  unbindStore(store) {
    return this._stores.delete(store);
  }

  runStores(data, fn, thisArg, ...args) {
    this.publish(data);
    return Reflect.apply(fn, thisArg, args);
  }
}

function channel(name) {
  if (typeof name !== 'string' && typeof name !== 'symbol') {
    const { invalidArgType } = require('../errors.js');
    throw invalidArgType('channel', ['string', 'symbol'], name);
  }
  let c = channels.get(name);
  if (!c) {
    c = new Channel(name);
    channels.set(name, c);
  }
  return c;
}

function hasSubscribers(name) {
  const c = channels.get(name);
  return Boolean(c && c.hasSubscribers);
}

function subscribe(name, fn) {
  channel(name).subscribe(fn);
}

function unsubscribe(name, fn) {
  return channel(name).unsubscribe(fn);
}

const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

class TracingChannel {
  constructor(nameOrChannels) {
    for (const e of EVENTS) {
      this[e] = typeof nameOrChannels === 'string' ? channel(`tracing:${nameOrChannels}:${e}`) : nameOrChannels[e];
    }
  }

  get hasSubscribers() {
    return EVENTS.some((e) => this[e].hasSubscribers);
  }

  subscribe(handlers) {
    for (const e of EVENTS) if (handlers[e]) this[e].subscribe(handlers[e]);
  }

  unsubscribe(handlers) {
    let all = true;
    for (const e of EVENTS) if (handlers[e]) all = this[e].unsubscribe(handlers[e]) && all;
    return all;
  }

  traceSync(fn, context = {}, thisArg, ...args) {
    this.start.publish(context);
    try {
      const result = Reflect.apply(fn, thisArg, args);
      context.result = result;
      return result;
    } catch (err) {
      context.error = err;
      this.error.publish(context);
      throw err;
    } finally {
      this.end.publish(context);
    }
  }

  tracePromise(fn, context = {}, thisArg, ...args) {
    this.start.publish(context);
    try {
      const p = Reflect.apply(fn, thisArg, args);
      return Promise.resolve(p).then((result) => {
        context.result = result;
        this.asyncStart.publish(context);
        this.asyncEnd.publish(context);
        return result;
      }, (err) => {
        context.error = err;
        this.error.publish(context);
        this.asyncStart.publish(context);
        this.asyncEnd.publish(context);
        throw err;
      });
    } catch (err) {
      context.error = err;
      this.error.publish(context);
      throw err;
    } finally {
      this.end.publish(context);
    }
  }

  traceCallback(fn, position = -1, context = {}, thisArg, ...args) {
    const i = position < 0 ? args.length + position : position;
    const cb = args[i];
    validateFunction(cb, 'callback');
    const self = this;
    args[i] = function (err, ...rest) {
      if (err) {
        context.error = err;
        self.error.publish(context);
      } else {
        context.result = rest[0];
      }
      self.asyncStart.publish(context);
      try {
        return Reflect.apply(cb, this, [err, ...rest]);
      } finally {
        self.asyncEnd.publish(context);
      }
    };
    return this.traceSync(fn, context, thisArg, ...args);
  }
}

function tracingChannel(nameOrChannels) {
  return new TracingChannel(nameOrChannels);
}

module.exports = { channel, hasSubscribers, subscribe, unsubscribe, tracingChannel, Channel };
