// querystring: Node's semantics (null-prototype results, lenient decoding
// of malformed escapes, maxKeys, custom separators). querystring-es3 has
// none of these, so this one is Node's lib/querystring.js reduced.

'use strict';

const state = require('../state.js');


function unescape(s, decodeSpaces) {
  void decodeSpaces;
  try {
    return decodeURIComponent(s);
  } catch {
    // Node's unescapeBuffer: valid escapes become bytes, the rest stays, and
    // the bytes are read as UTF-8.
    const src = state.host.utf8Encode(s);
    const out = new Uint8Array(src.length);
    let o = 0;
    for (let i = 0; i < src.length; i++) {
      const c = src[i];
      if (c === 37 && i + 2 < src.length) {
        const h = String.fromCharCode(src[i + 1], src[i + 2]);
        if (/^[0-9a-fA-F]{2}$/.test(h)) {
          out[o++] = parseInt(h, 16);
          i += 2;
          continue;
        }
      }
      out[o++] = c;
    }
    return state.host.utf8Decode(out.subarray(0, o), false);
  }
}

function escape(s) {
  return encodeURIComponent(s);
}

function parse(qs, sep = '&', eq = '=', options = undefined) {
  const obj = Object.create(null);
  if (typeof qs !== 'string' || qs.length === 0) return obj;
  sep = typeof sep === 'string' && sep ? sep : '&';
  eq = typeof eq === 'string' && eq ? eq : '=';
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === 'number') maxKeys = options.maxKeys;
  const decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : module.exports.unescape;
  let parts = qs.split(sep);
  if (maxKeys > 0 && parts.length > maxKeys) parts = parts.slice(0, maxKeys);
  for (const part of parts) {
    if (part === '') continue;
    const x = part.replace(/\+/g, '%20');
    const idx = x.indexOf(eq);
    const k = decode(idx >= 0 ? x.slice(0, idx) : x);
    const v = decode(idx >= 0 ? x.slice(idx + eq.length) : '');
    if (!(k in obj)) obj[k] = v;
    else if (Array.isArray(obj[k])) obj[k].push(v);
    else obj[k] = [obj[k], v];
  }
  return obj;
}

function stringify(obj, sep = '&', eq = '=', options = undefined) {
  sep = typeof sep === 'string' ? sep : '&';
  eq = typeof eq === 'string' ? eq : '=';
  const enc = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : module.exports.escape;
  if (obj === null || typeof obj !== 'object') return '';
  const prim = (v) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return `${v}`;
    if (typeof v === 'bigint' || typeof v === 'boolean') return `${v}`;
    return '';
  };
  const out = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const ks = enc(prim(k)) + eq;
    if (Array.isArray(v)) for (const item of v) out.push(ks + enc(prim(item)));
    else out.push(ks + enc(prim(v)));
  }
  return out.join(sep);
}

module.exports = {
  parse,
  decode: parse,
  stringify,
  encode: stringify,
  escape,
  unescape,
  unescapeBuffer(s) {
    return require('./buffer.js').Buffer.from(unescape(`${s}`));
  },
};

