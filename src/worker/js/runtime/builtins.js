// The Node built-in modules that require() knows: which exist in corral,
// which are refused, and the loading of each on first use.
//
// Three kinds of names:
// - supported: loaded from the runtime (each module on first require);
// - forbidden: Node modules that reach processes, threads, the engine or
//   the terminal, which a sandbox cannot offer (net, tls, dns and http2
//   load, and refuse with ERR_CORRAL_FORBIDDEN what would open a socket:
//   node/net.js; http and https are clients over fetch: node/http.js);
// - unavailable: Node modules corral does not implement (yet).
// Both of the last two throw an Error with code ERR_CORRAL_FORBIDDEN_MODULE.

'use strict';

const state = require('./state.js');
const { nodeError } = require('./errors.js');

const SUPPORTED = {
  assert: () => require('./node/assert.js'),
  async_hooks: () => require('./node/async_hooks.js'),
  'assert/strict': () => load('assert').strict,
  buffer: () => require('./node/buffer.js'),
  console: () => state.console,
  crypto: () => require('./node/crypto.js'),
  diagnostics_channel: () => require('./node/diagnostics_channel.js'),
  dns: () => require('./node/net.js').dns(),
  'dns/promises': () => load('dns').promises,
  events: () => require('./node/events.js'),
  fs: () => require('./node/fs.js'),
  'fs/promises': () => load('fs').promises,
  http: () => require('./node/http.js').http(),
  http2: () => require('./node/net.js').http2(),
  https: () => require('./node/http.js').https(),
  module: () => provided('module'),
  net: () => require('./node/net.js').net,
  os: () => require('./node/os.js'),
  path: () => require('./node/path.js'),
  'path/posix': () => load('path'),
  perf_hooks: () => require('./node/perf_hooks.js'),
  process: () => require('./node/process.js').get(),
  punycode: () => require('punycode/'),
  querystring: () => require('./node/querystring.js'),
  stream: () => require('./node/stream.js'),
  'stream/promises': () => load('stream').promises,
  'stream/web': () => require('./web/streams.js'),
  string_decoder: () => require('./node/string_decoder.js'),
  sys: () => load('util'),
  timers: () => require('./node/timers.js'),
  tls: () => require('./node/net.js').tls,
  'timers/promises': () => require('./node/timers_promises.js'),
  tty: () => require('./node/tty.js'),
  url: () => require('./node/url.js'),
  util: () => require('./node/util.js'),
  'util/types': () => load('util').types,
  zlib: () => require('./node/zlib.js'),
};

const SANDBOX = "corral runs code in a sandbox without processes, sockets or a host file system";

const FORBIDDEN = {
  child_process: '',
  cluster: '',
  worker_threads: '',
  dgram: '',
  _http_agent: '',
  _http_client: '',
  _http_common: '',
  _http_incoming: '',
  _http_outgoing: '',
  _http_server: '',
  _tls_common: '',
  _tls_wrap: '',
  inspector: '',
  'inspector/promises': '',
  v8: '',
  vm: '',
  repl: '',
  trace_events: '',
  wasi: '',
  readline: '',
  'readline/promises': '',
};

const UNAVAILABLE = [
  'constants', 'domain', 'path/win32', 'stream/consumers',
  '_stream_duplex', '_stream_passthrough', '_stream_readable', '_stream_transform', '_stream_wrap', '_stream_writable',
];

// Names that exist only with the node: prefix.
const PREFIX_ONLY = ['test', 'test/reporters', 'sea', 'sqlite'];

const ALL = new Set([...Object.keys(SUPPORTED), ...Object.keys(FORBIDDEN), ...UNAVAILABLE]);

const cache = new Map();

// A module whose file itself uses this one (the loader's Module) is handed
// over by that file with provide(), so that require() goes one way only.
const handed = new Map();

function provide(name, value) {
  handed.set(name, value);
}

function provided(name) {
  if (!handed.has(name)) throw new Error(`corral: the runtime has not provided '${name}' yet`);
  return handed.get(name);
}

function refused(name) {
  let msg;
  if (Object.prototype.hasOwnProperty.call(FORBIDDEN, name)) {
    msg = `Cannot load '${name}': ${SANDBOX}${FORBIDDEN[name]}`;
  } else {
    msg = `Cannot load '${name}': corral does not provide this Node built-in module`;
  }
  const err = nodeError(Error, 'ERR_CORRAL_FORBIDDEN_MODULE', msg);
  err.module = name;
  return err;
}

function load(name) {
  if (cache.has(name)) return cache.get(name);
  if (!Object.prototype.hasOwnProperty.call(SUPPORTED, name)) throw refused(name);
  const m = SUPPORTED[name]();
  cache.set(name, m);
  return m;
}

// Returns the name of the builtin `request` refers to, or null when it is
// not a builtin name (and so is a file or package). node:NAME must be one.
function builtinName(request) {
  if (request.startsWith('node:')) {
    const name = request.slice(5);
    if (ALL.has(name) || PREFIX_ONLY.includes(name)) return name;
    throw nodeError(Error, 'ERR_UNKNOWN_BUILTIN_MODULE', `No such built-in module: ${request}`);
  }
  return ALL.has(request) ? request : null;
}

function isSupported(name) {
  return Object.prototype.hasOwnProperty.call(SUPPORTED, name);
}

const builtinModules = [...ALL].sort();

module.exports = { load, builtinName, isSupported, builtinModules, refused, provide };
