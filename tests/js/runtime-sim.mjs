// A stand-in for corral's C side, for testing the embedded runtime bundle in
// Node: a vm context with only the ECMAScript built-ins, the globals the C
// side defines itself (console through the inspect bundle, setTimeout and
// friends, queueMicrotask), a lazy accessor for every name the runtime
// lists (evaluating the runtime bundle and calling install() on first
// read, as the C side does), and a mock `host` built on Node's crypto and
// text codecs, with an in-memory package file system.
//
// Every value the host hands to the runtime is made in the context's realm
// (its Uint8Array, ArrayBuffer, TypeError), as the C side's are, so that
// instanceof checks inside the runtime behave as they will in the engine.

import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import nodeZlib from 'node:zlib';

import { makeCryptoHost } from './crypto-sim.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// Globals a hidden dependency would reach for; a read of any of them fails
// the run that made it.
export const FOREIGN = ['window', 'document', 'self', 'navigator', 'location', 'Deno', 'Bun', 'XMLHttpRequest',
  'importScripts', 'WorkerGlobalScope'];

let bundles = null;

// host.zlib (src/worker/host_zlib.c) on the native handles of Node's own
// zlib streams, which take the same write(flush, in, inOff, inLen, out,
// outOff, outLen) and leave [availOut, availIn] in the stream's write state.
function makeZlib(ctx, realm) {
  const names = { 1: 'Deflate', 2: 'Inflate', 3: 'Gzip', 4: 'Gunzip', 5: 'DeflateRaw', 6: 'InflateRaw', 7: 'Unzip',
    8: 'BrotliDecompress', 9: 'BrotliCompress' };
  const handles = new WeakMap();
  const triple = vm.runInContext('(a, b, c) => [a, b, c]', ctx);
  const z = vm.runInContext('({})', ctx);
  const rec = (h) => {
    const r = handles.get(h);
    if (!r || !r.s._handle) throw new realm.Error('zlib binding closed');
    return r;
  };
  Object.assign(z, {
    maxOutputLength: 32 << 20,
    zlibVernum: nodeZlib.constants.ZLIB_VERNUM,
    open(mode, ...a) {
      let s;
      try {
        if (mode >= 8) {
          const params = {};
          (a[0] || []).forEach((v, i) => { if (v !== -1) params[i] = v; });
          s = new nodeZlib[names[mode]]({ params });
        } else {
          s = new nodeZlib[names[mode]]({ windowBits: a[0], level: a[1], memLevel: a[2], strategy: a[3],
            dictionary: a[4] ? Buffer.from(a[4]) : undefined });
        }
      } catch {
        return null;
      }
      const h = vm.runInContext('({})', ctx);
      const r = { s, err: null };
      s._handle.onerror = (message, errno, code) => { r.err = [message, errno, code]; };
      handles.set(h, r);
      return h;
    },
    write(h, flush, input, inOff, inLen, out, outOff, outLen, state) {
      const r = rec(h);
      r.s._handle.writeSync(flush, input || Buffer.alloc(0), inOff, inLen, out, outOff, outLen);
      state[0] = r.s._writeState[0];
      state[1] = r.s._writeState[1];
      if (!r.err) return null;
      return triple(...r.err);
    },
    reset(h) {
      rec(h).s._handle.reset();
      return true;
    },
    params(h, level, strategy) {
      rec(h).s._handle.params(level, strategy);
      return true;
    },
    close(h) {
      const r = handles.get(h);
      if (r) r.s.close();
    },
    crc32(u8, value) {
      return nodeZlib.crc32(u8, value);
    },
  });
  return z;
}

// Builds the bundles once (scripts/build-js.mjs --emit-js) and returns
// { tools, inspect, runtime, globals } as script texts and the globals list.
export function loadBundles() {
  if (bundles) return bundles;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-rt-'));
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-js.mjs'), path.join(dir, 'js_bundles.c'), ROOT,
    '--emit-js', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const read = (n) => fs.readFileSync(path.join(dir, `${n}.js`), 'utf8');
  const c = fs.readFileSync(path.join(dir, 'js_bundles.c'), 'utf8');
  const m = /corral_js_runtime_globals\[\] =\s*((?:\s*"(?:[^"\\]|\\.)*")+);/.exec(c);
  const globals = m ? m[1].replace(/"\s*"/g, '').replace(/^\s*"|"$/g, '').split(',') : [];
  bundles = { tools: read('tools'), inspect: read('inspect'), runtime: read('runtime'), globals, dir, c };
  return bundles;
}

// The tools bundle, evaluated once in its own context (as the engine's
// tools context), for host.transpile and the top-level await rewrite.
let toolsExports = null;
export function tools() {
  if (!toolsExports) {
    const ctx = vm.createContext({});
    toolsExports = vm.runInContext(loadBundles().tools, ctx, { filename: 'corral:tools' });
  }
  return toolsExports;
}

// An in-memory package: { '/path': 'text' | Uint8Array }, directories implied,
// /tmp writable and capped at tmpCap bytes.
function makeFs(ctx, files, tmpCap) {
  const U8 = vm.runInContext('Uint8Array', ctx);
  const entries = new Map(); // path -> { type, data, mtimeMs }
  const addDir = (p) => {
    for (let d = p; ; d = path.posix.dirname(d)) {
      if (!entries.has(d)) entries.set(d, { type: 'dir', mtimeMs: 0 });
      if (d === '/') break;
    }
  };
  addDir('/');
  addDir('/tmp');
  for (const [p, v] of Object.entries(files)) {
    addDir(path.posix.dirname(p));
    entries.set(p, { type: 'file', data: typeof v === 'string' ? Buffer.from(v) : Buffer.from(v), mtimeMs: 1700000000000 });
  }
  const check = (p) => {
    if (typeof p !== 'string' || !p.startsWith('/')) throw new (vm.runInContext('TypeError', ctx))('host.fs: path must be absolute');
    return path.posix.normalize(p);
  };
  const inTmp = (p) => p === '/tmp' || p.startsWith('/tmp/');
  const tmpUsed = () => {
    let n = 0;
    for (const [p, e] of entries) if (inTmp(p) && e.type === 'file') n += e.data.length;
    return n;
  };
  return {
    read(p) {
      const e = entries.get(check(p));
      if (!e || e.type !== 'file') return null;
      const out = new U8(e.data.length);
      out.set(e.data);
      return out;
    },
    stat(p) {
      const e = entries.get(check(p));
      if (!e) return null;
      return vm.runInContext('(t, s, m) => ({ type: t, size: s, mtimeMs: m })', ctx)(e.type, e.type === 'file' ? e.data.length : 0, e.mtimeMs);
    },
    list(p) {
      p = check(p);
      const e = entries.get(p);
      if (!e || e.type !== 'dir') return null;
      const names = [];
      for (const k of entries.keys()) {
        if (k !== p && path.posix.dirname(k) === p) names.push(path.posix.basename(k));
      }
      return vm.runInContext('(a) => Array.from(a)', ctx)(names.sort());
    },
    write(p, u8, append) {
      p = check(p);
      if (!inTmp(p) || p === '/tmp') return 'EROFS';
      const parent = entries.get(path.posix.dirname(p));
      if (!parent || parent.type !== 'dir') return 'ENOENT';
      const e = entries.get(p);
      if (e && e.type === 'dir') return 'EISDIR';
      const data = Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
      const next = append && e ? Buffer.concat([e.data, data]) : Buffer.from(data);
      if (tmpUsed() - (e ? e.data.length : 0) + next.length > tmpCap) return 'ENOSPC';
      entries.set(p, { type: 'file', data: next, mtimeMs: Date.now() });
      return '';
    },
    remove(p) {
      p = check(p);
      if (!inTmp(p) || p === '/tmp') return 'EROFS';
      const e = entries.get(p);
      if (!e) return 'ENOENT';
      if (e.type === 'dir') for (const k of entries.keys()) if (path.posix.dirname(k) === p) return 'ENOTEMPTY';
      entries.delete(p);
      return '';
    },
    mkdir(p) {
      p = check(p);
      if (!inTmp(p) || p === '/tmp') return entries.has(p) ? 'EEXIST' : 'EROFS';
      if (entries.has(p)) return 'EEXIST';
      const parent = entries.get(path.posix.dirname(p));
      if (!parent) return 'ENOENT';
      if (parent.type !== 'dir') return 'ENOTDIR';
      entries.set(p, { type: 'dir', mtimeMs: Date.now() });
      return '';
    },
  };
}

// Creates a simulated execution context. Options: files (the package),
// env, fetch (a function (url, method, headers, body) => Promise<{status,
// statusText, headers: [[k,v]...], body: Buffer}> | throws string), noFetch,
// tmpCap. Returns { ctx, host, out, err, output, run, drain, loaded() }.
export function createSim(options = {}) {
  const b = loadBundles();
  const ctx = vm.createContext({});
  vm.runInContext('delete globalThis.console', ctx);
  const g = vm.runInContext('globalThis', ctx);
  const realm = vm.runInContext('({ Uint8Array, ArrayBuffer, TypeError, SyntaxError, Error, Object, Array })', ctx);
  const reads = new Set();
  for (const name of FOREIGN) {
    Object.defineProperty(g, name, { configurable: true, get() { reads.add(name); return undefined; } });
  }
  const start = performance.now();
  const timeOrigin = Date.now();
  const lines = { out: [], err: [], all: [] };
  let inspect = null;
  const fmt = (args) => {
    if (!inspect) inspect = vm.runInContext(b.inspect, ctx, { filename: 'corral:inspect' });
    return inspect.format(...args);
  };
  const write = (stream, text) => {
    lines[stream].push(text);
    lines.all.push(text);
  };
  const consoleObj = vm.runInContext('({})', ctx);
  for (const [name, stream] of [['log', 'out'], ['info', 'out'], ['debug', 'out'], ['warn', 'err'], ['error', 'err'], ['dir', 'out']]) {
    consoleObj[name] = function (...args) { write(stream, `${fmt(args)}\n`); };
  }
  Object.defineProperty(g, 'console', { value: consoleObj, configurable: true, writable: true, enumerable: false });

  // Timers: numeric ids, like the C side; pending ones tracked for drain().
  const timers = new Map();
  let nextId = 1;
  let uncaught = null;
  const fire = (id, fn, args, repeat) => {
    if (!repeat) timers.delete(id);
    if (uncaught) return;
    try {
      fn(...args);
    } catch (e) {
      if (!uncaught) uncaught = e;
    }
  };
  const addTimer = (repeat) => function (fn, ms, ...args) {
    if (typeof fn !== 'function') throw new realm.TypeError('The "callback" argument must be of type function');
    const id = nextId++;
    const delay = ms >= 1 && ms <= 2147483647 ? ms : 1;
    const h = repeat ? setInterval(() => fire(id, fn, args, true), delay) : setTimeout(() => fire(id, fn, args, false), delay);
    timers.set(id, { h, repeat });
    return id;
  };
  const clear = function (id) {
    const t = timers.get(id);
    if (!t) return;
    (t.repeat ? clearInterval : clearTimeout)(t.h);
    timers.delete(id);
  };
  const defineFn = (name, fn) => Object.defineProperty(g, name, { value: fn, configurable: true, writable: true, enumerable: false });
  defineFn('setTimeout', addTimer(false));
  defineFn('setInterval', addTimer(true));
  defineFn('clearTimeout', clear);
  defineFn('clearInterval', clear);
  defineFn('queueMicrotask', vm.runInContext('(fn) => { Promise.resolve().then(fn); }', ctx));

  const toU8 = (buf) => {
    const out = new realm.Uint8Array(buf.length);
    out.set(buf);
    return out;
  };
  const fromU8 = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  const typeError = (msg) => new realm.TypeError(msg);
  const isU8 = (v) => v instanceof realm.Uint8Array;

  const pendingFetches = new Set();
  const host = vm.runInContext('({})', ctx);
  Object.assign(host, {
    randomFill(u8) {
      if (!isU8(u8)) throw typeError('randomFill: a Uint8Array is required');
      if (u8.length > 65536) throw typeError('randomFill: at most 65536 bytes');
      crypto.randomFillSync(u8);
      return u8;
    },
    digest(alg, u8) {
      const map = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
      if (!map[alg]) throw typeError(`digest: unknown algorithm ${alg}`);
      if (!isU8(u8)) throw typeError('digest: a Uint8Array is required');
      const d = crypto.createHash(map[alg]).update(fromU8(u8)).digest();
      const ab = new realm.ArrayBuffer(d.length);
      new realm.Uint8Array(ab).set(d);
      return ab;
    },
    now() {
      return Math.floor((performance.now() - start) * 10) / 10;
    },
    timeOrigin,
    utf8Encode(s) {
      if (typeof s !== 'string') throw typeError('utf8Encode: a string is required');
      return toU8(Buffer.from(s, 'utf8'));
    },
    utf8Decode(u8, fatal) {
      if (!isU8(u8)) throw typeError('utf8Decode: a Uint8Array is required');
      try {
        return new TextDecoder('utf-8', { fatal: Boolean(fatal), ignoreBOM: true }).decode(fromU8(u8));
      } catch {
        throw typeError('The encoded data was not valid for encoding utf-8');
      }
    },
    transpile(source, filename, opts) {
      try {
        return tools().transpile(source, filename, { typescript: Boolean(opts && opts.typescript) });
      } catch (e) {
        const err = new realm.SyntaxError(e.message);
        if (e.line) {
          err.line = e.line;
          err.column = e.column;
        }
        throw err;
      }
    },
    evaluate(source, filename) {
      return vm.runInContext(source, ctx, { filename });
    },
    write(fd, text) {
      write(fd === 2 ? 'err' : 'out', text);
    },
    env: Object.assign(vm.runInContext('({})', ctx), options.env || {}),
    zlib: makeZlib(ctx, realm),
    fs: Object.assign(vm.runInContext('({})', ctx), makeFs(ctx, options.files || {}, options.tmpCap || 1 << 20)),
    crypto: Object.assign(vm.runInContext('({})', ctx), makeCryptoHost(realm, () => vm.runInContext('({})', ctx))),
  });
  if (options.noWrite) delete host.write;
  if (options.fetch && !options.noFetch) {
    host.fetch = function (url, method, headers, body, cb) {
      const p = (async () => {
        let r;
        try {
          r = await options.fetch(url, method, Array.from(headers), body ? fromU8(body) : null);
        } catch (e) {
          cb(String(e), 0, '', null, null);
          return;
        }
        const flat = vm.runInContext('[]', ctx);
        for (const [k, v] of r.headers || []) flat.push(k, v);
        cb(null, r.status, r.statusText || '', flat, toU8(Buffer.from(r.body || '')));
      })();
      pendingFetches.add(p);
      p.finally(() => pendingFetches.delete(p));
    };
  }

  // The C side's lazy accessors.
  let runtime = null;
  let loads = 0;
  const load = () => {
    if (!runtime) {
      loads++;
      runtime = vm.runInContext(b.runtime, ctx, { filename: 'corral:runtime' });
      runtime.install(g, host);
    }
    return runtime;
  };
  for (const name of b.globals) {
    Object.defineProperty(g, name, {
      configurable: true,
      enumerable: false,
      get() {
        load();
        return g[name];
      },
      set(v) {
        Object.defineProperty(g, name, { value: v, writable: true, configurable: true, enumerable: false });
      },
    });
  }

  // Waits until no timer or fetch is pending (or `ms` pass).
  async function drain(ms = 5000) {
    const until = Date.now() + ms;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (uncaught) return;
      if (timers.size === 0 && pendingFetches.size === 0) {
        await new Promise((r) => setTimeout(r, 2));
        if (timers.size === 0 && pendingFetches.size === 0) return;
      }
      if (Date.now() > until) {
        for (const id of [...timers.keys()]) clear(id);
        throw new Error('drain: timers still pending');
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  // Runs `code` as the C side runs a script (rewriting top-level await when
  // the script does not parse), awaits its completion value, drains timers.
  async function run(code, filename = 'main.js') {
    let source = code;
    try {
      new vm.Script(code, { filename });
    } catch (e) {
      const r = tools().rewriteTopLevelAwait(code);
      if (r === null) throw e;
      source = r;
    }
    let value;
    let error = null;
    let settled = false;
    try {
      const p = Promise.resolve(vm.runInContext(source, ctx, { filename }));
      p.then((v) => { settled = true; value = v; }, (e) => { settled = true; error = e; });
      // Like the engine's loop: wait while the result is pending and
      // something (a timer, a fetch) can still settle it.
      for (let idle = 0; !settled && !uncaught && idle < 3;) {
        await new Promise((r) => setTimeout(r, 1));
        idle = timers.size === 0 && pendingFetches.size === 0 ? idle + 1 : 0;
      }
      if (!settled && !uncaught) error = new Error('top-level await never settled: nothing was left to run');
    } catch (e) {
      error = e;
    }
    if (!uncaught && !(error && error.name === 'ProcessExit')) await drain();
    if (!error && uncaught) error = uncaught;
    // process.exit(): the C side ends the execution with the code; so does
    // the simulator (no more timers).
    let exitCode = null;
    if (error && error.name === 'ProcessExit') {
      exitCode = error.code;
      error = null;
      for (const id of [...timers.keys()]) clear(id);
    }
    return { value, error, exitCode, stdout: lines.out.join(''), stderr: lines.err.join(''), output: lines.all.join('') };
  }

  return {
    ctx,
    g,
    host,
    run,
    drain,
    reads,
    lines,
    loaded: () => runtime !== null,
    loads: () => loads,
    runtime: load,
  };
}
