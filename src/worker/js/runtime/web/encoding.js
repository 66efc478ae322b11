// TextEncoder and TextDecoder. UTF-8 goes through the host's native codec
// (host.utf8Encode, host.utf8Decode); streaming decode keeps an incomplete
// trailing sequence here, between calls. UTF-16LE and the windows-1252
// labels ("latin1", "ascii", ...; decoded as ISO-8859-1, as Node 20 does)
// are decoded in JS. Any other label is a RangeError.

'use strict';

const state = require('../state.js');
const { nodeError, invalidArgType } = require('../errors.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

const LABELS = new Map();
for (const l of ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']) LABELS.set(l, 'utf-8');
for (const l of ['csunicode', 'iso-10646-ucs-2', 'ucs-2', 'unicode', 'unicodefeff', 'utf-16', 'utf-16le']) LABELS.set(l, 'utf-16le');
for (const l of ['ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1', 'iso-ir-100',
  'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii', 'windows-1252', 'x-cp1252']) {
  LABELS.set(l, 'windows-1252');
}

function toBytes(input, name = 'input') {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof ArrayBuffer || Object.prototype.toString.call(input) === '[object ArrayBuffer]'
      || Object.prototype.toString.call(input) === '[object SharedArrayBuffer]') {
    return new Uint8Array(input);
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw invalidArgType(name, ['ArrayBuffer', 'ArrayBufferView'], input);
}

function utf8Encode(str) {
  return state.host.utf8Encode(str);
}

// Encodes into `dest` only whole code points that fit.
function encodeInto(src, dest) {
  let read = 0;
  let written = 0;
  const n = src.length;
  const cap = dest.length;
  for (let i = 0; i < n; i++) {
    let c = src.charCodeAt(i);
    let units = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = src.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        units = 2;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (written + len > cap) break;
    if (len === 1) {
      dest[written++] = c;
    } else if (len === 2) {
      dest[written++] = 0xc0 | (c >> 6);
      dest[written++] = 0x80 | (c & 63);
    } else if (len === 3) {
      dest[written++] = 0xe0 | (c >> 12);
      dest[written++] = 0x80 | ((c >> 6) & 63);
      dest[written++] = 0x80 | (c & 63);
    } else {
      dest[written++] = 0xf0 | (c >> 18);
      dest[written++] = 0x80 | ((c >> 12) & 63);
      dest[written++] = 0x80 | ((c >> 6) & 63);
      dest[written++] = 0x80 | (c & 63);
    }
    read += units;
    i += units - 1;
  }
  return { read, written };
}

class TextEncoder {
  get encoding() {
    return 'utf-8';
  }

  encode(input = '') {
    return utf8Encode(`${input}`);
  }

  encodeInto(src, dest) {
    if (!(dest instanceof Uint8Array)) throw invalidArgType('dest', 'Uint8Array', dest);
    return encodeInto(`${src}`, dest);
  }

  [CUSTOM_INSPECT](depth) {
    if (depth < 0) return this;
    return "{ encoding: 'utf-8' }";
  }
}
Object.defineProperty(TextEncoder.prototype, Symbol.toStringTag, { value: 'TextEncoder', configurable: true });

// Length of the incomplete UTF-8 sequence that ends `bytes`, if the tail is a
// valid prefix of a sequence; 0 otherwise.
function incompleteTail(bytes) {
  const n = bytes.length;
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation: look further back
    let need;
    if (b >= 0xc2 && b <= 0xdf) need = 2;
    else if (b >= 0xe0 && b <= 0xef) need = 3;
    else if (b >= 0xf0 && b <= 0xf4) need = 4;
    else return 0;
    if (back >= need) return 0;
    if (back >= 2) {
      const s = bytes[n - back + 1];
      if ((b === 0xe0 && s < 0xa0) || (b === 0xed && s > 0x9f) || (b === 0xf0 && s < 0x90) || (b === 0xf4 && s > 0x8f)) return 0;
    }
    return back;
  }
  return 0;
}

class TextDecoder {
  #encoding;
  #fatal;
  #ignoreBOM;
  #pending = null;
  #bomSeen = false;

  constructor(label = 'utf-8', options = {}) {
    const key = `${label}`.trim().toLowerCase();
    const enc = LABELS.get(key);
    if (enc === undefined) {
      throw nodeError(RangeError, 'ERR_ENCODING_NOT_SUPPORTED', `The "${label}" encoding is not supported`);
    }
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw invalidArgType('options', 'object', options);
    }
    this.#encoding = enc;
    this.#fatal = Boolean(options && options.fatal);
    this.#ignoreBOM = Boolean(options && options.ignoreBOM);
  }

  get encoding() {
    return this.#encoding;
  }

  get fatal() {
    return this.#fatal;
  }

  get ignoreBOM() {
    return this.#ignoreBOM;
  }

  decode(input = undefined, options = {}) {
    let bytes = toBytes(input);
    const stream = Boolean(options && options.stream);
    if (this.#pending) {
      const joined = new Uint8Array(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    let out;
    if (this.#encoding === 'utf-8') {
      if (stream) {
        const tail = incompleteTail(bytes);
        if (tail) {
          this.#pending = bytes.slice(bytes.length - tail);
          bytes = bytes.subarray(0, bytes.length - tail);
        }
      }
      try {
        out = state.host.utf8Decode(bytes, this.#fatal);
      } catch (e) {
        this.#pending = null;
        this.#bomSeen = false;
        throw nodeError(TypeError, 'ERR_ENCODING_INVALID_ENCODED_DATA', 'The encoded data was not valid for encoding utf-8');
      }
    } else if (this.#encoding === 'utf-16le') {
      let n = bytes.length;
      if (n & 1) {
        if (stream) {
          this.#pending = bytes.slice(n - 1);
          n -= 1;
        } else if (this.#fatal) {
          throw nodeError(TypeError, 'ERR_ENCODING_INVALID_ENCODED_DATA', 'The encoded data was not valid for encoding utf-16le');
        }
      }
      const units = [];
      for (let i = 0; i + 1 < n; i += 2) units.push(bytes[i] | (bytes[i + 1] << 8));
      if (stream && units.length) {
        const last = units[units.length - 1];
        if (last >= 0xd800 && last <= 0xdbff) {
          units.pop();
          const keep = new Uint8Array(2 + (this.#pending ? this.#pending.length : 0));
          keep[0] = last & 0xff;
          keep[1] = last >> 8;
          if (this.#pending) keep.set(this.#pending, 2);
          this.#pending = keep;
        }
      }
      out = '';
      for (let i = 0; i < units.length; i++) {
        const u = units[i];
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < units.length && units[i + 1] >= 0xdc00 && units[i + 1] <= 0xdfff) {
          out += String.fromCharCode(u, units[++i]);
        } else if (u >= 0xd800 && u <= 0xdfff) {
          if (this.#fatal) throw nodeError(TypeError, 'ERR_ENCODING_INVALID_ENCODED_DATA', 'The encoded data was not valid for encoding utf-16le');
          out += '\ufffd';
        } else {
          out += String.fromCharCode(u);
        }
      }
      if (!stream && (n & 1) && !this.#fatal) out += '\ufffd';
    } else {
      // Node 20 decodes the windows-1252 labels as ISO-8859-1 (every byte
      // is the code point of the same number); so does corral, to match.
      out = '';
      for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
    }
    if (!this.#ignoreBOM && !this.#bomSeen && out.length) {
      if (this.#encoding !== 'windows-1252' && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) {
      this.#bomSeen = false;
      if (this.#pending) {
        this.#pending = null;
        if (this.#fatal) throw nodeError(TypeError, 'ERR_ENCODING_INVALID_ENCODED_DATA', `The encoded data was not valid for encoding ${this.#encoding}`);
        out += '\ufffd';
      }
    }
    return out;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return this;
    const body = { encoding: this.#encoding, fatal: this.#fatal, ignoreBOM: this.#ignoreBOM };
    return `TextDecoder ${inspect ? inspect(body, opts) : JSON.stringify(body)}`;
  }
}
Object.defineProperty(TextDecoder.prototype, Symbol.toStringTag, { value: 'TextDecoder', configurable: true });

module.exports = { TextEncoder, TextDecoder, toBytes, utf8Encode, encodeInto };
