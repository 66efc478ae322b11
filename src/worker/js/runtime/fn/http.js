// HTTP vocabulary for function mode, after the npm modules Express 4 uses:
// status messages (statuses), a small extension-to-type table with mime 1's
// charset rule (mime), media-type matching (type-is), Accept negotiation
// (accepts/negotiator, media types only), header checks and errors as
// Node's http module throws them, Node's rules for folding repeated request
// headers into req.headers, cookie serialisation (cookie) and Location
// encoding (encodeurl).

'use strict';

const STATUS = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked',
  424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates',
  507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended',
  511: 'Network Authentication Required',
};

const TYPES = {
  html: 'text/html', htm: 'text/html', shtml: 'text/html', txt: 'text/plain', text: 'text/plain', log: 'text/plain',
  css: 'text/css', csv: 'text/csv', md: 'text/markdown', markdown: 'text/markdown', xml: 'application/xml',
  js: 'application/javascript', mjs: 'application/javascript', cjs: 'application/javascript',
  json: 'application/json', map: 'application/json', jsonld: 'application/ld+json',
  webmanifest: 'application/manifest+json', xhtml: 'application/xhtml+xml', rss: 'application/rss+xml',
  atom: 'application/atom+xml', yaml: 'text/yaml', yml: 'text/yaml', ics: 'text/calendar',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml',
  webp: 'image/webp', avif: 'image/avif', ico: 'image/x-icon', bmp: 'image/bmp',
  pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar',
  wasm: 'application/wasm', bin: 'application/octet-stream', exe: 'application/octet-stream',
  woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf', otf: 'font/otf',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', mp4: 'video/mp4', webm: 'video/webm',
  form: 'application/x-www-form-urlencoded', urlencoded: 'application/x-www-form-urlencoded',
};

// mime 1's lookup: the extension of a path or a bare extension; unknown ones
// are application/octet-stream.
function lookup(name) {
  const ext = `${name}`.replace(/^.*[./\\]/, '').toLowerCase();
  return TYPES[ext] || 'application/octet-stream';
}

// mime 1's charsets.lookup: UTF-8 for text and JavaScript/JSON.
function charsetFor(type) {
  return /^text\/|^application\/(javascript|json)/.test(type) ? 'utf-8' : null;
}

// The type and lower-cased parameters of a Content-Type value, or null.
function parseMediaType(value) {
  if (typeof value !== 'string') return null;
  const parts = value.split(';');
  const type = parts[0].trim().toLowerCase();
  if (!/^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(type)) return null;
  const params = Object.create(null);
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i].indexOf('=');
    if (eq < 0) continue;
    const k = parts[i].slice(0, eq).trim().toLowerCase();
    let v = parts[i].slice(eq + 1).trim();
    if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    if (k) params[k] = v;
  }
  return { type, params };
}

// Express's setCharset: the type with its charset parameter replaced
// (content-type's format: parameters in name order).
function setCharset(value, charset) {
  const m = parseMediaType(value);
  if (!m) return value;
  m.params.charset = charset;
  let out = m.type;
  for (const k of Object.keys(m.params).sort()) {
    const v = m.params[k];
    out += `; ${k}=${/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`;
  }
  return out;
}

// --- type-is ---------------------------------------------------------------

function normalizeType(type) {
  if (typeof type !== 'string') return null;
  switch (type) {
    case 'urlencoded': return 'application/x-www-form-urlencoded';
    case 'multipart': return 'multipart/*';
    default:
  }
  if (type[0] === '+') return `*/*${type}`;
  return type.indexOf('/') === -1 ? (TYPES[type.replace(/^\./, '').toLowerCase()] || null) : type.toLowerCase();
}

function mimeMatch(expected, actual) {
  const e = expected.split('/');
  const a = actual.split('/');
  if (e.length !== 2 || a.length !== 2) return false;
  if (e[0] !== '*' && e[0] !== a[0]) return false;
  if (e[1].startsWith('*+')) return e[1].length <= a[1].length + 1 && e[1].slice(1) === a[1].slice(a[1].length - e[1].length + 1);
  return e[1] === '*' || e[1] === a[1];
}

// type-is: the first of `types` that `contentType` matches (the type as
// given, or the actual type for wildcards and "+suffix"), or false.
function typeIs(contentType, types) {
  const m = parseMediaType(contentType);
  if (!m) return false;
  if (!types || types.length === 0) return m.type;
  for (const t of types) {
    const n = normalizeType(t);
    if (n && mimeMatch(n, m.type)) return t[0] === '+' || t.indexOf('*') !== -1 ? m.type : t;
  }
  return false;
}

// --- Accept ------------------------------------------------------------

function parseAccept(header) {
  const out = [];
  const list = header === undefined ? '*/*' : `${header}`;
  let i = 0;
  for (const item of list.split(',')) {
    const parts = item.split(';');
    const full = parts[0].trim().toLowerCase();
    const slash = full.indexOf('/');
    if (slash < 1 || slash === full.length - 1) continue;
    let q = 1;
    for (let k = 1; k < parts.length; k++) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(parts[k]);
      if (m) q = Math.max(0, Math.min(1, parseFloat(m[1]) || 0));
    }
    out.push({ type: full.slice(0, slash), subtype: full.slice(slash + 1), q, i: i++ });
  }
  return out;
}

// negotiator's preferredMediaTypes for `candidates` (full types): the
// candidates with q > 0, best first.
function preferred(accept, candidates) {
  const ranked = [];
  candidates.forEach((c, ci) => {
    if (!c) return;
    const [type, subtype] = c.split('/');
    let best = null;
    for (const a of accept) {
      let s = 0;
      if (a.type === type) s |= 4;
      else if (a.type !== '*') continue;
      if (a.subtype === subtype) s |= 2;
      else if (a.subtype !== '*') continue;
      if (!best || s > best.s || (s === best.s && a.q > best.q)) best = { s, q: a.q, i: a.i };
    }
    if (best && best.q > 0) ranked.push({ ci, ...best });
  });
  ranked.sort((x, y) => y.q - x.q || y.s - x.s || x.i - y.i || x.ci - y.ci);
  return ranked.map((r) => r.ci);
}

// accepts(req).types(...): the best of `types` (extensions or types, as
// given) for the Accept header, or false; the accepted types when none
// are given.
function accepts(header, types) {
  const accept = parseAccept(header);
  if (!types || types.length === 0) {
    return accept.filter((a) => a.q > 0).sort((x, y) => y.q - x.q || x.i - y.i).map((a) => `${a.type}/${a.subtype}`);
  }
  if (header === undefined) return types[0];
  const full = types.map((t) => (typeof t !== 'string' ? null : t.indexOf('/') === -1 ? TYPES[t.replace(/^\./, '').toLowerCase()] || null : t.toLowerCase()));
  const order = preferred(accept, full);
  return order.length ? types[order[0]] : false;
}

// --- headers -----------------------------------------------------------

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function nodeError(Base, code, message) {
  const err = new Base(message);
  err.code = code;
  return err;
}

function checkHeaderName(name) {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw nodeError(TypeError, 'ERR_INVALID_HTTP_TOKEN', `Header name must be a valid HTTP token ["${name}"]`);
  }
}

function checkHeaderValue(name, value) {
  if (value === undefined) {
    throw nodeError(TypeError, 'ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "${value}" for header "${name}"`);
  }
  const list = Array.isArray(value) ? value : [value];
  for (const v of list) {
    if (BAD_VALUE.test(`${v}`)) throw nodeError(TypeError, 'ERR_INVALID_CHAR', `Invalid character in header content ["${name}"]`);
  }
}

function headersSentError(what = 'set') {
  return nodeError(Error, 'ERR_HTTP_HEADERS_SENT', `Cannot ${what} headers after they are sent to the client`);
}

// Node's writeHead check. Informational (1xx) statuses cannot be the final
// response corral sends, so they are refused as well.
function checkStatus(code) {
  const n = code | 0;
  if (n < 100 || n > 999) {
    throw nodeError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${code}`);
  }
  if (n < 200) throw nodeError(RangeError, 'ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${code} (informational responses are not supported)`);
  return n;
}

// Node's IncomingMessage: repeated headers are joined with ", ", except
// set-cookie (an array), cookie (joined with "; ") and the ones of which
// Node keeps only the first.
const FIRST_ONLY = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization',
  'referer', 'retry-after', 'server', 'user-agent']);

function foldHeaders(flat) {
  const out = {};
  if (!flat) return out;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = `${flat[i]}`.toLowerCase();
    const v = `${flat[i + 1]}`;
    if (k === '__proto__') continue;
    if (!Object.prototype.hasOwnProperty.call(out, k)) out[k] = k === 'set-cookie' ? [v] : v;
    else if (k === 'set-cookie') out[k].push(v);
    else if (FIRST_ONLY.has(k)) continue;
    else out[k] += (k === 'cookie' ? '; ' : ', ') + v;
  }
  return out;
}

// --- cookies and locations ---------------------------------------------

function serializeCookie(name, value, opt) {
  if (!TOKEN.test(name)) throw new TypeError('argument name is invalid');
  const enc = encodeURIComponent(value);
  let str = `${name}=${enc}`;
  if (opt.maxAge != null) {
    const maxAge = opt.maxAge - 0;
    if (!Number.isFinite(maxAge)) throw new TypeError('option maxAge is invalid');
    str += `; Max-Age=${Math.floor(maxAge)}`;
  }
  if (opt.domain) {
    if (!TOKEN.test(opt.domain.replace(/\./g, ''))) throw new TypeError('option domain is invalid');
    str += `; Domain=${opt.domain}`;
  }
  if (opt.path) {
    if (/[;\x00-\x1f\x7f]/.test(opt.path)) throw new TypeError('option path is invalid');
    str += `; Path=${opt.path}`;
  }
  if (opt.expires) {
    const d = opt.expires;
    if (!(d instanceof Date) || Number.isNaN(d.valueOf())) throw new TypeError('option expires is invalid');
    str += `; Expires=${d.toUTCString()}`;
  }
  if (opt.httpOnly) str += '; HttpOnly';
  if (opt.secure) str += '; Secure';
  if (opt.partitioned) str += '; Partitioned';
  if (opt.priority) {
    const p = typeof opt.priority === 'string' ? opt.priority.toLowerCase() : opt.priority;
    if (p === 'low') str += '; Priority=Low';
    else if (p === 'medium') str += '; Priority=Medium';
    else if (p === 'high') str += '; Priority=High';
    else throw new TypeError('option priority is invalid');
  }
  if (opt.sameSite) {
    const s = typeof opt.sameSite === 'string' ? opt.sameSite.toLowerCase() : opt.sameSite;
    if (s === true || s === 'strict') str += '; SameSite=Strict';
    else if (s === 'lax') str += '; SameSite=Lax';
    else if (s === 'none') str += '; SameSite=None';
    else throw new TypeError('option sameSite is invalid');
  }
  return str;
}

// encodeurl: percent-encodes what a URL may not contain, leaving valid
// escapes alone.
const ENCODE_CHARS = /(?:[^\x21\x25\x26-\x3B\x3D\x3F-\x5B\x5D\x5F\x61-\x7A\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g;
const LONE_SURROGATES = /(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uD800-\uDBFF]([^\uDC00-\uDFFF]|$)/g;

function encodeUrl(url) {
  return `${url}`.replace(LONE_SURROGATES, '$1\uFFFD$2').replace(ENCODE_CHARS, encodeURI);
}

function escapeHtml(s) {
  return `${s}`.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

module.exports = {
  STATUS, TYPES, lookup, charsetFor, parseMediaType, setCharset, typeIs, accepts, normalizeType,
  TOKEN, checkHeaderName, checkHeaderValue, headersSentError, checkStatus, foldHeaders, nodeError,
  serializeCookie, encodeUrl, escapeHtml,
};
