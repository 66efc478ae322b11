// Web Crypto: crypto.getRandomValues, crypto.randomUUID and crypto.subtle
// with digest (SHA-1/256/384/512, by the host through OpenSSL) and HMAC keys
// (importKey "raw" or "jwk", generateKey, exportKey, sign, verify), HMAC
// itself computed here from the host's digests. Other algorithms reject
// with a NotSupportedError.

'use strict';

const state = require('../state.js');
const DOMException = require('./domexception.js');
const { invalidArgType, missingArgs } = require('../errors.js');
const { encodeBytes, decodeToBytes } = require('./base64.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

const HASHES = new Map([
  ['sha-1', { name: 'SHA-1', block: 64, size: 20 }],
  ['sha-256', { name: 'SHA-256', block: 64, size: 32 }],
  ['sha-384', { name: 'SHA-384', block: 128, size: 48 }],
  ['sha-512', { name: 'SHA-512', block: 128, size: 64 }],
]);

function bufferSourceBytes(data, name = 'data') {
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return new Uint8Array(data.slice(0));
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  throw invalidArgType(name, ['ArrayBuffer', 'Buffer', 'TypedArray', 'DataView'], data);
}

// One-shot digest of `bytes` (a Uint8Array) with a canonical algorithm name.
function digestBytes(alg, bytes) {
  return new Uint8Array(state.host.digest(alg, bytes));
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function hmacBytes(hash, key, data) {
  const info = HASHES.get(hash.toLowerCase());
  let k = key;
  if (k.length > info.block) k = digestBytes(info.name, k);
  const padded = new Uint8Array(info.block);
  padded.set(k);
  const ipad = new Uint8Array(info.block);
  const opad = new Uint8Array(info.block);
  for (let i = 0; i < info.block; i++) {
    ipad[i] = padded[i] ^ 0x36;
    opad[i] = padded[i] ^ 0x5c;
  }
  const inner = digestBytes(info.name, concat(ipad, data));
  return digestBytes(info.name, concat(opad, inner));
}

const INTEGER_ARRAYS = new Set(['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array']);

function getRandomValues(data) {
  if (arguments.length === 0) throw missingArgs('typedArray');
  const t = ArrayBuffer.isView(data) && !(data instanceof DataView) ? Object.prototype.toString.call(data).slice(8, -1) : '';
  if (!INTEGER_ARRAYS.has(t)) {
    throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
  }
  if (data.byteLength > 65536) {
    throw new DOMException(`The ArrayBufferView's byte length (${data.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, 'QuotaExceededError');
  }
  if (data.byteLength) state.host.randomFill(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return data;
}

function randomBytes(n) {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) state.host.randomFill(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomUUID() {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += HEX[b[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}

function normalizeAlgorithm(alg) {
  if (typeof alg === 'string') return { name: alg };
  if (alg !== null && typeof alg === 'object' && alg.name !== undefined) return { ...alg, name: `${alg.name}` };
  throw new TypeError('Algorithm: Unrecognized name');
}

function hashOf(alg) {
  const h = normalizeAlgorithm(alg);
  const info = HASHES.get(h.name.toLowerCase());
  if (!info) throw new DOMException('Unrecognized algorithm name', 'NotSupportedError');
  return info.name;
}

const kKey = Symbol('kKey');

class CryptoKey {
  #type;
  #extractable;
  #algorithm;
  #usages;

  constructor(token, type, extractable, algorithm, usages, material) {
    if (token !== kKey) throw new TypeError('Illegal constructor');
    this.#type = type;
    this.#extractable = extractable;
    this.#algorithm = algorithm;
    this.#usages = usages;
    Object.defineProperty(this, kKey, { value: material });
  }

  get type() { return this.#type; }
  get extractable() { return this.#extractable; }
  get algorithm() { return this.#algorithm; }
  get usages() { return this.#usages; }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'CryptoKey';
    const body = { type: this.#type, extractable: this.#extractable, algorithm: this.#algorithm, usages: this.#usages };
    return `CryptoKey ${inspect ? inspect(body, opts) : JSON.stringify(body)}`;
  }
}
Object.defineProperty(CryptoKey.prototype, Symbol.toStringTag, { value: 'CryptoKey', configurable: true });

function notSupported(what) {
  return Promise.reject(new DOMException(`${what} is not supported by corral's Web Crypto (digest and HMAC only)`, 'NotSupportedError'));
}

function base64urlDecode(s) {
  return decodeToBytes(`${s}`);
}

const kSubtle = Symbol('kSubtle');

class SubtleCrypto {
  constructor(token) {
    if (token !== kSubtle) throw new TypeError('Illegal constructor');
  }

  digest(algorithm, data) {
    try {
      if (arguments.length < 2) throw missingArgs('algorithm', 'data');
      const name = hashOf(algorithm);
      const bytes = bufferSourceBytes(data);
      return Promise.resolve(state.host.digest(name, bytes));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  importKey(format, keyData, algorithm, extractable, usages) {
    try {
      const alg = normalizeAlgorithm(algorithm);
      if (alg.name.toUpperCase() !== 'HMAC') return notSupported(`The algorithm ${alg.name}`);
      const hash = hashOf(alg.hash);
      let material;
      if (format === 'raw') {
        material = bufferSourceBytes(keyData, 'keyData');
      } else if (format === 'jwk') {
        if (!keyData || keyData.kty !== 'oct' || typeof keyData.k !== 'string') {
          throw new DOMException('Invalid keyData', 'DataError');
        }
        material = base64urlDecode(keyData.k);
      } else {
        return notSupported(`The key format ${format}`);
      }
      if (material.length === 0) throw new DOMException('Zero-length key is not supported', 'DataError');
      const use = [...usages];
      for (const u of use) {
        if (u !== 'sign' && u !== 'verify') throw new DOMException('Unsupported key usage for an HMAC key', 'SyntaxError');
      }
      const length = alg.length !== undefined ? Number(alg.length) : material.length * 8;
      const key = new CryptoKey(kKey, 'secret', Boolean(extractable), { name: 'HMAC', length, hash: { name: hash } }, use, material);
      return Promise.resolve(key);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  generateKey(algorithm, extractable, usages) {
    try {
      const alg = normalizeAlgorithm(algorithm);
      if (alg.name.toUpperCase() !== 'HMAC') return notSupported(`The algorithm ${alg.name}`);
      const hash = hashOf(alg.hash);
      const bits = alg.length !== undefined ? Number(alg.length) : HASHES.get(hash.toLowerCase()).block * 8;
      return this.importKey('raw', randomBytes(Math.ceil(bits / 8)), { name: 'HMAC', hash, length: bits }, extractable, usages);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  exportKey(format, key) {
    try {
      if (!(key instanceof CryptoKey)) throw invalidArgType('key', 'CryptoKey', key);
      if (!key.extractable) throw new DOMException('key is not extractable', 'InvalidAccessError');
      const material = key[kKey];
      if (format === 'raw') return Promise.resolve(material.slice().buffer);
      if (format === 'jwk') {
        const bits = key.algorithm.hash.name.slice(4);
        return Promise.resolve({ key_ops: key.usages.slice(), ext: true, kty: 'oct', alg: `HS${bits === '1' ? '1' : bits}`, k: encodeBytes(material, true) });
      }
      return notSupported(`The key format ${format}`);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  sign(algorithm, key, data) {
    try {
      const alg = normalizeAlgorithm(algorithm);
      if (alg.name.toUpperCase() !== 'HMAC') return notSupported(`The algorithm ${alg.name}`);
      if (!(key instanceof CryptoKey)) throw invalidArgType('key', 'CryptoKey', key);
      if (!key.usages.includes('sign')) throw new DOMException('Unable to use this key to sign', 'InvalidAccessError');
      const mac = hmacBytes(key.algorithm.hash.name, key[kKey], bufferSourceBytes(data));
      return Promise.resolve(mac.buffer);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  verify(algorithm, key, signature, data) {
    try {
      const alg = normalizeAlgorithm(algorithm);
      if (alg.name.toUpperCase() !== 'HMAC') return notSupported(`The algorithm ${alg.name}`);
      if (!(key instanceof CryptoKey)) throw invalidArgType('key', 'CryptoKey', key);
      if (!key.usages.includes('verify')) throw new DOMException('Unable to use this key to verify', 'InvalidAccessError');
      const mac = hmacBytes(key.algorithm.hash.name, key[kKey], bufferSourceBytes(data));
      const sig = bufferSourceBytes(signature, 'signature');
      let diff = mac.length ^ sig.length;
      for (let i = 0; i < mac.length; i++) diff |= mac[i] ^ (sig[i] | 0);
      return Promise.resolve(diff === 0);
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
for (const m of ['encrypt', 'decrypt', 'deriveBits', 'deriveKey', 'wrapKey', 'unwrapKey']) {
  SubtleCrypto.prototype[m] = function () {
    return notSupported(`crypto.subtle.${m}`);
  };
}
Object.defineProperty(SubtleCrypto.prototype, Symbol.toStringTag, { value: 'SubtleCrypto', configurable: true });

const kCrypto = Symbol('kCrypto');

class Crypto {
  #subtle = new SubtleCrypto(kSubtle);

  constructor(token) {
    if (token !== kCrypto) throw new TypeError('Illegal constructor');
  }

  get subtle() {
    return this.#subtle;
  }

  getRandomValues(data) {
    return getRandomValues.apply(null, arguments);
  }

  randomUUID() {
    return randomUUID();
  }

  [CUSTOM_INSPECT](depth) {
    if (depth < 0) return 'Crypto';
    return 'Crypto {}';
  }
}
Object.defineProperty(Crypto.prototype, Symbol.toStringTag, { value: 'Crypto', configurable: true });

let instance = null;
function crypto() {
  if (!instance) instance = new Crypto(kCrypto);
  return instance;
}

module.exports = {
  crypto, Crypto, CryptoKey, SubtleCrypto, HASHES, digestBytes, hmacBytes, randomBytes, randomUUID,
  getRandomValues, bufferSourceBytes, HEX,
};
