// Function mode: one HTTP request handled by the package's entry module.
// The C side calls invoke(entry, request, sink) (exported by the runtime
// bundle) in a context where install() has run and host.fs shows the
// package at "/"; docs/internals/runtime.md ("Function mode") is the
// contract. In short:
//
// - The entry is loaded once per context as the main module (the loader's
//   runMain; the entry is resolved as require() would, so "/" finds
//   package.json "main" or index.*) and its handler picked: a function
//   (req, res[, next]), an object with a fetch(request, env, ctx) method, or
//   a class with a fetch method on its prototype (constructed per request as
//   new Class(ctx, env)), directly or as the default export of an ES module. Anything else rejects with an Error
//   (code ERR_CORRAL_NO_HANDLER) describing what the module exports.
// - A (req, res) handler gets Express-like objects (fn/request.js,
//   fn/response.js); a fetch handler gets a Request and must return (a
//   promise of) a Response, whose body is streamed to the sink chunk by
//   chunk. A (req, res) handler that returns (a promise of) a Response
//   without having touched res has that Response sent.
// - invoke's promise resolves after sink.end() (and, for fetch handlers,
//   once the promises given to ctx.waitUntil have settled); it rejects with
//   the handler's error (a synchronous throw, a rejected promise, next(err),
//   res.destroy(err), a failing body stream) as long as the response has not
//   ended; after a rejection the sink is never called again. An error after
//   the end is reported on stderr. A handler that never ends its response
//   leaves the promise pending: the C side's deadline answers.

'use strict';

const state = require('../state.js');
const loader = require('../loader.js');
const http = require('./http.js');
const { Outlet } = require('./outlet.js');

const handlers = new Map(); // entry -> { kind: 'node' | 'fetch', fn, target }

// --- the handler ---------------------------------------------------------

function describe(v) {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string': return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)})`;
    case 'number': case 'boolean': case 'bigint': return `a ${typeof v} (${String(v)})`;
    case 'symbol': return 'a symbol';
    case 'function': return 'a function';
    default:
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  const keys = Object.keys(v).filter((k) => k !== '__esModule');
  const list = (ks) => (ks.length > 10 ? `${ks.slice(0, 10).join(', ')}, ...` : ks.join(', '));
  if (v.__esModule) {
    const named = keys.filter((k) => k !== 'default');
    const tail = named.length ? ` (named exports: ${list(named)})` : '';
    if (!('default' in v)) return `an ES module without a default export${tail}`;
    return `an ES module whose default export is ${describe(v.default)}${tail}`;
  }
  if (keys.length === 0) return 'an empty object';
  return `an object with keys ${list(keys)}`;
}

const isFetchTarget = (v) => v !== null && typeof v === 'object' && typeof v.fetch === 'function';

// A function is a (req, res) handler, unless it is a class with a fetch
// method (a Workers entrypoint: new Class(ctx, env), then instance.fetch).
function ofFunction(fn) {
  if (fn.prototype && typeof fn.prototype.fetch === 'function') return { kind: 'fetch', Class: fn };
  return { kind: 'node', fn };
}

function pick(exp, entry) {
  const esm = exp !== null && typeof exp === 'object' && exp.__esModule;
  if (esm) {
    if (typeof exp.default === 'function') return ofFunction(exp.default);
    if (isFetchTarget(exp.default)) return { kind: 'fetch', target: exp.default };
    if (typeof exp.fetch === 'function') return { kind: 'fetch', target: exp };
  } else {
    if (typeof exp === 'function') return ofFunction(exp);
    if (isFetchTarget(exp)) return { kind: 'fetch', target: exp };
    if (exp !== null && typeof exp === 'object') {
      if (typeof exp.default === 'function') return ofFunction(exp.default);
      if (isFetchTarget(exp.default)) return { kind: 'fetch', target: exp.default };
    }
  }
  const err = new Error(`the module exports neither a function (req, res) nor { fetch }: it exports ${describe(exp)} (${entry})`);
  err.code = 'ERR_CORRAL_NO_HANDLER';
  err.filename = entry;
  throw err;
}

function handlerFor(entry) {
  let h = handlers.get(entry);
  if (!h) {
    // "/index.js" as given; "/" or "/lib/main" the way require() finds them.
    const filename = loader.resolveFilename(entry, null);
    h = pick(loader.runMain(filename), filename);
    handlers.set(entry, h);
  }
  return h;
}

// --- reporting -------------------------------------------------------------

function report(err, when = 'after the response was sent') {
  const con = state.console;
  if (con && typeof con.error === 'function') con.error.call(con, `(corral) an error ${when}:`, err);
  else if (state.consoleError) state.consoleError(`(corral) an error ${when}: ${err && err.stack ? err.stack : err}`);
}

// --- Responses -------------------------------------------------------------

function isResponseLike(v) {
  return v !== null && typeof v === 'object' && typeof v.status === 'number' && v.headers !== null
    && typeof v.headers === 'object' && ('body' in v || typeof v.arrayBuffer === 'function');
}

// The response headers as [name, value, ...]: names as set for the
// runtime's Headers, set-cookie values kept apart.
function flatHeaders(h) {
  const Headers = require('../web/fetch.js').Headers;
  if (h instanceof Headers) return Headers._flat(h);
  const flat = [];
  if (typeof h.entries === 'function' || typeof h.forEach === 'function') {
    const cookies = typeof h.getSetCookie === 'function' ? h.getSetCookie() : null;
    const each = (v, k) => {
      if (cookies && `${k}`.toLowerCase() === 'set-cookie') return;
      flat.push(`${k}`, `${v}`);
    };
    if (typeof h.forEach === 'function') h.forEach(each);
    else for (const [k, v] of h.entries()) each(v, k);
    if (cookies) for (const c of cookies) flat.push('set-cookie', `${c}`);
    return flat;
  }
  for (const k of Object.keys(h)) {
    const v = h[k];
    if (Array.isArray(v)) for (const x of v) flat.push(k, `${x}`);
    else if (v !== undefined) flat.push(k, `${v}`);
  }
  return flat;
}

// The bytes of a Response of the runtime's own whose body was given as
// bytes (not a stream), without making a stream of them: web/fetch.js
// keeps a body as { bytes, stream, used } under its kBody symbol. Returns
// { bytes } (null for no body), or null when the body must be read as a
// stream.
function knownBody(r) {
  for (const sym of Object.getOwnPropertySymbols(r)) {
    if (sym.description !== 'kBody') continue;
    const b = r[sym];
    if (b === null) return { bytes: null };
    if (b !== null && typeof b === 'object' && b.stream === null && b.bytes instanceof Uint8Array && b.used === false) {
      b.used = true;
      return { bytes: b.bytes };
    }
    return null;
  }
  return null;
}

function chunkBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof value === 'string') return state.host.utf8Encode(value);
  throw new TypeError('Received non-Uint8Array chunk');
}

function hasHeader(flat, name) {
  for (let i = 0; i < flat.length; i += 2) if (`${flat[i]}`.toLowerCase() === name) return true;
  return false;
}

// --- the request for fetch handlers ----------------------------------------

const HOST = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function makeRequest(q) {
  const { Request, Headers } = require('../web/fetch.js');
  const flat = Array.isArray(q.headers) ? q.headers : [];
  const headers = new Headers();
  let host = null;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = `${flat[i]}`;
    if (host === null && k.toLowerCase() === 'host') host = `${flat[i + 1]}`;
    try {
      headers.append(k, flat[i + 1]);
    } catch {
      // A header the Fetch standard does not accept is left out.
    }
  }
  if (host === null || !HOST.test(host)) host = q.hostname && HOST.test(`${q.hostname}`) ? `${q.hostname}` : 'localhost';
  const proto = q.protocol === 'https' ? 'https' : 'http';
  let path = typeof q.url === 'string' && q.url ? q.url : '/';
  if (path[0] !== '/') path = `/${path}`;
  const method = `${q.method || 'GET'}`.toUpperCase();
  const init = { method, headers };
  if (method !== 'GET' && method !== 'HEAD' && q.body !== null && q.body !== undefined) init.body = q.body;
  try {
    return new Request(`${proto}://${host}${path}`, init);
  } catch (e) {
    // A host the URL parser refuses after all: the path still counts.
    if (host === 'localhost') throw e;
    return new Request(`${proto}://localhost${path}`, init);
  }
}

// --- one invocation ----------------------------------------------------------

class Invocation {
  constructor(entry, request, sink, resolve, reject) {
    this.entry = entry;
    this.request = request || {};
    this.resolve = resolve;
    this.reject = reject;
    this.settled = false;
    this.failed = null;
    this.waits = [];
    this.outlet = new Outlet(sink, `${this.request.method || 'GET'}`.toUpperCase(), () => this.ended(), (e) => this.fail(e));
  }

  fail(err) {
    if (this.failed) {
      // The same error seen again on its way out of the handler is not news.
      if (err !== this.failed.err) report(err, 'after the invocation had failed');
      return;
    }
    if (this.settled || this.outlet.ended) {
      report(err);
      return;
    }
    this.settled = true;
    this.failed = { err };
    this.outlet.kill();
    this.reject(err);
  }

  ended() {
    if (this.settled) return;
    this.settled = true;
    const drain = () => {
      const n = this.waits.length;
      if (n === 0) {
        this.resolve();
        return;
      }
      Promise.allSettled(this.waits.slice()).then(() => {
        if (this.waits.length > n) drain();
        else this.resolve();
      });
    };
    drain();
  }

  start() {
    let h;
    try {
      h = handlerFor(this.entry);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (h.kind === 'fetch') this.runFetch(h);
    else this.runNode(h.fn);
  }

  runNode(fn) {
    const { IncomingRequest } = require('./request.js');
    const { ServerResponse } = require('./response.js');
    let req;
    let res;
    try {
      req = new IncomingRequest(this.request);
      res = new ServerResponse(req, this.outlet, report);
    } catch (e) {
      this.fail(e);
      return;
    }
    const next = (err) => {
      if (err !== undefined && err !== null && err !== 'route' && err !== 'router') this.fail(err);
      else this.notFound(req, res);
    };
    req.next = next;
    let ret;
    try {
      ret = fn(req, res, next);
    } catch (e) {
      this.fail(e);
      return;
    }
    const sendIfResponse = (v) => {
      if (isResponseLike(v) && !this.outlet.headSent && !this.settled) this.sendResponse(v);
    };
    if (ret !== null && (typeof ret === 'object' || typeof ret === 'function') && typeof ret.then === 'function') {
      Promise.resolve(ret).then(sendIfResponse, (e) => this.fail(e));
    } else {
      sendIfResponse(ret);
    }
  }

  // finalhandler's answer to next() with no error: 404 "Cannot GET /path".
  notFound(req, res) {
    if (this.outlet.headSent) {
      this.fail(new Error('next() was called after the response had started'));
      return;
    }
    try {
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      const orig = `${req.originalUrl}`;
      const q = orig.search(/[?#]/);
      const msg = http.escapeHtml(`Cannot ${req.method} ${http.encodeUrl(q < 0 ? orig : orig.slice(0, q))}`)
        .replace(/\n/g, '<br>').replace(/ {2}/g, ' &nbsp;');
      const body = `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n`
        + `<body>\n<pre>${msg}</pre>\n</body>\n</html>\n`;
      const bytes = state.host.utf8Encode(body);
      res.statusCode = 404;
      res.setHeader('Content-Security-Policy', "default-src 'none'");
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', bytes.byteLength);
      if (req.method === 'HEAD') res.end();
      else res.end(bytes);
    } catch (e) {
      this.fail(e);
    }
  }

  runFetch(h) {
    let ret;
    try {
      const request = makeRequest(this.request);
      const env = Object.assign({}, state.host.env || {});
      const waits = this.waits;
      const ctx = {
        waitUntil(p) {
          waits.push(Promise.resolve(p).then(undefined, report));
        },
        passThroughOnException() {},
        props: {},
      };
      const target = h.Class ? new h.Class(ctx, env) : h.target;
      ret = target.fetch(request, env, ctx);
    } catch (e) {
      this.fail(e);
      return;
    }
    Promise.resolve(ret).then((r) => {
      if (this.settled) return;
      if (!isResponseLike(r)) {
        this.fail(new TypeError(`the fetch handler returned ${describe(r)}, not a Response`));
        return;
      }
      this.sendResponse(r);
    }, (e) => this.fail(e));
  }

  async sendResponse(r) {
    const out = this.outlet;
    let reader = null;
    try {
      if (r.type === 'error' || r.status === 0) throw new TypeError('the handler returned Response.error()');
      const status = http.checkStatus(r.status);
      const flat = flatHeaders(r.headers);
      const known = knownBody(r);
      if (known && known.bytes && !hasHeader(flat, 'content-length') && !hasHeader(flat, 'transfer-encoding')
          && out.headOnly === false && status !== 204 && status !== 304) {
        flat.push('content-length', `${known.bytes.byteLength}`);
      }
      out.head(status, flat);
      if (known) {
        if (known.bytes) out.write(known.bytes);
      } else {
        const body = r.body;
        if (body !== null && body !== undefined && typeof body.getReader === 'function') {
          if (!out.hasBody) {
            await body.cancel().catch(() => {});
          } else {
            reader = body.getReader();
            for (;;) {
              const { done, value } = await reader.read();
              if (done || out.dead) break;
              out.write(chunkBytes(value));
            }
            reader.releaseLock();
            reader = null;
          }
        } else if (body !== null && body !== undefined && typeof r.arrayBuffer === 'function') {
          out.write(new Uint8Array(await r.arrayBuffer()));
        }
      }
      out.end();
    } catch (e) {
      if (reader) reader.cancel(e).catch(() => {});
      this.fail(e);
    }
  }
}

// invoke(entry, request, sink) -> Promise<void>; see the top of the file.
function invoke(entry, request, sink) {
  return new Promise((resolve, reject) => {
    if (typeof entry !== 'string' || entry[0] !== '/') throw new TypeError('invoke: entry must be an absolute package path');
    if (!sink || typeof sink.head !== 'function' || typeof sink.write !== 'function' || typeof sink.end !== 'function') {
      throw new TypeError('invoke: sink must have head, write and end');
    }
    new Invocation(entry, request, sink, resolve, reject).start();
  });
}

module.exports = { invoke, describe };
