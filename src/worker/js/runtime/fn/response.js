// The `res` of a function-mode handler: Node's ServerResponse with Express
// 4's methods, writing through an Outlet (fn/outlet.js) to the C side's
// sink. Header checks and errors are Node's (ERR_INVALID_HTTP_TOKEN,
// ERR_INVALID_CHAR, ERR_HTTP_HEADERS_SENT, ERR_HTTP_INVALID_STATUS_CODE);
// Express's methods follow Express 4.21 (see docs/internals/runtime.md,
// "Function mode", for what differs: no ETag, no X-Powered-By, no views).
//
// The head goes to the sink at writeHead(), flushHeaders(), the first
// write() or end(), whichever comes first; headers are frozen from then on.
// end() without a prior write() sets Content-Length when the handler did
// not set it or Transfer-Encoding (as Node does). A second end() is
// ignored; write() after end() is reported (an 'error' event when res has
// listeners, else a line on stderr), not thrown, as in Node.

'use strict';

const state = require('../state.js');
const EventEmitter = require('../node/events.js');
const { invalidArgType } = require('../errors.js');
const http = require('./http.js');

const kHeaders = Symbol('kHeaders');
const kOut = Symbol('kOut');
const kEnded = Symbol('kEnded');
const kReport = Symbol('kReport');

function isBytes(v) {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

function bytesOf(chunk, encoding) {
  if (typeof chunk === 'string') {
    if (encoding === undefined || encoding === null || /^utf-?8$/i.test(encoding)) return state.host.utf8Encode(chunk);
    return require('../node/buffer.js').Buffer.from(chunk, encoding);
  }
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function checkChunk(chunk) {
  if (chunk === null) throw http.nodeError(TypeError, 'ERR_STREAM_NULL_VALUES', 'May not write null values to stream');
  if (typeof chunk !== 'string' && !isBytes(chunk)) throw invalidArgType('chunk', ['string', 'Buffer', 'Uint8Array'], chunk);
}

function later(fn) {
  state.queueMicrotask(fn);
}

class ServerResponse extends EventEmitter {
  constructor(req, outlet, report) {
    super();
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.locals = Object.create(null);
    this.req = req;
    this.sendDate = true;
    this.writable = true;
    this.writableFinished = false;
    this.socket = req.socket;
    this.connection = req.socket;
    req.res = this;
    Object.defineProperty(this, kHeaders, { value: new Map() });
    Object.defineProperty(this, kOut, { value: outlet });
    Object.defineProperty(this, kEnded, { value: false, writable: true });
    Object.defineProperty(this, kReport, { value: report });
  }

  get headersSent() {
    return this[kOut].headSent;
  }

  get writableEnded() {
    return this[kEnded];
  }

  get finished() {
    return this[kEnded];
  }

  // --- Node's header API ------------------------------------------------

  setHeader(name, value) {
    if (this[kOut].headSent) throw http.headersSentError('set');
    http.checkHeaderName(name);
    http.checkHeaderValue(name, value);
    this[kHeaders].set(name.toLowerCase(), { name, value });
    return this;
  }

  appendHeader(name, value) {
    if (this[kOut].headSent) throw http.headersSentError('append');
    http.checkHeaderName(name);
    http.checkHeaderValue(name, value);
    const key = name.toLowerCase();
    const e = this[kHeaders].get(key);
    if (!e) this[kHeaders].set(key, { name, value });
    else e.value = [].concat(e.value, value);
    return this;
  }

  getHeader(name) {
    if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
    const e = this[kHeaders].get(name.toLowerCase());
    return e ? e.value : undefined;
  }

  getHeaders() {
    const out = Object.create(null);
    for (const [k, e] of this[kHeaders]) out[k] = e.value;
    return out;
  }

  getHeaderNames() {
    return [...this[kHeaders].keys()];
  }

  hasHeader(name) {
    if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
    return this[kHeaders].has(name.toLowerCase());
  }

  removeHeader(name) {
    if (typeof name !== 'string') throw invalidArgType('name', 'string', name);
    if (this[kOut].headSent) throw http.headersSentError('remove');
    this[kHeaders].delete(name.toLowerCase());
  }

  // The headers as the sink takes them: [name, value, ...], names as set.
  flatHeaders() {
    const flat = [];
    for (const e of this[kHeaders].values()) {
      if (Array.isArray(e.value)) for (const v of e.value) flat.push(e.name, `${v}`);
      else flat.push(e.name, `${e.value}`);
    }
    return flat;
  }

  // --- Node's writing API -------------------------------------------------

  writeHead(statusCode, reason, headers) {
    if (this[kOut].headSent) throw http.headersSentError('write');
    if (typeof reason !== 'string') {
      headers = reason;
      reason = undefined;
    }
    const code = http.checkStatus(statusCode);
    if (reason !== undefined) this.statusMessage = reason;
    if (headers) {
      if (Array.isArray(headers)) {
        if (headers.length && Array.isArray(headers[0])) {
          for (const [k, v] of headers) this.appendHeader(k, v);
        } else {
          if (headers.length % 2 !== 0) throw http.nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', "The argument 'headers' is invalid.");
          for (let i = 0; i < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
        }
      } else {
        for (const k of Object.keys(headers)) this.setHeader(k, headers[k]);
      }
    }
    this.statusCode = code;
    this[kOut].head(code, this.flatHeaders());
    return this;
  }

  flushHeaders() {
    if (!this[kOut].headSent) this.writeHead(this.statusCode);
  }

  write(chunk, encoding, cb) {
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (this[kEnded]) {
      const err = http.nodeError(Error, 'ERR_STREAM_WRITE_AFTER_END', 'write after end');
      later(() => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
        else this[kReport](err);
        if (typeof cb === 'function') cb(err);
      });
      return false;
    }
    checkChunk(chunk);
    const bytes = bytesOf(chunk, encoding);
    if (!this[kOut].headSent) this.writeHead(this.statusCode);
    this[kOut].write(bytes);
    if (typeof cb === 'function') later(cb);
    return true;
  }

  end(chunk, encoding, cb) {
    if (typeof chunk === 'function') {
      cb = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (this[kEnded]) {
      if (typeof cb === 'function') later(cb);
      return this;
    }
    let bytes = null;
    if (chunk !== undefined && chunk !== null) {
      checkChunk(chunk);
      bytes = bytesOf(chunk, encoding);
    }
    const out = this[kOut];
    if (!out.headSent) {
      const s = this.statusCode | 0;
      if (!this.hasHeader('content-length') && !this.hasHeader('transfer-encoding') && this.req.method !== 'HEAD'
          && s !== 204 && s !== 304) {
        this.setHeader('Content-Length', bytes ? bytes.byteLength : 0);
      }
      this.writeHead(this.statusCode);
    }
    if (bytes) out.write(bytes);
    this[kEnded] = true;
    this.writable = false;
    out.end();
    later(() => {
      this.writableFinished = true;
      this.emit('finish');
      this.emit('close');
    });
    if (typeof cb === 'function') this.once('finish', cb);
    return this;
  }

  // res.destroy([err]): the response is abandoned; the invocation fails
  // with err (or an Error saying so) unless the response had ended.
  destroy(err) {
    if (!this[kEnded]) this[kOut].fail(err || new Error('the response was destroyed before it ended'));
    return this;
  }

  setTimeout(ms, cb) {
    void ms;
    void cb;
    return this;
  }

  addTrailers() {}

  cork() {}

  uncork() {}

  writeContinue() {}

  writeProcessing() {}

  writeEarlyHints() {}

  // --- Express ------------------------------------------------------------

  status(code) {
    this.statusCode = code;
    return this;
  }

  sendStatus(code) {
    const body = http.STATUS[code] || `${code}`;
    this.statusCode = code;
    this.type('txt');
    return this.send(body);
  }

  set(field, val) {
    if (arguments.length === 2) {
      let value = Array.isArray(val) ? val.map(String) : `${val}`;
      if (field.toLowerCase() === 'content-type') {
        if (Array.isArray(value)) throw new TypeError('Content-Type cannot be set to an Array');
        if (!/;\s*charset\s*=/i.test(value)) {
          const cs = http.charsetFor(value.split(';')[0]);
          if (cs) value += `; charset=${cs}`;
        }
      }
      this.setHeader(field, value);
    } else {
      for (const key in field) this.set(key, field[key]);
    }
    return this;
  }

  header(field, val) {
    return arguments.length === 2 ? this.set(field, val) : this.set(field);
  }

  get(field) {
    return this.getHeader(field);
  }

  append(field, val) {
    const prev = this.get(field);
    let value = val;
    if (prev) {
      value = Array.isArray(prev) ? prev.concat(val) : Array.isArray(val) ? [prev].concat(val) : [prev, val];
    }
    return this.set(field, value);
  }

  type(type) {
    const ct = `${type}`.indexOf('/') === -1 ? http.lookup(type) : type;
    return this.set('Content-Type', ct);
  }

  contentType(type) {
    return this.type(type);
  }

  vary(field) {
    const fields = (Array.isArray(field) ? field : `${field}`.split(',')).map((f) => f.trim()).filter(Boolean);
    let val = this.getHeader('Vary') || '';
    val = Array.isArray(val) ? val.join(', ') : `${val}`;
    if (val === '*') return this;
    const have = val.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
    for (const f of fields) {
      if (f === '*') {
        val = '*';
        break;
      }
      if (!have.includes(f.toLowerCase())) {
        have.push(f.toLowerCase());
        val = val ? `${val}, ${f}` : f;
      }
    }
    if (val) this.setHeader('Vary', val);
    return this;
  }

  links(links) {
    let link = this.get('Link') || '';
    if (link) link += ', ';
    return this.set('Link', link + Object.keys(links).map((rel) => `<${links[rel]}>; rel="${rel}"`).join(', '));
  }

  location(url) {
    let loc = url;
    if (url === 'back') loc = this.req.get('Referrer') || '/';
    return this.set('Location', http.encodeUrl(loc));
  }

  attachment(filename) {
    if (filename) this.type(`${filename}`.replace(/^.*[/\\]/, '').replace(/^[^.]*$/, ''));
    this.set('Content-Disposition', contentDisposition(filename));
    return this;
  }

  json(obj) {
    let val = obj;
    if (arguments.length === 2) {
      if (typeof arguments[1] === 'number') {
        this.statusCode = arguments[1];
      } else {
        this.statusCode = arguments[0];
        val = arguments[1];
      }
    }
    const body = JSON.stringify(val);
    if (!this.get('Content-Type')) this.set('Content-Type', 'application/json');
    return this.send(body);
  }

  send(body) {
    let chunk = body;
    if (arguments.length === 2) {
      if (typeof arguments[0] !== 'number' && typeof arguments[1] === 'number') {
        this.statusCode = arguments[1];
      } else {
        this.statusCode = arguments[0];
        chunk = arguments[1];
      }
    }
    if (typeof chunk === 'number' && arguments.length === 1) {
      // Express 4's deprecated res.send(status).
      if (!this.get('Content-Type')) this.type('txt');
      this.statusCode = chunk;
      chunk = http.STATUS[chunk];
    }
    switch (typeof chunk) {
      case 'string':
        if (!this.get('Content-Type')) this.type('html');
        break;
      case 'boolean':
      case 'number':
      case 'object':
        if (chunk === null) {
          chunk = '';
        } else if (isBytes(chunk)) {
          if (!this.get('Content-Type')) this.type('bin');
        } else {
          return this.json(chunk);
        }
        break;
      default:
    }
    let bytes = null;
    if (typeof chunk === 'string') {
      const type = this.get('Content-Type');
      if (typeof type === 'string') this.set('Content-Type', http.setCharset(type, 'utf-8'));
      bytes = state.host.utf8Encode(chunk);
    } else if (chunk !== undefined) {
      bytes = bytesOf(chunk);
    }
    if (bytes !== null) this.set('Content-Length', bytes.byteLength);
    const s = this.statusCode;
    if (s === 204 || s === 304) {
      this.removeHeader('Content-Type');
      this.removeHeader('Content-Length');
      this.removeHeader('Transfer-Encoding');
      bytes = null;
    }
    if (s === 205) {
      this.set('Content-Length', '0');
      this.removeHeader('Transfer-Encoding');
      bytes = null;
    }
    if (this.req.method === 'HEAD') this.end();
    else this.end(bytes === null ? undefined : bytes);
    return this;
  }

  redirect(url) {
    let address = url;
    let status = 302;
    if (arguments.length === 2) {
      if (typeof arguments[0] === 'number') {
        status = arguments[0];
        address = arguments[1];
      } else {
        status = arguments[1];
      }
    }
    address = this.location(address).get('Location');
    let body = '';
    this.format({
      text: () => {
        body = `${http.STATUS[status]}. Redirecting to ${address}`;
      },
      html: () => {
        const u = http.escapeHtml(address);
        body = `<p>${http.STATUS[status]}. Redirecting to <a href="${u}">${u}</a></p>`;
      },
      default: () => {
        body = '';
      },
    });
    this.statusCode = status;
    const bytes = state.host.utf8Encode(body);
    this.set('Content-Length', bytes.byteLength);
    if (this.req.method === 'HEAD') this.end();
    else this.end(bytes);
  }

  format(obj) {
    const req = this.req;
    const keys = Object.keys(obj).filter((k) => k !== 'default');
    const key = keys.length > 0 ? req.accepts(keys) : false;
    this.vary('Accept');
    if (key) {
      this.set('Content-Type', key.indexOf('/') === -1 ? http.lookup(key) : key);
      obj[key](req, this, req.next);
    } else if (obj.default) {
      obj.default(req, this, req.next);
    } else {
      const err = new Error('Not Acceptable');
      err.status = 406;
      err.statusCode = 406;
      err.types = keys.map((k) => (k.indexOf('/') === -1 ? http.lookup(k) : k));
      if (typeof req.next === 'function') req.next(err);
      else throw err;
    }
    return this;
  }

  cookie(name, value, options) {
    const opts = Object.assign({}, options);
    if (opts.signed) throw new Error('cookieParser("secret") required for signed cookies');
    const val = typeof value === 'object' ? `j:${JSON.stringify(value)}` : `${value}`;
    if (opts.maxAge != null) {
      const maxAge = opts.maxAge - 0;
      if (!Number.isNaN(maxAge)) {
        opts.expires = new Date(Date.now() + maxAge);
        opts.maxAge = Math.floor(maxAge / 1000);
      }
    }
    if (opts.path == null) opts.path = '/';
    this.append('Set-Cookie', http.serializeCookie(name, val, opts));
    return this;
  }

  clearCookie(name, options) {
    const opts = Object.assign({ expires: new Date(1), path: '/' }, options);
    delete opts.maxAge;
    return this.cookie(name, '', opts);
  }

  // res.sendFile(path[, options][, fn]): a file of the package (or /tmp),
  // with its type from the extension. Options: root, headers. A missing
  // file is an error with status 404 (to fn, else the invocation's error).
  sendFile(path, options, fn) {
    if (typeof options === 'function') {
      fn = options;
      options = {};
    }
    const opts = options || {};
    if (!path) throw new TypeError('path argument is required to res.sendFile');
    if (typeof path !== 'string') throw new TypeError('path must be a string to res.sendFile');
    if (!opts.root && path[0] !== '/') throw new TypeError('path must be absolute or specify root to res.sendFile');
    const done = (err) => {
      if (typeof fn === 'function') fn(err);
      else if (err) {
        if (typeof this.req.next === 'function') this.req.next(err);
        else throw err;
      }
    };
    const failWith = (status, message) => {
      const err = new Error(message);
      err.status = status;
      err.statusCode = status;
      err.expose = false;
      later(() => done(err));
    };
    // send's checks: no NUL, and no ".." that could climb out of root.
    if (path.includes('\0')) return failWith(400, 'Bad Request');
    if (opts.root && /(?:^|[\\/])\.\.(?:[\\/]|$)/.test(path)) return failWith(403, 'Forbidden');
    const pathMod = require('../node/path.js');
    const full = opts.root ? pathMod.join(pathMod.resolve('/', `${opts.root}`), path) : pathMod.normalize(path);
    const st = state.host.fs.stat(full);
    const data = st && st.type === 'file' ? state.host.fs.read(full) : null;
    if (!data) {
      const err = new Error(`ENOENT: no such file or directory, stat '${full}'`);
      err.code = 'ENOENT';
      err.errno = -2;
      err.syscall = 'stat';
      err.path = full;
      err.status = 404;
      err.statusCode = 404;
      err.expose = false;
      later(() => done(err));
      return;
    }
    if (!this.get('Content-Type')) this.set('Content-Type', http.lookup(full));
    if (opts.headers) for (const k of Object.keys(opts.headers)) this.setHeader(k, opts.headers[k]);
    if (st.mtimeMs > 0 && !this.get('Last-Modified')) this.setHeader('Last-Modified', new Date(st.mtimeMs).toUTCString());
    if (!this.get('Accept-Ranges')) this.setHeader('Accept-Ranges', 'bytes');
    this.setHeader('Content-Length', data.byteLength);
    if (this.req.method === 'HEAD') this.end();
    else this.end(data);
    later(() => done());
  }
}

// content-disposition, for ASCII file names (others get filename*).
function contentDisposition(filename) {
  if (filename === undefined || filename === null) return 'attachment';
  const name = `${filename}`.replace(/^.*[/\\]/, '');
  const quoted = name.replace(/[\x00-\x1f\x7f]/g, '').replace(/(["\\])/g, '\\$1');
  if (/^[\x20-\x7e]*$/.test(name)) return `attachment; filename="${quoted}"`;
  const ascii = name.replace(/[^\x20-\x7e]/g, '?').replace(/(["\\])/g, '\\$1');
  const ext = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${ext}`;
}

module.exports = { ServerResponse };
