// atob and btoa with Node 20's checks and errors, and the base64 helpers the
// rest of the runtime uses. No Buffer: this must stay cheap to load.

'use strict';

const DOMException = require('./domexception.js');
const { missingArgs } = require('../errors.js');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
DECODE['-'.charCodeAt(0)] = 62;
DECODE['_'.charCodeAt(0)] = 63;

function encodeBytes(bytes, url = false) {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63] + ALPHABET[v & 63];
  }
  if (i < n) {
    const v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63];
    out += i + 1 < n ? ALPHABET[(v >> 6) & 63] : '=';
    out += '=';
  }
  if (url) out = out.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return out;
}

// Lenient decoding (Node's Buffer.from(s, 'base64')): skips characters
// outside both alphabets and stops at the first '='.
function decodeToBytes(str) {
  const out = new Uint8Array(Math.floor((str.length * 3) / 4) + 3);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 61) break;
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

const WHITESPACE = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x20]);

function atob(input) {
  if (arguments.length === 0) throw missingArgs('input');
  input = `${input}`;
  let significant = 0;
  let equals = 0;
  for (let n = 0; n < input.length; n++) {
    const c = input.charCodeAt(n);
    if (WHITESPACE.has(c)) continue;
    const ok = c === 61 || (c < 128 && DECODE[c] >= 0 && c !== 45 && c !== 95);
    if (!ok) throw new DOMException('Invalid character', 'InvalidCharacterError');
    significant++;
    if (c === 61) {
      equals++;
    } else if (equals) {
      throw new DOMException('Invalid character', 'InvalidCharacterError');
    }
    if (equals > 2) throw new DOMException('Invalid character', 'InvalidCharacterError');
  }
  let reminder = significant % 4;
  if (!reminder) {
    reminder = (significant - equals) % 4;
  } else if (equals) {
    throw new DOMException('Invalid character', 'InvalidCharacterError');
  }
  if (reminder === 1) {
    throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
  }
  const bytes = decodeToBytes(input.replace(/[\t\n\f\r ]/g, ''));
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096));
  return out;
}

function btoa(input) {
  if (arguments.length === 0) throw missingArgs('input');
  input = `${input}`;
  const bytes = new Uint8Array(input.length);
  for (let n = 0; n < input.length; n++) {
    const c = input.charCodeAt(n);
    if (c > 0xff) throw new DOMException('Invalid character', 'InvalidCharacterError');
    bytes[n] = c;
  }
  return encodeBytes(bytes);
}

module.exports = { atob, btoa, encodeBytes, decodeToBytes };
