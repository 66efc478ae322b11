// Node's http and https clients over fetch() (as workerd's nodejs_compat
// does): http.request / http.get / https.request with ClientRequest (a
// Writable) and IncomingMessage (a Readable fed by the fetch body's stream,
// chunk by chunk), their usual events ('response', 'data', 'end', 'error',
// 'close', 'finish', 'timeout', 'socket'), through the execution's egress
// policy like any fetch. What needs a socket of its own (createServer,
// listen, upgrades, CONNECT) loads, so a bundle that only imports it loads,
// and throws ERR_CORRAL_FORBIDDEN when used.
//
// What differs from Node: a request body is sent when end() is called (the
// host takes whole bodies); there are no real sockets (req.socket is an
// EventEmitter with the methods packages call on one); rawHeaders come from
// the folded Headers (names lower case); informational (1xx) responses are
// not seen.

'use strict';

const EventEmitter = require('./events.js');
const { Readable, Writable } = require('./stream.js');
const { Buffer } = require('./buffer.js');
const fnhttp = require('../fn/http.js');
const process = require('./process_object.js');
const { nodeError, invalidArgType } = require('../errors.js');

const METHODS = ['ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH',
  'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK',
  'UNSUBSCRIBE'];

const SANDBOX = 'corral runs code in a sandbox without sockets of its own';

function forbidden(what, hint = '') {
  return nodeError(Error, 'ERR_CORRAL_FORBIDDEN', `${what} is not available: ${SANDBOX}${hint}`);
}

// A socket stand-in: what packages call on req.socket / res.socket.
class FakeSocket extends EventEmitter {
  constructor(host, port, secure) {
    super();
    this.remoteAddress = undefined;
    this.remotePort = port;
    this.remoteFamily = undefined;
    this.localAddress = undefined;
    this.localPort = undefined;
    this.servername = host;
    this.encrypted = secure || undefined;
    this.authorized = secure ? true : undefined;
    this.connecting = false;
    this.destroyed = false;
    this.readable = true;
    this.writable = true;
  }

  setTimeout(ms, cb) {
    if (cb) this.once('timeout', cb);
    return this;
  }

  setNoDelay() {
    return this;
  }

  setKeepAlive() {
    return this;
  }

  ref() {
    return this;
  }

  unref() {
    return this;
  }

  address() {
    return {};
  }

  getPeerCertificate() {
    return {};
  }

  destroy() {
    this.destroyed = true;
    return this;
  }

  end() {
    return this;
  }

  write() {
    return true;
  }
}

class Agent extends EventEmitter {
  constructor(options = {}) {
    super();
    this.options = { path: null, ...options };
    this.defaultPort = options.defaultPort || 80;
    this.protocol = options.protocol || 'http:';
    this.keepAlive = Boolean(options.keepAlive);
    this.keepAliveMsecs = options.keepAliveMsecs || 1000;
    this.maxSockets = options.maxSockets || Infinity;
    this.maxFreeSockets = options.maxFreeSockets || 256;
    this.maxTotalSockets = options.maxTotalSockets || Infinity;
    this.scheduling = options.scheduling || 'lifo';
    this.totalSocketCount = 0;
    this.sockets = Object.create(null);
    this.freeSockets = Object.create(null);
    this.requests = Object.create(null);
  }

  createConnection() {
    throw forbidden('Agent#createConnection', ' (requests go through fetch)');
  }

  getName(options = {}) {
    return `${options.host || 'localhost'}:${options.port || ''}:${options.localAddress || ''}`;
  }

  keepSocketAlive() {
    return false;
  }

  reuseSocket() {}

  destroy() {}
}

// The Node error for a fetch that failed, from the host's message.
function netError(err) {
  const cause = (err && err.cause) || err;
  const msg = `${(cause && cause.message) || err}`;
  let code = 'ECONNRESET';
  if (/^refused/.test(msg)) code = 'ERR_CORRAL_FORBIDDEN';
  else if (/timed out/i.test(msg)) code = 'ETIMEDOUT';
  else if (/resolve/i.test(msg)) code = 'ENOTFOUND';
  else if (/connect/i.test(msg)) code = 'ECONNREFUSED';
  else if (/cap/.test(msg)) code = 'ERR_CORRAL_FETCH_CAP';
  const e = nodeError(Error, code, msg);
  if (code !== 'ERR_CORRAL_FORBIDDEN') e.errno = code;
  return e;
}

// A response: a Readable over the fetch body's reader.
class IncomingMessage extends Readable {
  constructor(socket) {
    super();
    this.socket = socket;
    this.httpVersion = '1.1';
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.headers = {};
    this.headersDistinct = {};
    this.rawHeaders = [];
    this.trailers = {};
    this.rawTrailers = [];
    this.url = '';
    this.method = null;
    this.statusCode = null;
    this.statusMessage = null;
    this.complete = false;
    this.aborted = false;
    this._reader = null;
    this._reading = false;
  }

  get connection() {
    return this.socket;
  }

  setTimeout(ms, cb) {
    if (this.req) this.req.setTimeout(ms, cb);
    return this;
  }

  _read() {
    if (!this._reader || this._reading) return;
    this._reading = true;
    this._reader.read().then(({ value, done }) => {
      this._reading = false;
      if (this.req) this.req._activity();
      if (done) {
        this.complete = true;
        this.push(null);
        return;
      }
      if (this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength))) this._read();
    }, (err) => {
      this._reading = false;
      if (this.destroyed) return;
      this.aborted = true;
      this.emit('aborted');
      this.destroy(nodeError(Error, 'ECONNRESET', `aborted: ${netError(err).message}`));
    });
  }

  _destroy(err, cb) {
    if (this._reader && !this.complete) this._reader.cancel().catch(() => {});
    cb(err);
  }
}

function headersOf(value) {
  const out = Object.create(null);
  if (!value) return out;
  if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) out[`${value[i]}`.toLowerCase()] = value[i + 1];
    return out;
  }
  for (const k of Object.keys(value)) out[k.toLowerCase()] = value[k];
  return out;
}

class ClientRequest extends Writable {
  constructor(input, options, cb, defaults) {
    super({ decodeStrings: true, autoDestroy: false, emitClose: true });
    const opts = requestOptions(input, options, defaults);
    if (typeof cb === 'function') this.once('response', cb);
    const method = `${opts.method || 'GET'}`.toUpperCase();
    if (!fnhttp.TOKEN.test(method)) {
      throw nodeError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `Method must be a valid HTTP token ["${opts.method}"]`);
    }
    if (method === 'CONNECT') throw forbidden('CONNECT');
    if (opts.socketPath) throw forbidden('A request over a Unix socket (socketPath)');
    this.method = method;
    this.protocol = opts.protocol;
    this.host = opts.hostname;
    this.path = opts.path;
    this.agent = opts.agent;
    this.aborted = false;
    this.reusedSocket = false;
    this.maxHeadersCount = null;
    this.finished = false;
    this.res = null;
    this.socket = new FakeSocket(opts.hostname, opts.port, opts.protocol === 'https:');
    this._headers = Object.create(null); // lower-case name -> [name, value]
    this._chunks = [];
    this._sent = false;
    this._timeoutMs = 0;
    this._timer = null;
    this._abort = new AbortController();
    const port = opts.port && `${opts.port}` !== (opts.protocol === 'https:' ? '443' : '80') ? `:${opts.port}` : '';
    const hostname = opts.hostname.includes(':') && !opts.hostname.startsWith('[') ? `[${opts.hostname}]` : opts.hostname;
    this._url = `${opts.protocol}//${hostname}${port}${opts.path}`;
    const hs = headersOf(opts.headers);
    for (const k of Object.keys(hs)) this.setHeader(k, hs[k]);
    // Node sets Host unless told not to (it is not sent: fetch sets it).
    if (opts.setHost !== false && !this.hasHeader('host')) this.setHeader('Host', `${hostname}${port}`);
    if (opts.auth && !this.hasHeader('authorization')) {
      this.setHeader('Authorization', `Basic ${Buffer.from(`${opts.auth}`).toString('base64')}`);
    }
    if (opts.signal) {
      if (opts.signal.aborted) process.nextTick(() => this.destroy(abortError(opts.signal.reason)));
      else opts.signal.addEventListener('abort', () => this.destroy(abortError(opts.signal.reason)), { once: true });
    }
    if (opts.timeout) this.setTimeout(opts.timeout);
    process.nextTick(() => {
      if (!this.destroyed) this.emit('socket', this.socket);
    });
  }

  get connection() {
    return this.socket;
  }

  get headersSent() {
    return this._sent;
  }

  setHeader(name, value) {
    if (this._sent) throw nodeError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
    fnhttp.checkHeaderName(name);
    fnhttp.checkHeaderValue(name, value);
    this._headers[name.toLowerCase()] = [name, value];
    return this;
  }

  getHeader(name) {
    const h = this._headers[`${name}`.toLowerCase()];
    return h ? h[1] : undefined;
  }

  hasHeader(name) {
    return `${name}`.toLowerCase() in this._headers;
  }

  removeHeader(name) {
    if (this._sent) throw nodeError(Error, 'ERR_HTTP_HEADERS_SENT', 'Cannot remove headers after they are sent to the client');
    delete this._headers[`${name}`.toLowerCase()];
  }

  getHeaders() {
    const out = Object.create(null);
    for (const k of Object.keys(this._headers)) out[k] = this._headers[k][1];
    return out;
  }

  getHeaderNames() {
    return Object.keys(this._headers);
  }

  getRawHeaderNames() {
    return Object.keys(this._headers).map((k) => this._headers[k][0]);
  }

  flushHeaders() {}

  setNoDelay() {}

  setSocketKeepAlive() {}

  setTimeout(ms, cb) {
    if (cb) this.once('timeout', cb);
    this._timeoutMs = ms | 0;
    this._activity();
    return this;
  }

  _activity() {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    if (this._timeoutMs > 0 && !this.destroyed && !(this.res && this.res.complete)) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this.emit('timeout');
        this.socket.emit('timeout');
      }, this._timeoutMs);
    }
  }

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    process.nextTick(() => this.emit('abort'));
    this.destroy();
  }

  _write(chunk, encoding, cb) {
    this._chunks.push(chunk);
    cb();
  }

  _final(cb) {
    this._send();
    cb();
  }

  _send() {
    if (this._sent) return;
    this._sent = true;
    this.finished = true;
    const headers = [];
    for (const k of Object.keys(this._headers)) {
      const [name, value] = this._headers[k];
      if (k === 'host' || k === 'content-length' || k === 'connection' || k === 'transfer-encoding') continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.push([name, `${v}`]);
    }
    const body = this._chunks.length ? Buffer.concat(this._chunks) : null;
    const init = { method: this.method, headers, signal: this._abort.signal, redirect: 'manual' };
    if (body && this.method !== 'GET' && this.method !== 'HEAD') init.body = body;
    fetch(this._url, init).then((r) => this._response(r), (err) => {
      if (this.destroyed) return;
      this.destroy(netError(err));
    });
  }

  _response(r) {
    if (this.destroyed) {
      if (r.body) r.body.cancel().catch(() => {});
      return;
    }
    const res = new IncomingMessage(this.socket);
    res.req = this;
    this.res = res;
    res.statusCode = r.status;
    res.statusMessage = r.statusText || fnhttp.STATUS[r.status] || '';
    const flat = [];
    for (const [k, v] of r.headers) {
      if (k === 'set-cookie') continue;
      flat.push(k, v);
    }
    const cookies = typeof r.headers.getSetCookie === 'function' ? r.headers.getSetCookie() : [];
    for (const c of cookies) flat.push('set-cookie', c);
    res.rawHeaders = flat;
    res.headers = fnhttp.foldHeaders(flat);
    for (let i = 0; i + 1 < flat.length; i += 2) (res.headersDistinct[flat[i]] ||= []).push(flat[i + 1]);
    res._reader = r.body ? r.body.getReader() : null;
    if (!res._reader) {
      res.complete = true;
      res.push(null);
    }
    res.on('end', () => {
      this._activity();
      // Node's request closes once its response has ended.
      process.nextTick(() => {
        if (this.destroyed) return;
        this._closing = true;
        this.destroy();
      });
    });
    this._activity();
    if (!this.emit('response', res)) res.resume(); // no listener: Node discards the body
  }

  _destroy(err, cb) {
    if (this._timer) clearTimeout(this._timer);
    this._timer = null;
    // Destroyed before its response: Node's "socket hang up".
    if (!err && !this.res && !this.aborted && !this._closing) err = nodeError(Error, 'ECONNRESET', 'socket hang up');
    if (!this._closing) this._abort.abort();
    if (this.res && !this.res.complete && !this.res.destroyed) this.res.destroy(err || undefined);
    cb(err);
  }
}

function abortError(reason) {
  const e = nodeError(Error, 'ABORT_ERR', 'The operation was aborted');
  e.name = 'AbortError';
  if (reason !== undefined) e.cause = reason;
  return e;
}

// request(url[, options][, cb]) and request(options[, cb]): one options
// object with protocol, hostname, port and path.
function requestOptions(input, options, defaults) {
  let opts = {};
  if (typeof input === 'string' || (input && typeof input === 'object' && typeof input.href === 'string' && typeof input.searchParams === 'object')) {
    let u;
    try {
      u = new URL(`${input}`);
    } catch {
      throw nodeError(TypeError, 'ERR_INVALID_URL', 'Invalid URL');
    }
    opts = {
      protocol: u.protocol, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port,
      path: `${u.pathname}${u.search}`, auth: u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : undefined,
    };
    if (options && typeof options === 'object') opts = { ...opts, ...options };
  } else if (input && typeof input === 'object') {
    opts = { ...input };
  } else if (input !== undefined && input !== null) {
    throw invalidArgType('"url" argument', ['string', 'URL', 'Object'], input);
  }
  const protocol = opts.protocol || defaults.protocol;
  if (protocol !== defaults.protocol) {
    throw nodeError(TypeError, 'ERR_INVALID_PROTOCOL', `Protocol "${protocol}" not supported. Expected "${defaults.protocol}"`);
  }
  const hostname = opts.hostname || (opts.host ? `${opts.host}`.replace(/:\d+$/, '') : 'localhost');
  const path = opts.path || '/';
  if (/[\u0000-\u0020]/.test(path)) throw nodeError(TypeError, 'ERR_UNESCAPED_CHARACTERS', 'Request path contains unescaped characters');
  return {
    ...opts, protocol, hostname, path, port: opts.port || opts.defaultPort || defaults.port,
    agent: opts.agent === undefined ? defaults.agent : opts.agent,
  };
}

function makeModule(protocol, port) {
  const globalAgent = new Agent({ defaultPort: port, protocol });
  const defaults = { protocol, port, agent: globalAgent };
  function request(input, options, cb) {
    if (typeof options === 'function') {
      cb = options;
      options = undefined;
    }
    return new ClientRequest(input, options, cb, defaults);
  }
  function get(input, options, cb) {
    const req = request(input, options, cb);
    req.end();
    return req;
  }
  return { request, get, globalAgent, Agent };
}

// The server side: the classes load (packages extend or inspect them at
// load time; function mode's own request and response are what express
// sets its prototypes over), a server cannot be made.
function serverClasses() {
  const { IncomingRequest } = require('../fn/request.js');
  const { ServerResponse } = require('../fn/response.js');
  return { IncomingRequest, ServerResponse };
}

class Server extends EventEmitter {
  constructor() {
    super();
    throw forbidden('http.Server', ' (a function deploy answers HTTP: module.exports = app)');
  }
}

function createServer() {
  throw forbidden('http.createServer', ' (a function deploy answers HTTP: module.exports = app)');
}

function validateHeaderName(name) {
  fnhttp.checkHeaderName(name);
}

function validateHeaderValue(name, value) {
  fnhttp.checkHeaderValue(name, value);
}

function build(protocol, port) {
  const m = makeModule(protocol, port);
  const out = {
    METHODS, STATUS_CODES: { ...fnhttp.STATUS }, Agent, globalAgent: m.globalAgent, ClientRequest,
    OutgoingMessage: Writable, Server, createServer, request: m.request, get: m.get,
    validateHeaderName, validateHeaderValue, maxHeaderSize: 16384, setMaxIdleHTTPParsers() {},
  };
  Object.defineProperty(out, 'IncomingMessage', { enumerable: true, get: () => serverClasses().IncomingRequest });
  Object.defineProperty(out, 'ServerResponse', { enumerable: true, get: () => serverClasses().ServerResponse });
  return out;
}

module.exports = { http: () => build('http:', 80), https: () => build('https:', 443), forbidden, IncomingMessage };
