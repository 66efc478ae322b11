// Node's `process`, limited to what a sandbox can honestly give: env (the
// execution's own variables), argv (empty), nextTick, version and
// versions, platform, arch, hrtime (coarsened, from host.now), cwd ('/'),
// exit, memoryUsage (zeros), emitWarning, stdout/stderr writers, and event
// methods that register nothing. There is no pid, no kill, no binding.
//
// process.exit(code) throws a ProcessExit error: an Error whose name is
// 'ProcessExit' and whose `code` is the exit code. The C side recognises it
// by its name and ends the execution with that code. Code that catches every
// error can catch it too; by convention it should rethrow it.

'use strict';

const state = require('../state.js');
const { invalidArgType, validateFunction, nodeError } = require('../errors.js');

const NODE_VERSION = '20.0.0';

class ProcessExit extends Error {
  constructor(code) {
    super(`process.exit(${code}) called`);
    this.code = code;
  }
}
Object.defineProperty(ProcessExit.prototype, 'name', { value: 'ProcessExit', writable: true, configurable: true });

let proc = null;

function noop() {
  return proc;
}

// A stream-like writer on fd 1 or 2: host.write when the host has it,
// otherwise whole lines through the console (a partial last line is written
// when the next timer turn comes).
function makeWriter(fd) {
  let pending = '';
  let scheduled = false;
  const flushLines = (all) => {
    const out = fd === 1 ? state.consoleLog : state.consoleError;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      out(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    if (all && pending) {
      out(pending);
      pending = '';
    }
  };
  const writer = {
    fd,
    isTTY: false,
    writable: true,
    columns: 80,
    write(chunk, encoding, cb) {
      if (typeof encoding === 'function') {
        cb = encoding;
        encoding = undefined;
      }
      let text;
      if (typeof chunk === 'string') text = chunk;
      else if (chunk instanceof Uint8Array) text = state.host.utf8Decode(chunk, false);
      else throw invalidArgType('chunk', ['string', 'Buffer', 'Uint8Array'], chunk);
      const host = state.host;
      if (host && typeof host.write === 'function') {
        host.write(fd, text);
      } else {
        pending += text;
        flushLines(false);
        if (pending && !scheduled && state.setTimeout) {
          scheduled = true;
          state.setTimeout(() => {
            scheduled = false;
            flushLines(true);
          }, 0);
        }
      }
      if (typeof cb === 'function') state.queueMicrotask(() => cb(null));
      return true;
    },
    end(chunk, encoding, cb) {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') writer.write(chunk, encoding);
      const done = [chunk, encoding, cb].find((f) => typeof f === 'function');
      if (done) state.queueMicrotask(() => done());
      return writer;
    },
    on: () => writer,
    once: () => writer,
    off: () => writer,
    emit: () => false,
    removeListener: () => writer,
    getColorDepth: () => 1,
    hasColors: () => false,
  };
  return writer;
}

function hrtime(prev) {
  const ms = state.host.now();
  let sec = Math.floor(ms / 1000);
  let ns = Math.round((ms - sec * 1000) * 1e6);
  if (prev !== undefined) {
    if (!Array.isArray(prev)) throw invalidArgType('time', 'Array', prev);
    if (prev.length !== 2) {
      throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "time" is out of range. It must be 2. Received ${prev.length}`);
    }
    sec -= prev[0];
    ns -= prev[1];
    if (ns < 0) {
      sec -= 1;
      ns += 1e9;
    }
  }
  return [sec, ns];
}
hrtime.bigint = function bigint() {
  return BigInt(Math.round(state.host.now() * 1e6));
};

function nextTick(callback, ...args) {
  validateFunction(callback, 'callback');
  state.queueMicrotask(() => callback(...args));
}

function emitWarning(warning, type, code) {
  let name = 'Warning';
  if (type !== null && typeof type === 'object') {
    code = type.code;
    name = type.type || name;
  } else if (typeof type === 'string') {
    name = type;
  }
  let message;
  if (warning instanceof Error) {
    name = warning.name;
    message = warning.message;
  } else if (typeof warning === 'string') {
    message = warning;
  } else {
    throw invalidArgType('warning', ['Error', 'string'], warning);
  }
  if (name === 'DeprecationWarning' && proc.noDeprecation) return;
  state.consoleError(`(corral) ${code ? `[${code}] ` : ''}${name}: ${message}`);
}

function exit(code) {
  if (code === undefined || code === null) code = proc.exitCode === undefined ? 0 : proc.exitCode;
  if (typeof code === 'string' && /^-?\d+$/.test(code)) code = Number(code);
  if (!Number.isInteger(code)) throw invalidArgType('code', 'integer', code);
  proc.exitCode = code;
  throw new ProcessExit(code);
}

function memoryUsage() {
  return { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
}
memoryUsage.rss = () => 0;

function create() {
  const env = {};
  const hostEnv = state.host && state.host.env;
  if (hostEnv && typeof hostEnv === 'object') {
    for (const k of Object.keys(hostEnv)) env[k] = `${hostEnv[k]}`;
  }
  proc = {
    title: 'corral',
    version: `v${NODE_VERSION}`,
    versions: { node: NODE_VERSION, corral: '0.1.0' },
    arch: 'x64',
    platform: 'linux',
    release: { name: 'node' },
    env,
    argv: [],
    argv0: 'corral',
    execArgv: [],
    execPath: '/corral',
    exitCode: undefined,
    config: { variables: {} },
    features: {},
    noDeprecation: false,
    throwDeprecation: false,
    traceDeprecation: false,
    stdout: makeWriter(1),
    stderr: makeWriter(2),
    exit,
    nextTick,
    hrtime,
    cwd: () => '/',
    chdir(dir) {
      throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', `process.chdir(${JSON.stringify(`${dir}`)}) is not supported in corral: the working directory is always /`);
    },
    uptime: () => state.host.now() / 1000,
    memoryUsage,
    cpuUsage: () => ({ user: 0, system: 0 }),
    resourceUsage: () => ({}),
    emitWarning,
    umask: () => 0o22,
    on: noop,
    once: noop,
    off: noop,
    addListener: noop,
    removeListener: noop,
    removeAllListeners: noop,
    prependListener: noop,
    prependOnceListener: noop,
    setMaxListeners: noop,
    getMaxListeners: () => 10,
    emit: () => false,
    listeners: () => [],
    listenerCount: () => 0,
    eventNames: () => [],
    abort() {
      exit(134);
    },
  };
  Object.defineProperty(proc, Symbol.toStringTag, { value: 'process', configurable: true, writable: true });
  return proc;
}

function get() {
  return proc || create();
}

// Sessions: one context serves executions with different env vars.
function setEnv(hostEnv) {
  if (!proc) return;
  const env = proc.env;
  for (const k of Object.keys(env)) delete env[k];
  if (hostEnv && typeof hostEnv === 'object') {
    for (const k of Object.keys(hostEnv)) env[k] = `${hostEnv[k]}`;
  }
}

module.exports = { get, setEnv, ProcessExit, nextTick, hrtime };
