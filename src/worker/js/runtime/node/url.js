// url: the WHATWG URL classes, Node's legacy url.parse/format/resolve (npm
// url, a copy of Node's old lib/url.js, whose query strings go through
// ./querystring.js as in Node), and fileURLToPath, pathToFileURL,
// domainToASCII, domainToUnicode, urlToHttpOptions.

'use strict';

const legacy = require('url/');
const path = require('./path.js');
const { URL, URLSearchParams } = require('../web/url.js');
const { invalidArgType, nodeError } = require('../errors.js');

function fileURLToPath(input) {
  let u = input;
  if (typeof u === 'string') u = new URL(u);
  else if (!(u instanceof URL)) throw invalidArgType('path', ['string', 'URL'], input);
  if (u.protocol !== 'file:') throw nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
  if (u.hostname !== '') {
    throw nodeError(TypeError, 'ERR_INVALID_FILE_URL_HOST', 'File URL host must be "localhost" or empty on linux');
  }
  const p = u.pathname;
  if (/%2f/i.test(p)) throw nodeError(TypeError, 'ERR_INVALID_FILE_URL_PATH', 'File URL path must not include encoded / characters');
  return decodeURIComponent(p);
}

function pathToFileURL(filepath) {
  if (typeof filepath !== 'string') throw invalidArgType('path', 'string', filepath);
  let resolved = path.resolve('/', filepath);
  if (filepath.endsWith('/') && !resolved.endsWith('/')) resolved += '/';
  resolved = resolved.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09');
  const u = new URL('file://');
  u.pathname = resolved;
  return u;
}

function domainToASCII(domain) {
  try {
    return new URL(`ws://${domain}`).hostname;
  } catch {
    return '';
  }
}

function domainToUnicode(domain) {
  const ascii = domainToASCII(domain);
  if (!ascii) return '';
  const punycode = require('punycode/');
  return ascii.split('.').map((label) => (label.startsWith('xn--') ? punycode.decode(label.slice(4)) : label)).join('.');
}

function urlToHttpOptions(url) {
  const options = Object.create(null);
  options.protocol = url.protocol;
  options.hostname = typeof url.hostname === 'string' && url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  options.hash = url.hash;
  options.search = url.search;
  options.pathname = url.pathname;
  options.path = `${url.pathname || ''}${url.search || ''}`;
  options.href = url.href;
  if (url.port !== '') options.port = Number(url.port);
  if (url.username || url.password) options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return options;
}

function format(urlObject, options) {
  if (urlObject instanceof URL) {
    const o = { auth: true, fragment: true, search: true, unicode: false, ...(options || {}) };
    let out = `${urlObject.protocol}`;
    if (urlObject.host !== '' || urlObject.protocol === 'file:') {
      out += '//';
      if (o.auth && (urlObject.username || urlObject.password)) {
        out += urlObject.username;
        if (urlObject.password) out += `:${urlObject.password}`;
        out += '@';
      }
      out += o.unicode ? domainToUnicode(urlObject.hostname) + (urlObject.port ? `:${urlObject.port}` : '') : urlObject.host;
    }
    out += urlObject.pathname;
    if (o.search) out += urlObject.search;
    if (o.fragment) out += urlObject.hash;
    return out;
  }
  return legacy.format(urlObject);
}

module.exports = {
  Url: legacy.Url,
  parse: legacy.parse,
  resolve: legacy.resolve,
  resolveObject: legacy.resolveObject,
  format,
  URL,
  URLSearchParams,
  domainToASCII,
  domainToUnicode,
  pathToFileURL,
  fileURLToPath,
  urlToHttpOptions,
};
