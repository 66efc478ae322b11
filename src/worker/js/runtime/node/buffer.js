// buffer: npm buffer (feross/buffer, Node's Buffer API over Uint8Array),
// with what Node 20 has on top: the base64url encoding, UTF-8 through the
// host's native codec, Node's inspect form ("<Buffer 68 69 ... 3 more
// bytes>"), and Blob, File, atob, btoa, constants, isUtf8, isAscii on the
// module.

'use strict';

const mod = require('buffer/');
const state = require('../state.js');

const { Buffer } = mod;
const proto = Buffer.prototype;

function isB64url(enc) {
  return typeof enc === 'string' && enc.length === 9 && enc.toLowerCase() === 'base64url';
}
function mapArgs(args) {
  for (let i = 0; i < args.length; i++) if (isB64url(args[i])) args[i] = 'base64';
  return args;
}
function isUtf8Name(enc) {
  if (enc === undefined) return true;
  if (typeof enc !== 'string') return false;
  const e = enc.toLowerCase();
  return e === 'utf8' || e === 'utf-8';
}

const origIsEncoding = Buffer.isEncoding;
Buffer.isEncoding = function isEncoding(encoding) {
  return isB64url(encoding) || origIsEncoding(encoding);
};

const origFrom = Buffer.from;
Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === 'string') {
    if (isB64url(encodingOrOffset)) return origFrom.call(Buffer, value, 'base64');
    if (isUtf8Name(encodingOrOffset) && state.host) {
      const u = state.host.utf8Encode(value);
      return origFrom.call(Buffer, u.buffer, u.byteOffset, u.length);
    }
  }
  return origFrom.apply(Buffer, arguments);
};

// The WHATWG Encoding standard's UTF-8 decoder (as the host's), for short
// buffers, where a call to the host costs more than the loop: an ill-formed
// sequence is one U+FFFD per maximal subpart.
function utf8Short(b, s, e) {
  let out = '';
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let need = 0, cp = 0, lower = 0x80, upper = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; if (c === 0xe0) lower = 0xa0; if (c === 0xed) upper = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; if (c === 0xf0) lower = 0x90; if (c === 0xf4) upper = 0x8f; }
    i++;
    let ok = need > 0;
    for (let k = 0; ok && k < need; k++) {
      const d = b[i];
      if (i >= e || d < lower || d > upper) {
        ok = false;
        break;
      }
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (d & 0x3f);
      i++;
    }
    out += ok ? String.fromCodePoint(cp) : '\ufffd';
  }
  return out;
}

const origToString = proto.toString;
proto.toString = function toString(encoding, start, end) {
  if (isB64url(encoding)) {
    return origToString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  if (isUtf8Name(encoding) && (state.host || this.length <= 64)) {
    const len = this.length;
    let s = start === undefined ? 0 : Math.max(0, start | 0);
    let e = end === undefined || end > len ? len : end | 0;
    if (s >= e) return '';
    if (s > len) s = len;
    if (e - s <= 64) return utf8Short(this, s, e);
    return state.host.utf8Decode(new Uint8Array(this.buffer, this.byteOffset + s, e - s), false);
  }
  return origToString.apply(this, arguments);
};
proto.utf8Slice = function utf8Slice(start, end) {
  return this.toString('utf8', start, end);
};
proto.toLocaleString = proto.toString;

for (const name of ['write', 'fill', 'indexOf', 'lastIndexOf', 'includes']) {
  const orig = proto[name];
  proto[name] = {
    [name](...args) {
      return orig.apply(this, mapArgs(args));
    },
  }[name];
}
// npm buffer's range errors carry no code; Node's are ERR_OUT_OF_RANGE (or
// ERR_BUFFER_OUT_OF_BOUNDS) with a message naming the offset.
function accessSize(name, args) {
  const m = /(8|16|32|64|Float|Double)/.exec(name);
  if (/IntBE|IntLE/.test(name) && !m) return typeof args[1] === 'number' ? args[1] : 1;
  if (!m) return 1;
  return { 8: 1, 16: 2, 32: 4, 64: 8, Float: 4, Double: 8 }[m[1]];
}
for (const name of Object.getOwnPropertyNames(proto)) {
  if (!/^(read|write)(U?Int|BigU?Int|Float|Double)/.test(name) || typeof proto[name] !== 'function') continue;
  const orig = proto[name];
  const isWrite = name.startsWith('write');
  proto[name] = {
    [name](...args) {
      try {
        return orig.apply(this, args);
      } catch (e) {
        if (!(e instanceof RangeError) || e.code) throw e;
        const offset = isWrite ? args[1] : args[0];
        const size = accessSize(name, isWrite ? args.slice(1) : args);
        if (/out of range|beyond|bounds/i.test(e.message) && (offset === undefined || typeof offset === 'number')) {
          const off = offset === undefined ? 0 : offset;
          const max = this.length - size;
          let err;
          if (max < 0) {
            err = new RangeError('Attempt to access memory outside buffer bounds');
            err.code = 'ERR_BUFFER_OUT_OF_BOUNDS';
          } else if (/value/i.test(e.message) && isWrite && off <= max && off >= 0) {
            throw Object.assign(e, { code: 'ERR_OUT_OF_RANGE' });
          } else {
            err = new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${max}. Received ${off}`);
            err.code = 'ERR_OUT_OF_RANGE';
          }
          throw err;
        }
        e.code = 'ERR_OUT_OF_RANGE';
        throw e;
      }
    },
  }[name];
}

const origByteLength = Buffer.byteLength;
Buffer.byteLength = function byteLength(string, encoding) {
  return origByteLength(string, isB64url(encoding) ? 'base64' : encoding);
};
const origAlloc = Buffer.alloc;
Buffer.alloc = function alloc(size, fill, encoding) {
  return origAlloc(size, fill, isB64url(encoding) ? 'base64' : encoding);
};

Buffer.copyBytesFrom = function copyBytesFrom(view, offset = 0, length = undefined) {
  const bytesPer = view.BYTES_PER_ELEMENT || 1;
  const end = length === undefined ? view.length : Math.min(view.length, offset + length);
  const src = new Uint8Array(view.buffer, view.byteOffset + offset * bytesPer, Math.max(0, end - offset) * bytesPer);
  return Buffer.from(src);
};

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');
proto[CUSTOM_INSPECT] = function inspect(recurseTimes, ctx) {
  const max = mod.INSPECT_MAX_BYTES;
  const actualMax = Math.min(max, this.length);
  const remaining = this.length - max;
  let str = origToString.call(this, 'hex', 0, actualMax).replace(/(.{2})/g, '$1 ').trim();
  if (remaining > 0) str += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
  return `<${this.constructor.name} ${str}>`;
};
proto.inspect = proto[CUSTOM_INSPECT];

function isUtf8(input) {
  try {
    const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    state.host.utf8Decode(bytes, true);
    return true;
  } catch {
    return false;
  }
}

function isAscii(input) {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

const constants = { MAX_LENGTH: mod.kMaxLength, MAX_STRING_LENGTH: 0x1fffffe8 };

const exported = {
  Buffer,
  SlowBuffer: mod.SlowBuffer,
  INSPECT_MAX_BYTES: mod.INSPECT_MAX_BYTES,
  kMaxLength: mod.kMaxLength,
  kStringMaxLength: constants.MAX_STRING_LENGTH,
  constants,
  isUtf8,
  isAscii,
  atob: (...a) => require('../web/base64.js').atob(...a),
  btoa: (...a) => require('../web/base64.js').btoa(...a),
  transcode() {
    throw new Error('buffer.transcode is not available in corral');
  },
};
Object.defineProperty(exported, 'INSPECT_MAX_BYTES', {
  get: () => mod.INSPECT_MAX_BYTES,
  set: (v) => {
    mod.INSPECT_MAX_BYTES = v;
  },
  enumerable: true,
});
for (const name of ['Blob', 'File']) {
  Object.defineProperty(exported, name, { get: () => require('../web/blob.js')[name], enumerable: true, configurable: true });
}

module.exports = exported;
