// Headers, Request, Response and fetch, after the Fetch standard as Node 20
// (undici) implements it. A body is kept as bytes until someone asks for
// `.body`, which makes it a ReadableStream. fetch() hands the request to the
// host (host.fetch), which performs it outside the sandbox under the
// execution's egress policy; data: URLs are answered here. A response whose
// body is still arriving when its headers are in resolves then, and its
// body is a stream fed chunk by chunk as the upstream sends them (an LLM's
// server-sent events, one token at a time); cancelling it, or the request's
// signal, stops the upstream request.

'use strict';

const state = require('../state.js');
const { missingArgs } = require('../errors.js');
const { utf8Encode } = require('./encoding.js');
// URL costs ~1.4 ms to set up in a fresh context: loaded when needed.
const urlModule = () => require('./url.js');
const isSearchParams = (v) => Object.prototype.toString.call(v) === '[object URLSearchParams]' && v instanceof urlModule().URLSearchParams;
const { AbortSignal } = require('./events.js');
const { Blob, FormData, encodeFormData, kBytes } = require('./blob.js');
const { decodeToBytes } = require('./base64.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

let streams = null;
function ws() {
  if (!streams) streams = require('./streams.js');
  return streams;
}

// --- Headers ---------------------------------------------------------------

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeValue(v) {
  return `${v}`.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
}

function checkName(name, where) {
  if (!TOKEN.test(name)) throw new TypeError(`${where}: "${name}" is an invalid header name.`);
}

function checkValue(value, where) {
  if (/[\0\r\n]/.test(value)) throw new TypeError(`${where}: "${value}" is an invalid header value.`);
}

class Headers {
  // name (lower case) -> { name: as first given, values: [] }
  #map = new Map();
  #guard = 'none';

  constructor(init = undefined) {
    if (init === undefined || init === null) {
      if (init === null) throw new TypeError("Headers constructor: Expected init to be a sequence or record, got null");
      return;
    }
    if (typeof init !== 'object') throw new TypeError('Headers constructor: Expected init to be a sequence or record');
    if (init instanceof Headers) {
      for (const [k, v] of init.#map) this.#map.set(k, { name: v.name, values: v.values.slice() });
      return;
    }
    if (typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const p = typeof pair === 'string' ? pair : [...pair];
        if (p.length !== 2) {
          throw new TypeError(`Headers constructor: expected name/value pair to be length 2, found ${p.length}.`);
        }
        this.#append(p[0], p[1], 'Headers.append');
      }
      return;
    }
    for (const key of Reflect.ownKeys(init)) {
      const d = Reflect.getOwnPropertyDescriptor(init, key);
      if (!d || !d.enumerable) continue;
      if (typeof key === 'symbol') throw new TypeError('Headers constructor: Key is a symbol, which cannot be converted to a ByteString.');
      this.#append(key, init[key], 'Headers.append');
    }
  }

  #append(name, value, where) {
    name = `${name}`;
    value = normalizeValue(value);
    checkName(name, where);
    checkValue(value, where);
    if (this.#guard === 'immutable') throw new TypeError('immutable');
    const key = name.toLowerCase();
    const e = this.#map.get(key);
    if (e) e.values.push(value);
    else this.#map.set(key, { name, values: [value] });
  }

  append(name, value) {
    if (arguments.length < 2) throw missingArgs('name', 'value');
    this.#append(name, value, 'Headers.append');
  }

  set(name, value) {
    if (arguments.length < 2) throw missingArgs('name', 'value');
    name = `${name}`;
    value = normalizeValue(value);
    checkName(name, 'Headers.set');
    checkValue(value, 'Headers.set');
    if (this.#guard === 'immutable') throw new TypeError('immutable');
    this.#map.set(name.toLowerCase(), { name, values: [value] });
  }

  delete(name) {
    if (arguments.length < 1) throw missingArgs('name');
    name = `${name}`;
    checkName(name, 'Headers.delete');
    if (this.#guard === 'immutable') throw new TypeError('immutable');
    this.#map.delete(name.toLowerCase());
  }

  get(name) {
    if (arguments.length < 1) throw missingArgs('name');
    name = `${name}`;
    checkName(name, 'Headers.get');
    const e = this.#map.get(name.toLowerCase());
    return e ? e.values.join(', ') : null;
  }

  has(name) {
    if (arguments.length < 1) throw missingArgs('name');
    name = `${name}`;
    checkName(name, 'Headers.has');
    return this.#map.has(name.toLowerCase());
  }

  getSetCookie() {
    const e = this.#map.get('set-cookie');
    return e ? e.values.slice() : [];
  }

  #sorted() {
    const out = [];
    for (const key of [...this.#map.keys()].sort()) {
      const e = this.#map.get(key);
      if (key === 'set-cookie') for (const v of e.values) out.push([key, v]);
      else out.push([key, e.values.join(', ')]);
    }
    return out;
  }

  forEach(fn, thisArg = undefined) {
    if (typeof fn !== 'function') throw new TypeError("Headers.forEach: Argument 1 could not be converted to: Function.");
    for (const [k, v] of this.#sorted()) fn.call(thisArg, v, k, this);
  }

  *entries() {
    yield* this.#sorted();
  }

  *keys() {
    for (const [k] of this.#sorted()) yield k;
  }

  *values() {
    for (const [, v] of this.#sorted()) yield v;
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  static _freeze(h) {
    h.#guard = 'immutable';
    return h;
  }

  // [name, value, name, value, ...] with names as first given.
  static _flat(h) {
    const out = [];
    for (const e of h.#map.values()) for (const v of e.values) out.push(e.name, v);
    return out;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'Headers';
    const obj = {};
    for (const [k, v] of this.#sorted()) {
      if (k in obj) obj[k] = Array.isArray(obj[k]) ? [...obj[k], v] : [obj[k], v];
      else obj[k] = v;
    }
    return `Headers ${inspect ? inspect(obj, opts) : JSON.stringify(obj)}`;
  }
}
Object.defineProperty(Headers.prototype, Symbol.toStringTag, { value: 'Headers', configurable: true });

// --- bodies ----------------------------------------------------------------

function isStream(v) {
  return v !== null && typeof v === 'object' && typeof v.getReader === 'function' && typeof v.pipeTo === 'function';
}

// Returns { bytes, stream, type } for a body init.
function extractBody(init) {
  if (typeof init === 'string') return { bytes: utf8Encode(init), stream: null, type: 'text/plain;charset=UTF-8' };
  if (isSearchParams(init)) {
    return { bytes: utf8Encode(init.toString()), stream: null, type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (init instanceof Blob) return { bytes: init[kBytes], stream: null, type: init.type || null };
  if (init instanceof FormData) {
    const { bytes, type } = encodeFormData(init);
    return { bytes, stream: null, type };
  }
  if (init instanceof ArrayBuffer || Object.prototype.toString.call(init) === '[object ArrayBuffer]') {
    return { bytes: new Uint8Array(init.slice(0)), stream: null, type: null };
  }
  if (ArrayBuffer.isView(init)) {
    return { bytes: new Uint8Array(init.buffer, init.byteOffset, init.byteLength).slice(), stream: null, type: null };
  }
  if (isStream(init)) return { bytes: null, stream: init, type: null };
  if (init !== null && typeof init === 'object' && typeof init[Symbol.asyncIterator] === 'function') {
    return { bytes: null, stream: ws().ReadableStream.from(init), type: null };
  }
  return { bytes: utf8Encode(`${init}`), stream: null, type: 'text/plain;charset=UTF-8' };
}

function bytesStream(bytes) {
  return new (ws().ReadableStream)({
    type: 'bytes',
    start(controller) {
      if (bytes.length) controller.enqueue(bytes.slice());
      controller.close();
    },
  });
}

const kBody = Symbol('kBody');

class BodyState {
  constructor(bytes, stream) {
    this.bytes = bytes;
    this.stream = stream;
    this.used = false;
  }
}

function bodyOf(self) {
  return self[kBody];
}

function unusable() {
  return new TypeError('Body is unusable: Body has already been read');
}

async function consumeBytes(self) {
  const b = bodyOf(self);
  if (!b) return new Uint8Array(0);
  if (b.used || (b.stream && (b.stream.locked || b.stream._disturbed === true))) throw unusable();
  b.used = true;
  if (b.stream) return ws().readAllBytes(b.stream);
  return b.bytes;
}

function decodeText(bytes) {
  let s = state.host.utf8Decode(bytes, false);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s;
}

const BodyMixin = {
  get body() {
    const b = bodyOf(this);
    if (!b) return null;
    if (!b.stream) b.stream = bytesStream(b.bytes);
    return b.stream;
  },
  get bodyUsed() {
    const b = bodyOf(this);
    if (!b) return false;
    if (b.used) return true;
    return Boolean(b.stream && b.stream._disturbed === true);
  },
  arrayBuffer() {
    return consumeBytes(this).then((u8) => u8.slice().buffer);
  },
  bytes() {
    return consumeBytes(this).then((u8) => u8.slice());
  },
  text() {
    return consumeBytes(this).then(decodeText);
  },
  json() {
    return consumeBytes(this).then((u8) => JSON.parse(decodeText(u8)));
  },
  blob() {
    const type = this.headers.get('content-type') || '';
    return consumeBytes(this).then((u8) => new Blob([u8], { type }));
  },
  formData() {
    const type = (this.headers.get('content-type') || '').toLowerCase();
    return consumeBytes(this).then((u8) => {
      if (type.startsWith('application/x-www-form-urlencoded')) {
        const fd = new FormData();
        for (const [k, v] of new (urlModule().URLSearchParams)(decodeText(u8))) fd.append(k, v);
        return fd;
      }
      throw new TypeError(`Failed to parse body as FormData (corral reads only application/x-www-form-urlencoded bodies)`);
    });
  },
};

function mixBody(proto) {
  for (const key of Object.keys(Object.getOwnPropertyDescriptors(BodyMixin))) {
    Object.defineProperty(proto, key, { ...Object.getOwnPropertyDescriptor(BodyMixin, key), enumerable: true });
  }
}

function setBody(self, init, headers) {
  if (init === null || init === undefined) {
    Object.defineProperty(self, kBody, { value: null, writable: true });
    return;
  }
  const { bytes, stream, type } = extractBody(init);
  Object.defineProperty(self, kBody, { value: new BodyState(bytes, stream), writable: true });
  if (type && !headers.has('content-type')) headers.set('content-type', type);
}

function cloneBody(self, target) {
  const b = bodyOf(self);
  if (!b) {
    Object.defineProperty(target, kBody, { value: null, writable: true });
    return;
  }
  if (b.used || (b.stream && b.stream.locked)) throw new TypeError('Response.clone: Body has already been consumed.');
  if (b.stream) {
    const [s1, s2] = b.stream.tee();
    b.stream = s1;
    Object.defineProperty(target, kBody, { value: new BodyState(null, s2), writable: true });
  } else {
    Object.defineProperty(target, kBody, { value: new BodyState(b.bytes, null), writable: true });
  }
}

// --- Request ---------------------------------------------------------------

const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

function parseURL(input) {
  try {
    return new (urlModule().URL)(`${input}`);
  } catch (cause) {
    const err = new TypeError(`Failed to parse URL from ${input}`);
    err.cause = cause;
    throw err;
  }
}

class Request {
  #url;
  #method;
  #headers;
  #signal;
  #redirect;
  #init;

  constructor(input, init = {}) {
    if (arguments.length < 1) throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    if (init === null || init === undefined) init = {};
    let base = null;
    if (input instanceof Request) {
      base = input;
      this.#url = input.url;
    } else {
      const u = parseURL(input);
      if (u.username || u.password) {
        throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${input}`);
      }
      this.#url = u.href;
    }
    let method = init.method !== undefined ? `${init.method}` : base ? base.method : 'GET';
    if (init.method !== undefined) {
      if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
      const upper = method.toUpperCase();
      if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
      if (NORMALIZED.has(upper)) method = upper;
    }
    this.#method = method;
    this.#headers = new Headers(init.headers !== undefined ? init.headers : base ? base.headers : undefined);
    this.#redirect = init.redirect !== undefined ? `${init.redirect}` : base ? base.redirect : 'follow';
    if (!['follow', 'error', 'manual'].includes(this.#redirect)) {
      throw new TypeError(`Request constructor: ${this.#redirect} is not an accepted type. Expected one of follow, manual, error.`);
    }
    const signal = init.signal !== undefined ? init.signal : base ? base.signal : null;
    if (signal !== null && signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
    }
    this.#signal = signal || AbortSignal._create();
    this.#init = {
      mode: init.mode || (base ? base.mode : 'cors'),
      credentials: init.credentials || (base ? base.credentials : 'same-origin'),
      cache: init.cache || (base ? base.cache : 'default'),
      referrer: init.referrer !== undefined ? `${init.referrer}` : 'about:client',
      referrerPolicy: init.referrerPolicy || '',
      integrity: init.integrity || '',
      keepalive: Boolean(init.keepalive),
    };
    const hasBody = init.body !== undefined && init.body !== null;
    if (hasBody && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body.');
    }
    if (hasBody) {
      setBody(this, init.body, this.#headers);
    } else if (base && init.body === undefined) {
      cloneBody(base, this);
      const b = bodyOf(base);
      if (b) b.used = true;
    } else {
      setBody(this, null, this.#headers);
    }
  }

  get method() { return this.#method; }
  get url() { return this.#url; }
  get headers() { return this.#headers; }
  get signal() { return this.#signal; }
  get redirect() { return this.#redirect; }
  get destination() { return ''; }
  get referrer() { return this.#init.referrer === 'about:client' ? 'about:client' : this.#init.referrer; }
  get referrerPolicy() { return this.#init.referrerPolicy; }
  get mode() { return this.#init.mode; }
  get credentials() { return this.#init.credentials; }
  get cache() { return this.#init.cache; }
  get integrity() { return this.#init.integrity; }
  get keepalive() { return this.#init.keepalive; }
  get duplex() { return 'half'; }

  clone() {
    const copy = new Request(this.#url, {
      method: this.#method, headers: this.#headers, signal: this.#signal, redirect: this.#redirect,
    });
    cloneBody(this, copy);
    return copy;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'Request';
    const body = {
      method: this.#method, url: this.#url, headers: this.#headers, destination: '', referrer: this.referrer,
      referrerPolicy: this.referrerPolicy, mode: this.mode, credentials: this.credentials, cache: this.cache,
      redirect: this.#redirect, integrity: this.integrity, keepalive: this.keepalive, isReloadNavigation: false,
      isHistoryNavigation: false, signal: this.#signal,
    };
    return `Request ${inspect ? inspect(body, opts) : JSON.stringify(body)}`;
  }
}
mixBody(Request.prototype);
Object.defineProperty(Request.prototype, Symbol.toStringTag, { value: 'Request', configurable: true });

// --- Response --------------------------------------------------------------

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const kInternal = Symbol('kInternal');

class Response {
  #status;
  #statusText;
  #headers;
  #type = 'default';
  #url = '';
  #redirected = false;

  constructor(body = null, init = {}) {
    if (init === null || init === undefined) init = {};
    if (init === kInternal) return;
    if (typeof init !== 'object') throw new TypeError("Response constructor: init must be an object");
    const status = init.status !== undefined ? Number(init.status) : 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
    }
    const statusText = init.statusText !== undefined ? `${init.statusText}` : '';
    if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError('Invalid statusText');
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    if (body !== null && body !== undefined && NULL_BODY.has(status)) {
      throw new TypeError(`Response constructor: Invalid response status code ${status}`);
    }
    setBody(this, body, this.#headers);
  }

  static _make({ status, statusText = '', headers, body = null, type = 'default', url = '', redirected = false, stream = null }) {
    const r = new Response(null, kInternal);
    r.#status = status;
    r.#statusText = statusText;
    r.#headers = headers instanceof Headers ? headers : new Headers(headers);
    r.#type = type;
    r.#url = url;
    r.#redirected = redirected;
    if (stream) Object.defineProperty(r, kBody, { value: new BodyState(null, stream), writable: true });
    else if (body === null) Object.defineProperty(r, kBody, { value: null, writable: true });
    else Object.defineProperty(r, kBody, { value: new BodyState(body, null), writable: true });
    return r;
  }

  static error() {
    return Response._make({ status: 0, headers: Headers._freeze(new Headers()), type: 'error' });
  }

  static redirect(url, status = 302) {
    const u = parseURL(url);
    if (!REDIRECTS.has(status)) throw new RangeError(`Invalid status code ${status}`);
    const headers = new Headers({ location: u.href });
    return Response._make({ status, headers: Headers._freeze(headers) });
  }

  static json(data = undefined, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const headers = new Headers(init && init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...(init || {}), headers });
  }

  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get headers() { return this.#headers; }
  get type() { return this.#type; }
  get url() { return this.#url; }
  get redirected() { return this.#redirected; }

  clone() {
    const r = Response._make({
      status: this.#status, statusText: this.#statusText, headers: new Headers(this.#headers), type: this.#type,
      url: this.#url, redirected: this.#redirected,
    });
    cloneBody(this, r);
    return r;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'Response';
    const body = {
      status: this.#status, statusText: this.#statusText, headers: this.#headers, body: bodyOf(this) ? this.body : null,
      bodyUsed: this.bodyUsed, ok: this.ok, redirected: this.#redirected, type: this.#type, url: this.#url,
    };
    return `Response ${inspect ? inspect(body, opts) : JSON.stringify(body)}`;
  }
}
mixBody(Response.prototype);
Object.defineProperty(Response.prototype, Symbol.toStringTag, { value: 'Response', configurable: true });

// --- fetch -----------------------------------------------------------------

function fetchFailed(cause) {
  const err = new TypeError('fetch failed');
  err.cause = cause;
  return err;
}

function dataURL(url) {
  const body = url.href.slice(5);
  const comma = body.indexOf(',');
  if (comma < 0) throw fetchFailed(new Error('invalid data: URL'));
  let mime = body.slice(0, comma).trim();
  let data = body.slice(comma + 1);
  const hashAt = data.indexOf('#');
  if (hashAt >= 0) data = data.slice(0, hashAt);
  const base64 = /;\s*base64$/i.test(mime);
  if (base64) mime = mime.replace(/;\s*base64$/i, '');
  if (!mime || mime.startsWith(';')) mime = `text/plain${mime || ';charset=US-ASCII'}`;
  let bytes;
  const raw = decodeURIComponentBytes(data);
  if (base64) {
    bytes = decodeToBytes(String.fromCharCode.apply(null, raw).replace(/[\t\n\f\r ]/g, ''));
  } else {
    bytes = raw;
  }
  return Response._make({ status: 200, statusText: 'OK', headers: { 'content-type': mime }, body: bytes, url: url.href });
}

function decodeURIComponentBytes(s) {
  const out = [];
  const enc = utf8Encode(s);
  for (let i = 0; i < enc.length; i++) {
    const c = enc[i];
    if (c === 37 && i + 2 < enc.length) {
      const h = String.fromCharCode(enc[i + 1], enc[i + 2]);
      if (/^[0-9a-fA-F]{2}$/.test(h)) {
        out.push(parseInt(h, 16));
        i += 2;
        continue;
      }
    }
    out.push(c);
  }
  return new Uint8Array(out);
}

function fetch(input, init = undefined) {
  return new Promise((resolve, reject) => {
    if (arguments.length < 1) throw new TypeError("Failed to execute 'fetch' on 'Window': 1 argument required, but only 0 present.");
    const request = new Request(input, init);
    const signal = request.signal;
    if (signal.aborted) throw signal.reason;
    const url = new (urlModule().URL)(request.url);
    if (url.protocol === 'data:') {
      resolve(dataURL(url));
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw fetchFailed(new Error(`unknown scheme ${url.protocol.slice(0, -1)}`));
    }
    const host = state.host;
    if (!host || typeof host.fetch !== 'function') {
      throw new TypeError('fetch is not available: this corral build has no network egress');
    }
    let settled = false;
    let id = null;
    // A body that is still arriving (the host said `more`): its stream and
    // the controller the later chunks go to.
    let controller = null;
    let done = false;
    const giveUp = () => {
      if (id !== null && !done && typeof host.fetchAbort === 'function') host.fetchAbort(id);
      done = true;
    };
    const onAbort = () => {
      if (controller) {
        if (!done) {
          giveUp();
          try {
            controller.error(signal.reason);
          } catch {
            // The stream is closed or errored already.
          }
        }
        return;
      }
      if (settled) return;
      settled = true;
      giveUp();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const bodyPromise = bodyOf(request) ? consumeBytes(request) : Promise.resolve(null);
    bodyPromise.then((bytes) => {
      if (settled) return;
      id = host.fetch(request.url, request.method, Headers._flat(request.headers), bytes, (err, status, statusText, headers, body, more) => {
        if (controller) {
          // More of a streamed body, or its end.
          if (done) return;
          if (body && body.length) controller.enqueue(body);
          if (err !== null && err !== undefined) {
            done = true;
            signal.removeEventListener('abort', onAbort);
            controller.error(fetchFailed(new Error(`${err}`)));
          } else if (!more) {
            done = true;
            signal.removeEventListener('abort', onAbort);
            controller.close();
          }
          return;
        }
        if (settled) return;
        settled = true;
        if (!more) signal.removeEventListener('abort', onAbort);
        if (err !== null && err !== undefined) {
          reject(fetchFailed(new Error(`${err}`)));
          return;
        }
        const list = [];
        if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) list.push([headers[i], headers[i + 1]]);
        const h = new Headers();
        for (const [k, v] of list) {
          try {
            h.append(k, v);
          } catch {
            // A header the standard would not accept is dropped.
          }
        }
        const noBody = NULL_BODY.has(status) || request.method === 'HEAD';
        let stream = null;
        if (more) {
          // The rest arrives chunk by chunk, as the upstream sends it;
          // cancelling the reader stops the upstream request.
          stream = new (ws().ReadableStream)({
            type: 'bytes',
            start(c) {
              controller = c;
              if (body && body.length) c.enqueue(body);
            },
            // A read waits: the fetch keeps the execution alive until the
            // next chunk (an unread body does not).
            pull() {
              if (!done && typeof host.fetchWant === 'function') host.fetchWant(id);
            },
            cancel() {
              giveUp();
              signal.removeEventListener('abort', onAbort);
            },
          });
          if (noBody) {
            stream.cancel();
            stream = null;
          }
        }
        resolve(Response._make({
          status, statusText: statusText || '', headers: h, stream,
          body: noBody ? null : body || new Uint8Array(0), url: request.url,
        }));
      });
    }, (e) => {
      if (settled) return;
      settled = true;
      reject(e);
    });
  });
}

module.exports = { Headers, Request, Response, fetch };
