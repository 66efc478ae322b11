// net, tls, dns and http2 for a sandbox without sockets: the modules load
// (bundles such as undici import them, and read constants at load time),
// the pure helpers work (net.isIP, tls.checkServerIdentity's absence is
// honest), and everything that would open a socket or ask a resolver throws
// ERR_CORRAL_FORBIDDEN saying so. Outgoing HTTP goes through fetch() or
// the http/https clients (node/http.js), under the egress policy.

'use strict';

const EventEmitter = require('./events.js');
const { forbidden } = require('./http.js');

const HINT = ' (use fetch() or http.request for outgoing HTTP)';

function thrower(what) {
  return function () {
    throw forbidden(what, HINT);
  };
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function isIPv4(s) {
  return typeof s === 'string' && IPV4.test(s);
}

function isIPv6(s) {
  if (typeof s !== 'string' || !s.includes(':')) return false;
  const zone = s.indexOf('%');
  const addr = zone >= 0 ? s.slice(0, zone) : s;
  if (!/^[0-9A-Fa-f:.]+$/.test(addr)) return false;
  let parts = addr.split('::');
  if (parts.length > 2) return false;
  const groups = (p) => (p === '' ? [] : p.split(':'));
  let head = groups(parts[0]);
  let tail = parts.length === 2 ? groups(parts[1]) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last && last.includes('.')) {
    if (!isIPv4(last)) return false;
    count += 1;
    if (tail.length) tail = tail.slice(0, -1);
    else head = head.slice(0, -1);
  }
  for (const g of [...head, ...tail]) if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return false;
  return parts.length === 2 ? count < 8 : count === 8;
}

function isIP(s) {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return 0;
}

class Socket extends EventEmitter {
  constructor() {
    super();
    throw forbidden('net.Socket', HINT);
  }
}

class Server extends EventEmitter {
  constructor() {
    super();
    throw forbidden('net.Server', HINT);
  }
}

class BlockList {
  addAddress() {}
  addRange() {}
  addSubnet() {}
  check() {
    return false;
  }
}

const net = {
  isIP, isIPv4, isIPv6, Socket, Stream: Socket, Server, BlockList,
  connect: thrower('net.connect'), createConnection: thrower('net.createConnection'),
  createServer: thrower('net.createServer'),
  getDefaultAutoSelectFamily: () => true, setDefaultAutoSelectFamily() {},
  getDefaultAutoSelectFamilyAttemptTimeout: () => 250, setDefaultAutoSelectFamilyAttemptTimeout() {},
};

class TLSSocket extends EventEmitter {
  constructor() {
    super();
    throw forbidden('tls.TLSSocket', HINT);
  }
}

const tls = {
  CLIENT_RENEG_LIMIT: 3, CLIENT_RENEG_WINDOW: 600, DEFAULT_CIPHERS: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256',
  DEFAULT_ECDH_CURVE: 'auto', DEFAULT_MIN_VERSION: 'TLSv1.2', DEFAULT_MAX_VERSION: 'TLSv1.3',
  rootCertificates: Object.freeze([]), TLSSocket, Server: TLSSocket, SecureContext: TLSSocket,
  connect: thrower('tls.connect'), createServer: thrower('tls.createServer'),
  createSecureContext: thrower('tls.createSecureContext'), createSecurePair: thrower('tls.createSecurePair'),
  checkServerIdentity: () => undefined, getCiphers: () => ['tls_aes_128_gcm_sha256', 'tls_aes_256_gcm_sha384', 'tls_chacha20_poly1305_sha256'],
};

function dnsRefuse(what) {
  return function (...args) {
    const cb = args[args.length - 1];
    const err = forbidden(what, ' (fetch() resolves names itself, outside the sandbox)');
    if (typeof cb === 'function') {
      queueMicrotask(() => cb(err));
      return undefined;
    }
    throw err;
  };
}

const DNS_FUNCS = ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname',
  'resolveCaa', 'resolveMx', 'resolveNaptr', 'resolveNs', 'resolvePtr', 'resolveSoa', 'resolveSrv', 'resolveTxt', 'reverse'];

function dnsModule() {
  const dns = {};
  const promises = {};
  for (const f of DNS_FUNCS) {
    dns[f] = dnsRefuse(`dns.${f}`);
    promises[f] = (...a) => Promise.reject(forbidden(`dns.promises.${f}`, ' (fetch() resolves names itself, outside the sandbox)'));
  }
  class Resolver {
    constructor() {
      for (const f of DNS_FUNCS) this[f] = dns[f];
    }
    cancel() {}
    getServers() {
      return [];
    }
    setServers() {}
  }
  promises.Resolver = Resolver;
  Object.assign(dns, {
    Resolver, promises, getServers: () => [], setServers() {}, setDefaultResultOrder() {},
    getDefaultResultOrder: () => 'verbatim', ADDRCONFIG: 1024, V4MAPPED: 2048, ALL: 256,
    NODATA: 'ENODATA', FORMERR: 'EFORMERR', SERVFAIL: 'ESERVFAIL', NOTFOUND: 'ENOTFOUND', NOTIMP: 'ENOTIMP',
    REFUSED: 'EREFUSED', BADQUERY: 'EBADQUERY', BADNAME: 'EBADNAME', BADFAMILY: 'EBADFAMILY', BADRESP: 'EBADRESP',
    CONNREFUSED: 'ECONNREFUSED', TIMEOUT: 'ETIMEOUT', EOF: 'EOF', FILE: 'EFILE', NOMEM: 'ENOMEM',
    DESTRUCTION: 'EDESTRUCTION', BADSTR: 'EBADSTR', BADFLAGS: 'EBADFLAGS', NONAME: 'ENONAME', BADHINTS: 'EBADHINTS',
    NOTINITIALIZED: 'ENOTINITIALIZED', LOADIPHLPAPI: 'ELOADIPHLPAPI', ADDRGETNETWORKPARAMS: 'EADDRGETNETWORKPARAMS',
    CANCELLED: 'ECANCELLED',
  });
  return dns;
}

// http2's constants, which undici reads at load time; the rest refuses.
function http2Module() {
  const constants = {
    NGHTTP2_SESSION_SERVER: 0, NGHTTP2_SESSION_CLIENT: 1, NGHTTP2_NO_ERROR: 0, NGHTTP2_PROTOCOL_ERROR: 1,
    NGHTTP2_INTERNAL_ERROR: 2, NGHTTP2_CANCEL: 8, NGHTTP2_DEFAULT_WEIGHT: 16,
    HTTP2_HEADER_STATUS: ':status', HTTP2_HEADER_METHOD: ':method', HTTP2_HEADER_AUTHORITY: ':authority',
    HTTP2_HEADER_SCHEME: ':scheme', HTTP2_HEADER_PATH: ':path', HTTP2_HEADER_PROTOCOL: ':protocol',
    HTTP2_HEADER_CONTENT_TYPE: 'content-type', HTTP2_HEADER_CONTENT_LENGTH: 'content-length',
    HTTP2_HEADER_EXPECT: 'expect', HTTP2_HEADER_HOST: 'host', HTTP2_HEADER_TE: 'te',
    HTTP2_HEADER_CONNECTION: 'connection', HTTP2_HEADER_UPGRADE: 'upgrade',
    HTTP2_HEADER_KEEP_ALIVE: 'keep-alive', HTTP2_HEADER_PROXY_CONNECTION: 'proxy-connection',
    HTTP2_HEADER_TRANSFER_ENCODING: 'transfer-encoding', HTTP2_HEADER_COOKIE: 'cookie',
    HTTP2_HEADER_SET_COOKIE: 'set-cookie', HTTP2_HEADER_USER_AGENT: 'user-agent',
    HTTP2_METHOD_GET: 'GET', HTTP2_METHOD_POST: 'POST', HTTP2_METHOD_HEAD: 'HEAD', HTTP2_METHOD_CONNECT: 'CONNECT',
    HTTP_STATUS_OK: 200, HTTP_STATUS_NO_CONTENT: 204, HTTP_STATUS_NOT_FOUND: 404,
  };
  return {
    constants, connect: thrower('http2.connect'), createServer: thrower('http2.createServer'),
    createSecureServer: thrower('http2.createSecureServer'), getDefaultSettings: () => ({}),
    getPackedSettings: () => new Uint8Array(0), getUnpackedSettings: () => ({}), sensitiveHeaders: Symbol('nodejs.http2.sensitiveHeaders'),
  };
}

module.exports = { net, tls, dns: dnsModule, http2: http2Module };
