// The `req` of a function-mode handler: Node's IncomingMessage as Express 4
// extends it, built from the plain request object the C side passes to
// invoke() (see fn/index.js). The body has already been read by the C side,
// so what Express gets from its body parsers is here at once:
//
// - `req.body`, computed on first read: parsed JSON for application/json
//   and application/*+json (an empty body is {}, as body-parser gives; a body
//   that is not JSON stays the raw string and `req.bodyParseError` is the
//   SyntaxError, with status 400 and type 'entity.parse.failed' as
//   body-parser would have raised), the qs-parsed form for
//   application/x-www-form-urlencoded, a string for text/*, a Buffer for
//   anything else, undefined when the request had no body;
// - `req.rawBody`, the body's bytes as a Buffer (undefined without a body);
// - the stream interface, replayed: a 'data' listener (or pipe(), resume(),
//   an async iterator) receives the whole body as one chunk, then 'end'.
//   An 'end' listener alone also gets 'end' (Node would wait for a reader).

'use strict';

const state = require('../state.js');
const EventEmitter = require('../node/events.js');
const http = require('./http.js');
const qs = require('./qs.js');

const kBody = Symbol('kBody');
const kBytes = Symbol('kBytes');
const kParsed = Symbol('kParsed');
const kBodyError = Symbol('kBodyError');
const kFlow = Symbol('kFlow');
const kPath = Symbol('kPath');

let BufferClass = null;
function Buffer() {
  if (!BufferClass) BufferClass = require('../node/buffer.js').Buffer;
  return BufferClass;
}

function toBuffer(u8) {
  const B = Buffer();
  return B.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function latin1(u8) {
  let s = '';
  for (let i = 0; i < u8.length; i += 8192) s += String.fromCharCode.apply(null, u8.subarray(i, i + 8192));
  return s;
}

function decodeText(u8, charset) {
  const cs = (charset || 'utf-8').toLowerCase();
  let s = cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii' || cs === 'ascii' ? latin1(u8) : state.host.utf8Decode(u8, false);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s;
}

function parseBody(req) {
  const bytes = req[kBytes];
  if (bytes === null) return undefined;
  const mt = http.parseMediaType(req.headers['content-type']);
  const type = mt ? mt.type : '';
  const charset = mt ? mt.params.charset : undefined;
  if (type === 'application/json' || /^application\/[^/]+\+json$/.test(type)) {
    const text = decodeText(bytes, charset);
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch (e) {
      const err = new SyntaxError(e.message);
      err.status = 400;
      err.statusCode = 400;
      err.expose = true;
      err.type = 'entity.parse.failed';
      err.body = text;
      req[kBodyError] = err;
      return text;
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return qs.parse(decodeText(bytes, charset), { depth: 32, arrayLimit: 100, parameterLimit: 1000 });
  }
  if (type.startsWith('text/')) return decodeText(bytes, charset);
  return toBuffer(bytes);
}

function ensureBody(req) {
  if (!req[kParsed]) {
    req[kParsed] = true;
    req[kBody] = parseBody(req);
  }
  return req[kBody];
}

function toU8(body) {
  if (body === null || body === undefined) return null;
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (typeof body === 'string') return state.host.utf8Encode(body);
  throw new TypeError('invoke: request.body must be a Uint8Array or null');
}

const READ_EVENTS = new Set(['data', 'end', 'readable']);

class IncomingRequest extends EventEmitter {
  constructor(request) {
    super();
    const url = typeof request.url === 'string' && request.url ? request.url : '/';
    const flat = Array.isArray(request.headers) ? request.headers : [];
    const protocol = request.protocol === 'https' ? 'https' : 'http';
    const ip = request.ip === undefined || request.ip === null ? '' : `${request.ip}`;
    this.method = `${request.method || 'GET'}`.toUpperCase();
    this.url = url;
    this.originalUrl = typeof request.originalUrl === 'string' ? request.originalUrl : url;
    this.baseUrl = typeof request.baseUrl === 'string' ? request.baseUrl : '';
    this.params = Object.assign({}, request.params || {});
    this.query = qs.parse(typeof request.query === 'string' ? request.query : queryOf(url));
    this.headers = http.foldHeaders(flat);
    this.rawHeaders = flat.map((v) => `${v}`);
    this.httpVersion = '1.1';
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.complete = true;
    this.aborted = false;
    this.ip = ip;
    this.ips = [];
    this.hostname = request.hostname === undefined || request.hostname === null ? hostOf(this.headers.host) : `${request.hostname}`;
    this.protocol = protocol;
    this.secure = protocol === 'https';
    this.xhr = `${this.headers['x-requested-with'] || ''}`.toLowerCase() === 'xmlhttprequest';
    this.executionId = request.executionId === undefined ? undefined : `${request.executionId}`;
    // readable: the connection is open while the handler runs (on-finished,
    // and so body-parser, take an unreadable socket for a body read already).
    this.socket = { remoteAddress: ip, encrypted: protocol === 'https', readable: true, writable: false };
    this.connection = this.socket;
    this.readable = true;
    this.readableEnded = false;
    this.res = undefined;
    Object.defineProperty(this, kBytes, { value: toU8(request.body), writable: true });
    Object.defineProperty(this, kParsed, { value: false, writable: true });
    Object.defineProperty(this, kBody, { value: undefined, writable: true });
    Object.defineProperty(this, kBodyError, { value: undefined, writable: true });
    Object.defineProperty(this, kFlow, { value: { started: false, paused: false, sent: false, ended: false, encoding: null }, writable: true });
    Object.defineProperty(this, kPath, { value: { url, path: typeof request.path === 'string' && request.path ? request.path : null }, writable: true });
    // body: computed on first read; middleware may assign it.
    Object.defineProperty(this, 'body', {
      get() {
        return ensureBody(this);
      },
      set(v) {
        this[kParsed] = true;
        this[kBody] = v;
      },
      enumerable: true,
      configurable: true,
    });
  }

  // Express's req.path: the pathname of req.url (the C side's path while
  // the url is the one it gave).
  get path() {
    const p = this[kPath];
    if (p.path !== null && this.url === p.url) return p.path;
    const u = `${this.url}`;
    const q = u.search(/[?#]/);
    return q < 0 ? u : u.slice(0, q);
  }

  get rawBody() {
    return this[kBytes] === null ? undefined : toBuffer(this[kBytes]);
  }

  get bodyParseError() {
    ensureBody(this);
    return this[kBodyError];
  }

  get(name) {
    if (!name) throw new TypeError('name argument is required to req.get');
    if (typeof name !== 'string') throw new TypeError('name must be a string to req.get');
    const lc = name.toLowerCase();
    if (lc === 'referer' || lc === 'referrer') return this.headers.referrer || this.headers.referer;
    return this.headers[lc];
  }

  header(name) {
    return this.get(name);
  }

  is(...types) {
    const list = types.length === 1 && Array.isArray(types[0]) ? types[0] : types;
    if (this[kBytes] === null && this.headers['transfer-encoding'] === undefined
        && (this.headers['content-length'] === undefined || this.headers['content-length'] === '0')) return null;
    return http.typeIs(this.headers['content-type'], list);
  }

  accepts(...types) {
    const list = types.length === 1 && Array.isArray(types[0]) ? types[0] : types;
    return http.accepts(this.headers.accept, list);
  }

  acceptsEncodings(...list) {
    return simpleAccepts(this.headers['accept-encoding'], list, 'identity');
  }

  acceptsCharsets(...list) {
    return simpleAccepts(this.headers['accept-charset'], list);
  }

  acceptsLanguages(...list) {
    return simpleAccepts(this.headers['accept-language'], list);
  }

  param(name, defaultValue) {
    const params = this.params || {};
    const body = this.body || {};
    const query = this.query || {};
    if (params[name] != null && Object.prototype.hasOwnProperty.call(params, name)) return params[name];
    if (body[name] != null) return body[name];
    if (query[name] != null) return query[name];
    return defaultValue;
  }

  get subdomains() {
    const host = this.hostname;
    if (!host) return [];
    const parts = /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':') ? [host] : host.split('.').reverse();
    return parts.slice(2);
  }

  // Express's req.fresh with the response's ETag / Last-Modified.
  get fresh() {
    const res = this.res;
    if (this.method !== 'GET' && this.method !== 'HEAD') return false;
    const s = res ? res.statusCode : 200;
    if (!((s >= 200 && s < 300) || s === 304)) return false;
    const ims = this.headers['if-modified-since'];
    const inm = this.headers['if-none-match'];
    if (!ims && !inm) return false;
    if (/(?:^|,)\s*?no-cache\s*?(?:,|$)/.test(this.headers['cache-control'] || '')) return false;
    if (inm && inm !== '*') {
      const etag = res && res.getHeader('etag');
      if (!etag) return false;
      const strip = (t) => `${t}`.trim().replace(/^W\//, '');
      if (!inm.split(',').some((t) => strip(t) === strip(etag))) return false;
    }
    if (ims) {
      const lm = res && res.getHeader('last-modified');
      const a = Date.parse(lm);
      const b = Date.parse(ims);
      if (!lm || Number.isNaN(a) || Number.isNaN(b) || a > b) return false;
    }
    return true;
  }

  get stale() {
    return !this.fresh;
  }

  // --- the body as a stream ---------------------------------------------

  on(event, listener) {
    super.on(event, listener);
    if (READ_EVENTS.has(event)) startFlow(this);
    return this;
  }

  addListener(event, listener) {
    return this.on(event, listener);
  }

  prependListener(event, listener) {
    super.prependListener(event, listener);
    if (READ_EVENTS.has(event)) startFlow(this);
    return this;
  }

  setEncoding(encoding) {
    this[kFlow].encoding = encoding || 'utf8';
    return this;
  }

  pause() {
    this[kFlow].paused = true;
    return this;
  }

  resume() {
    this[kFlow].paused = false;
    startFlow(this, true);
    return this;
  }

  isPaused() {
    return this[kFlow].paused;
  }

  read() {
    const f = this[kFlow];
    if (f.sent) return null;
    f.sent = true;
    const bytes = this[kBytes];
    if (!bytes || bytes.length === 0) {
      finishFlow(this);
      return null;
    }
    state.queueMicrotask(() => finishFlow(this));
    return chunkOf(this);
  }

  pipe(dest, options) {
    this.on('data', (chunk) => dest.write(chunk));
    if (!options || options.end !== false) this.on('end', () => dest.end());
    return dest;
  }

  unpipe() {
    return this;
  }

  destroy() {
    return this;
  }

  async* [Symbol.asyncIterator]() {
    const f = this[kFlow];
    if (f.sent) return;
    f.sent = true;
    const bytes = this[kBytes];
    if (bytes && bytes.length) yield chunkOf(this);
    finishFlow(this);
  }
}

function chunkOf(req) {
  const buf = toBuffer(req[kBytes]);
  const enc = req[kFlow].encoding;
  return enc ? buf.toString(enc) : buf;
}

function finishFlow(req) {
  const f = req[kFlow];
  if (f.ended) return;
  f.ended = true;
  req.readable = false;
  req.readableEnded = true;
  req.emit('end');
}

function startFlow(req, force = false) {
  const f = req[kFlow];
  if (f.started && !force) return;
  f.started = true;
  state.queueMicrotask(() => {
    if (f.paused || f.ended) return;
    if (!f.sent) {
      f.sent = true;
      const bytes = req[kBytes];
      if (bytes && bytes.length) req.emit('data', chunkOf(req));
    }
    if (!f.paused) finishFlow(req);
  });
}

// accepts' encodings/charsets/languages, without wildcards beyond "*".
function simpleAccepts(header, list, implicit) {
  const entries = [];
  if (header !== undefined) {
    let i = 0;
    for (const item of `${header}`.split(',')) {
      const [name, ...params] = item.split(';');
      const n = name.trim().toLowerCase();
      if (!n) continue;
      let q = 1;
      for (const p of params) {
        const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
        if (m) q = parseFloat(m[1]) || 0;
      }
      entries.push({ n, q, i: i++ });
    }
  } else {
    entries.push({ n: '*', q: 1, i: 0 });
  }
  if (implicit && !entries.some((e) => e.n === implicit || e.n === '*')) entries.push({ n: implicit, q: 0.0001, i: entries.length });
  const names = (list.length === 1 && Array.isArray(list[0]) ? list[0] : list);
  if (names.length === 0) return entries.filter((e) => e.q > 0).sort((a, b) => b.q - a.q || a.i - b.i).map((e) => e.n);
  let best = null;
  names.forEach((name, ci) => {
    const lc = `${name}`.toLowerCase();
    const prefix = lc.split('-')[0];
    let hit = null;
    for (const e of entries) {
      const s = e.n === lc ? 3 : e.n === prefix ? 2 : e.n === '*' ? 1 : 0;
      if (s && (!hit || s > hit.s)) hit = { s, q: e.q, i: e.i };
    }
    if (hit && hit.q > 0 && (!best || hit.q > best.q || (hit.q === best.q && (hit.s > best.s || (hit.s === best.s && hit.i < best.i))))) {
      best = { ...hit, ci };
    }
  });
  return best ? names[best.ci] : false;
}

function queryOf(url) {
  const q = `${url}`.indexOf('?');
  if (q < 0) return '';
  const h = url.indexOf('#', q);
  return url.slice(q + 1, h < 0 ? undefined : h);
}

function hostOf(host) {
  if (!host) return undefined;
  const offset = host[0] === '[' ? host.indexOf(']') + 1 : 0;
  const colon = host.indexOf(':', offset);
  return colon !== -1 ? host.slice(0, colon) : host;
}

module.exports = { IncomingRequest };
