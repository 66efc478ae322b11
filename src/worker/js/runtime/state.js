// State shared by the runtime's modules. The bundle is evaluated once per
// execution context, so this is per context: the global object and the host
// given to install(), and the C side's timer functions captured at install
// time (user code may overwrite the globals later; the runtime keeps using
// the originals).

'use strict';

module.exports = {
  global: null,
  host: null,
  setTimeout: null,
  clearTimeout: null,
  setInterval: null,
  clearInterval: null,
  queueMicrotask: null,
  console: null,
  consoleLog: null,
  consoleError: null,
};
