// V8's stack-trace API for every execution context, on JavaScriptCore's:
// err.stack in V8's form, Error.captureStackTrace(obj, fn) and
// Error.prepareStackTrace(err, callSites) (runtime/stack.js has the
// parsing and the CallSite objects). scripts/build-js.mjs bundles this file
// into a script whose completion value is this module's exports object; the
// C side evaluates it in a context on the first read of an error's stack
// or of Error.captureStackTrace (the lazy definer in bundles.c), so a
// program that never reads either does not pay for it.

import stack from './runtime/stack.js';

// err's stack from JavaScriptCore's frames `jsc`, captured when err was
// made: V8's text, or Error.prepareStackTrace's result when it is set.
// `trim`: jsc starts with the error constructor proxy's own native frame,
// which is left out; `limit` (-1 for none): Error.stackTraceLimit then,
// which JavaScriptCore was given one more than, for that frame.
export function errorStack(err, jsc, ErrorCtor, trim, limit) {
  let s = typeof jsc === 'string' ? jsc : '';
  if (trim) s = s.replace(/^@?\[native code\]\n/, '');
  if (limit >= 0) s = s.split('\n').slice(0, limit).join('\n');
  return stack.fromJsc(err, s, ErrorCtor);
}

// Error.captureStackTrace(obj, fn) as V8 has it, on JavaScriptCore's own
// (`native`), which records the frames below fn (below this function when
// fn is absent). obj gets a `stack` that is formatted on first read, with
// Error.prepareStackTrace if it is set then, as V8 does.
export function makeCapture(E, native) {
  function captureStackTrace(obj, fn) {
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
      throw new TypeError('invalid_argument');
    }
    const holder = {};
    native.call(E, holder, typeof fn === 'function' ? fn : captureStackTrace);
    const jsc = typeof holder.stack === 'string' ? holder.stack : '';

    let done = false;
    let value;
    Object.defineProperty(obj, 'stack', {
      configurable: true,
      enumerable: false,
      get() {
        if (!done) {
          done = true;
          value = stack.fromJsc(obj, jsc, E);
        }
        return value;
      },
      set(v) {
        done = true;
        value = v;
      },
    });
  }
  Object.defineProperty(captureStackTrace, 'length', { value: 2 });
  return captureStackTrace;
}

// err's stack in V8's form from JavaScriptCore's `jsc` (an error that the
// engine made), for an execution's error.
export function v8Stack(err, jsc) {
  return stack.format(err, stack.parse(jsc));
}

// Node 20's default Error.prepareStackTrace: V8's text.
export function prepare(error, trace) {
  return stack.format(error, Array.isArray(trace) ? trace : []);
}

// fn(url): the source text a frame's URL was evaluated from, or null.
export function setSource(fn) {
  stack.setSource(fn);
}
