// Event, EventTarget, CustomEvent, AbortController and AbortSignal, after the
// DOM standard as Node 20 implements it: no tree, so dispatch reaches only
// the target itself. An exception thrown by a listener does not stop the
// other listeners; it is reported as an uncaught exception from a timer, the
// way Node reports it.

'use strict';

const state = require('../state.js');
const DOMException = require('./domexception.js');
const { invalidArgType, missingArgs } = require('../errors.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');
const kTrusted = Symbol('kTrusted');

function now() {
  return state.host ? state.host.now() : 0;
}

class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #defaultPrevented = false;
  #timeStamp;
  #stop = false;
  #stopImmediate = false;
  #target = null;
  #currentTarget = null;
  #phase = 0;
  #dispatching = false;

  constructor(type, options = undefined) {
    if (arguments.length === 0) throw missingArgs('type');
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw invalidArgType('options', 'object', options);
    }
    this.#type = `${type}`;
    this.#bubbles = Boolean(options && options.bubbles);
    this.#cancelable = Boolean(options && options.cancelable);
    this.#composed = Boolean(options && options.composed);
    this.#timeStamp = now();
    if (options && options[kTrusted]) Object.defineProperty(this, 'isTrusted', { value: true, enumerable: true });
  }

  get type() { return this.#type; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#cancelable && this.#defaultPrevented; }
  get timeStamp() { return this.#timeStamp; }
  get target() { return this.#target; }
  get currentTarget() { return this.#currentTarget; }
  get srcElement() { return this.#target; }
  get eventPhase() { return this.#phase; }
  get returnValue() { return !this.defaultPrevented; }
  set returnValue(v) { if (!v) this.preventDefault(); }
  get cancelBubble() { return this.#stop; }
  set cancelBubble(v) { if (v) this.#stop = true; }
  get isTrusted() { return false; }

  composedPath() {
    return this.#dispatching ? [this.#currentTarget] : [];
  }

  preventDefault() {
    // Node 20 does not honour `passive` here, and neither does corral.
    this.#defaultPrevented = true;
  }

  stopPropagation() {
    this.#stop = true;
  }

  stopImmediatePropagation() {
    this.#stop = true;
    this.#stopImmediate = true;
  }

  static _begin(ev, target) {
    if (ev.#dispatching) throw new DOMException('The event is already being dispatched', 'InvalidStateError');
    ev.#dispatching = true;
    ev.#target = target;
    ev.#currentTarget = target;
    ev.#phase = 2;
  }

  static _end(ev) {
    ev.#dispatching = false;
    ev.#currentTarget = null;
    ev.#phase = 0;
    ev.#stop = false;
    ev.#stopImmediate = false;
  }

  static _stopped(ev) {
    return ev.#stopImmediate;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    const name = this.constructor.name;
    if (depth < 0) return name;
    const body = { type: this.#type, defaultPrevented: this.defaultPrevented, cancelable: this.#cancelable, timeStamp: this.#timeStamp };
    return `${name} ${inspect ? inspect(body, opts) : JSON.stringify(body)}`;
  }
}
for (const [k, v] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
  Object.defineProperty(Event, k, { value: v, enumerable: true });
  Object.defineProperty(Event.prototype, k, { value: v, enumerable: true });
}
Object.defineProperty(Event.prototype, Symbol.toStringTag, { value: 'Event', configurable: true });

class CustomEvent extends Event {
  #detail;

  constructor(type, options = undefined) {
    if (arguments.length === 0) throw missingArgs('type');
    super(type, options);
    this.#detail = options && options.detail !== undefined ? options.detail : null;
  }

  get detail() {
    return this.#detail;
  }
}
Object.defineProperty(CustomEvent.prototype, Symbol.toStringTag, { value: 'CustomEvent', configurable: true });

function reportException(err) {
  const set = state.setTimeout;
  if (set) {
    set(() => {
      throw err;
    }, 0);
  } else {
    throw err;
  }
}

function flatten(options) {
  if (typeof options === 'boolean') return { capture: options, once: false, passive: false, signal: undefined };
  if (options === null || typeof options !== 'object') return { capture: false, once: false, passive: false, signal: undefined };
  return {
    capture: Boolean(options.capture),
    once: Boolean(options.once),
    passive: Boolean(options.passive),
    signal: options.signal,
  };
}

class EventTarget {
  #listeners = new Map();

  addEventListener(type, listener, options = undefined) {
    if (arguments.length < 2) throw missingArgs('type', 'listener');
    const { capture, once, passive, signal } = flatten(options);
    if (listener === null || listener === undefined) return;
    if (typeof listener !== 'function' && typeof listener !== 'object') {
      throw invalidArgType('listener', ['EventListener', 'Function'], listener);
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw invalidArgType('options.signal', 'AbortSignal', signal);
    }
    if (signal && signal.aborted) return;
    type = `${type}`;
    let list = this.#listeners.get(type);
    if (!list) {
      list = [];
      this.#listeners.set(type, list);
    }
    if (list.some((l) => l.listener === listener && l.capture === capture)) return;
    const entry = { listener, capture, once, passive, removed: false };
    list.push(entry);
    if (signal) {
      signal.addEventListener('abort', () => this.removeEventListener(type, listener, { capture }), { once: true });
    }
  }

  removeEventListener(type, listener, options = undefined) {
    if (arguments.length < 2) throw missingArgs('type', 'listener');
    const capture = typeof options === 'boolean' ? options : Boolean(options && options.capture);
    const list = this.#listeners.get(`${type}`);
    if (!list) return;
    const i = list.findIndex((l) => l.listener === listener && l.capture === capture);
    if (i >= 0) {
      list[i].removed = true;
      list.splice(i, 1);
    }
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw invalidArgType('event', 'Event', event);
    Event._begin(event, this);
    try {
      const list = this.#listeners.get(event.type);
      if (list) {
        for (const entry of list.slice()) {
          if (entry.removed) continue;
          if (entry.once) this.removeEventListener(event.type, entry.listener, { capture: entry.capture });
          try {
            const l = entry.listener;
            let r;
            if (typeof l === 'function') r = l.call(this, event);
            else if (l && typeof l.handleEvent === 'function') r = l.handleEvent(event);
            if (r && typeof r.then === 'function') r.then(undefined, reportException);
          } catch (err) {
            reportException(err);
          }
          if (Event._stopped(event)) break;
        }
      }
    } finally {
      Event._end(event);
    }
    return !event.defaultPrevented;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    const name = this.constructor.name;
    if (depth < 0) return name;
    return `${name} ${inspect ? inspect({}, opts) : '{}'}`;
  }
}
Object.defineProperty(EventTarget.prototype, Symbol.toStringTag, { value: 'EventTarget', configurable: true });

// An `on<type>` attribute handler: a listener added once, which calls the
// current value of the attribute.
function defineHandler(proto, type) {
  const key = Symbol(`on${type}`);
  Object.defineProperty(proto, `on${type}`, {
    get() {
      return this[key] ? this[key].fn : null;
    },
    set(fn) {
      if (!this[key]) {
        const holder = { fn: null };
        Object.defineProperty(this, key, { value: holder });
        this.addEventListener(type, function (ev) {
          if (typeof holder.fn === 'function') return holder.fn.call(this, ev);
          return undefined;
        });
      }
      this[key].fn = typeof fn === 'function' || (fn && typeof fn === 'object') ? fn : null;
    },
    configurable: true,
    enumerable: true,
  });
}

const kCreate = Symbol('kCreate');

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;

  constructor(key) {
    if (key !== kCreate) throw new TypeError('Illegal constructor');
    super();
  }

  get aborted() {
    return this.#aborted;
  }

  get reason() {
    return this.#reason;
  }

  throwIfAborted() {
    if (this.#aborted) throw this.#reason;
  }

  static abort(reason = new DOMException('This operation was aborted', 'AbortError')) {
    const s = new AbortSignal(kCreate);
    s.#aborted = true;
    s.#reason = reason;
    return s;
  }

  static timeout(delay) {
    if (typeof delay !== 'number') throw invalidArgType('delay', 'number', delay);
    const s = new AbortSignal(kCreate);
    state.setTimeout(() => {
      AbortSignal._abort(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, delay);
    return s;
  }

  static any(signals) {
    const s = new AbortSignal(kCreate);
    const list = [...signals];
    for (const sig of list) {
      if (!(sig instanceof AbortSignal)) throw invalidArgType('signals', 'AbortSignal[]', sig);
    }
    for (const sig of list) {
      if (sig.aborted) {
        s.#aborted = true;
        s.#reason = sig.reason;
        return s;
      }
    }
    for (const sig of list) {
      sig.addEventListener('abort', () => AbortSignal._abort(s, sig.reason), { once: true });
    }
    return s;
  }

  static _create() {
    return new AbortSignal(kCreate);
  }

  static _abort(signal, reason) {
    if (signal.#aborted) return;
    signal.#aborted = true;
    signal.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    signal.dispatchEvent(new Event('abort', { [kTrusted]: true }));
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'AbortSignal';
    return `AbortSignal ${inspect ? inspect({ aborted: this.#aborted }, opts) : `{ aborted: ${this.#aborted} }`}`;
  }
}
defineHandler(AbortSignal.prototype, 'abort');
Object.defineProperty(AbortSignal.prototype, Symbol.toStringTag, { value: 'AbortSignal', configurable: true });

class AbortController {
  #signal = AbortSignal._create();

  get signal() {
    return this.#signal;
  }

  abort(reason = undefined) {
    AbortSignal._abort(this.#signal, reason);
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'AbortController';
    const sig = inspect ? inspect(this.#signal, opts) : `AbortSignal { aborted: ${this.#signal.aborted} }`;
    return `AbortController { signal: ${sig} }`;
  }
}
Object.defineProperty(AbortController.prototype, Symbol.toStringTag, { value: 'AbortController', configurable: true });

module.exports = { Event, CustomEvent, EventTarget, AbortController, AbortSignal, defineHandler, kTrusted };
