// V8's stack-trace API on the global Error: Error.captureStackTrace(obj, fn)
// that honours Error.prepareStackTrace(err, callSites), built on
// JavaScriptCore's own captureStackTrace and its stack strings (stack.js).
//
// The C side's lazy definer puts an accessor on Error.captureStackTrace in
// every context; its first read hands JavaScriptCore's function to
// installCapture() here, which replaces the accessor with ours. Error's
// stackTraceLimit is JavaScriptCore's own (the C side sets it to V8's 10).

'use strict';

const stack = require('./stack.js');

let installed = null;

function installCapture(E, native) {
  if (installed) return installed;
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
  Object.defineProperty(E, 'captureStackTrace', {
    value: captureStackTrace, writable: true, configurable: true, enumerable: false,
  });
  installed = captureStackTrace;
  return captureStackTrace;
}

module.exports = { installCapture };
