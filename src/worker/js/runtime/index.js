// corral's runtime: the web globals, Node's globals and builtins, and
// CommonJS, installed into one execution's global object. See
// docs/internals/runtime.md.
//
// The C side evaluates this bundle in a context the first time user code
// reads one of the names in globals.js, then calls install(globalThis, host)
// and reads the name again. install() replaces each of those names with an
// accessor of its own that loads the name's module on first read and then
// turns itself into a data property (writable, configurable, not
// enumerable); `global`, `__filename` and `__dirname` are data properties at
// once. Loading a module costs ~0.1-2 ms in a fresh context (measured in
// JavaScriptCore), so nothing is loaded that the code does not read. A name that already holds a data property (user
// code assigned it before the runtime loaded) is left alone.

'use strict';

const GLOBALS = require('./globals.js');
const state = require('./state.js');

const lazy = (load) => ({ lazy: true, load });
const now = (load) => ({ lazy: false, load });

const web = {
  encoding: () => require('./web/encoding.js'),
  events: () => require('./web/events.js'),
  crypto: () => require('./web/crypto.js'),
  url: () => require('./web/url.js'),
  streams: () => require('./web/streams.js'),
  blob: () => require('./web/blob.js'),
  fetch: () => require('./web/fetch.js'),
};
const loader = () => require('./loader.js');

const DEFS = {
  global: now(() => state.global),
  process: lazy(() => require('./node/process.js').get()),
  Buffer: lazy(() => require('./node/buffer.js').Buffer),
  setImmediate: lazy(() => require('./node/timers.js').setImmediate),
  clearImmediate: lazy(() => require('./node/timers.js').clearImmediate),
  require: lazy(() => loader().makeRequire(loader().main())),
  module: lazy(() => loader().main()),
  exports: lazy(() => loader().main().exports),
  __filename: now(() => '/main.js'),
  __dirname: now(() => '/'),
  structuredClone: lazy(() => require('./web/clone.js').structuredClone),
  atob: lazy(() => require('./web/base64.js').atob),
  btoa: lazy(() => require('./web/base64.js').btoa),
  TextEncoder: lazy(() => web.encoding().TextEncoder),
  TextDecoder: lazy(() => web.encoding().TextDecoder),
  TextEncoderStream: lazy(() => web.streams().TextEncoderStream),
  TextDecoderStream: lazy(() => web.streams().TextDecoderStream),
  CompressionStream: lazy(() => require('./web/compression.js').CompressionStream),
  DecompressionStream: lazy(() => require('./web/compression.js').DecompressionStream),
  URL: lazy(() => web.url().URL),
  URLSearchParams: lazy(() => web.url().URLSearchParams),
  DOMException: lazy(() => require('./web/domexception.js')),
  Event: lazy(() => web.events().Event),
  EventTarget: lazy(() => web.events().EventTarget),
  CustomEvent: lazy(() => web.events().CustomEvent),
  AbortController: lazy(() => web.events().AbortController),
  AbortSignal: lazy(() => web.events().AbortSignal),
  performance: lazy(() => require('./web/performance.js').performance()),
  crypto: lazy(() => web.crypto().crypto()),
  Crypto: lazy(() => web.crypto().Crypto),
  CryptoKey: lazy(() => web.crypto().CryptoKey),
  SubtleCrypto: lazy(() => web.crypto().SubtleCrypto),
  Blob: lazy(() => web.blob().Blob),
  File: lazy(() => web.blob().File),
  FormData: lazy(() => web.blob().FormData),
  Headers: lazy(() => web.fetch().Headers),
  Request: lazy(() => web.fetch().Request),
  Response: lazy(() => web.fetch().Response),
  fetch: lazy(() => web.fetch().fetch),
};
for (const name of ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
  'ReadableByteStreamController', 'ReadableStreamDefaultController', 'WritableStream', 'WritableStreamDefaultWriter',
  'WritableStreamDefaultController', 'TransformStream', 'TransformStreamDefaultController', 'ByteLengthQueuingStrategy',
  'CountQueuingStrategy']) {
  DEFS[name] = lazy(() => web.streams()[name]);
}

function dataProperty(g, name, value) {
  Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
}

function defineLazy(g, name, load) {
  Object.defineProperty(g, name, {
    get() {
      const value = load();
      dataProperty(g, name, value);
      return value;
    },
    set(value) {
      dataProperty(g, name, value);
    },
    configurable: true,
    enumerable: false,
  });
}

function captureHostGlobals(g) {
  const fn = (name) => (typeof g[name] === 'function' ? g[name] : null);
  state.setTimeout = fn('setTimeout');
  state.clearTimeout = fn('clearTimeout');
  state.setInterval = fn('setInterval');
  state.clearInterval = fn('clearInterval');
  const qm = fn('queueMicrotask');
  state.queueMicrotask = qm || ((cb) => {
    Promise.resolve().then(cb);
  });
  const con = g.console;
  state.console = con;
  const log = con && typeof con.log === 'function' ? con.log : () => {};
  const error = con && typeof con.error === 'function' ? con.error : log;
  state.consoleLog = (s) => log.call(con, s);
  state.consoleError = (s) => error.call(con, s);
}

// Installs every global of globals.js on `g`, with `host` as the native
// side. Idempotent for the same global object.
function install(g, host) {
  if (state.global !== null) {
    if (state.global !== g) throw new Error('corral runtime: already installed in another global object');
    return;
  }
  if (host === null || typeof host !== 'object') throw new TypeError('corral runtime: install() needs the host object');
  state.global = g;
  state.host = host;
  captureHostGlobals(g);
  if (typeof host.source === 'function') require('./stack.js').setSource(host.source);
  for (const name of GLOBALS) {
    const def = DEFS[name];
    const d = Object.getOwnPropertyDescriptor(g, name);
    if (d && !d.get && !d.set) continue;
    if (def.lazy) defineLazy(g, name, def.load);
    else dataProperty(g, name, def.load());
  }
}

// Function mode: a require() for a package file, and the loading of a file
// as the main module (its module.exports is returned).
function requireFor(filename) {
  return loader().requireFor(filename);
}

function runMain(filename) {
  return loader().runMain(filename);
}

// Function mode: one HTTP request handled by the package file `entry`,
// its response written to `sink` (see fn/index.js). Loaded on first use.
function invoke(entry, request, sink) {
  return require('./fn/index.js').invoke(entry, request, sink);
}

// A builtin module by name ('fs', 'node:path', ...), as require() gives it.
function builtin(name) {
  return require('./builtins.js').load(name.startsWith('node:') ? name.slice(5) : name);
}

// Sessions: the context outlives one execution, its env does not. The
// host object keeps the new env (fn/index.js reads it) and process.env, if
// it was made, is refilled in place.
function setEnv(env) {
  if (state.host) state.host.env = env;
  require('./node/process.js').setEnv(env);
}

module.exports = {
  version: '1',
  globals: GLOBALS.slice(),
  install,
  setEnv,
  requireFor,
  runMain,
  invoke,
  builtin,
};
