// crypto: the part of Node's crypto module that needs only random bytes and
// the host's SHA digests: createHash and createHmac (SHA-1/256/384/512),
// pbkdf2, randomBytes, randomFill, randomInt, randomUUID, getRandomValues,
// timingSafeEqual, webcrypto and subtle. Ciphers, signatures and key pairs
// throw ERR_CORRAL_UNSUPPORTED.

'use strict';

const web = require('../web/crypto.js');
const state = require('../state.js');
const { invalidArgType, nodeError, validateFunction, outOfRange } = require('../errors.js');

function B() {
  return require('./buffer.js').Buffer;
}

function hashName(algorithm) {
  if (typeof algorithm !== 'string') throw invalidArgType('algorithm', 'string', algorithm);
  const n = algorithm.toLowerCase().replace(/^rsa-/, '').replace(/^sha2-/, 'sha').replace(/-/g, '');
  const map = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
  const name = map[n];
  if (!name) {
    const err = new Error(`Digest method not supported: ${algorithm} (corral has sha1, sha256, sha384 and sha512)`);
    err.code = 'ERR_CRYPTO_INVALID_DIGEST';
    throw err;
  }
  return name;
}

function toBytes(data, encoding, name = 'data') {
  if (typeof data === 'string') {
    if (!encoding || /^utf-?8$/i.test(encoding)) return state.host.utf8Encode(data);
    const b = B().from(data, encoding);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], data);
}

function output(bytes, encoding) {
  const buf = B().from(bytes.buffer, bytes.byteOffset, bytes.length);
  return encoding === undefined || encoding === 'buffer' ? buf : buf.toString(encoding);
}

class Chunks {
  constructor() {
    this.parts = [];
    this.size = 0;
  }
  add(u8) {
    this.parts.push(u8.slice());
    this.size += u8.length;
  }
  bytes() {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

class Hash {
  #alg;
  #chunks = new Chunks();
  #done = false;

  constructor(algorithm) {
    this.#alg = hashName(algorithm);
  }

  update(data, encoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    this.#chunks.add(toBytes(data, encoding));
    return this;
  }

  digest(encoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    this.#done = true;
    return output(web.digestBytes(this.#alg, this.#chunks.bytes()), encoding);
  }

  copy() {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    const h = new Hash(this.#alg);
    h.update(this.#chunks.bytes());
    return h;
  }
}

class Hmac {
  #alg;
  #key;
  #chunks = new Chunks();
  #done = false;

  constructor(algorithm, key) {
    this.#alg = hashName(algorithm);
    if (key !== null && typeof key === 'object' && key.type === 'secret' && typeof key.export === 'function') key = key.export();
    this.#key = toBytes(key, undefined, 'key').slice();
  }

  update(data, encoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    this.#chunks.add(toBytes(data, encoding));
    return this;
  }

  digest(encoding) {
    if (this.#done) return output(new Uint8Array(0), encoding);
    this.#done = true;
    return output(web.hmacBytes(this.#alg, this.#key, this.#chunks.bytes()), encoding);
  }
}

function createHash(algorithm, options) {
  void options;
  return new Hash(algorithm);
}

function createHmac(algorithm, key, options) {
  void options;
  return new Hmac(algorithm, key);
}

function hash(algorithm, data, outputEncoding = 'hex') {
  return createHash(algorithm).update(data).digest(outputEncoding);
}

function checkSize(size, name = 'size') {
  if (typeof size !== 'number') throw invalidArgType(name, 'number', size);
  if (!(size >= 0 && size <= 2 ** 31 - 1) || !Number.isInteger(size)) outOfRangeThrow(name, size);
}

function outOfRangeThrow(name, v) {
  throw outOfRange(name, `>= 0 && <= ${2 ** 31 - 1}`, v);
}

function randomBytes(size, callback) {
  checkSize(size);
  const b = B().from(web.randomBytes(size).buffer);
  if (callback === undefined) return b;
  validateFunction(callback, 'callback');
  state.queueMicrotask(() => callback(null, b));
  return undefined;
}

function randomFillSync(buf, offset = 0, size = undefined) {
  const view = new Uint8Array(buf.buffer || buf, buf.byteOffset || 0, buf.byteLength);
  const n = size === undefined ? view.length - offset : size;
  view.set(web.randomBytes(n), offset);
  return buf;
}

function randomFill(buf, offset, size, callback) {
  if (typeof offset === 'function') [offset, size, callback] = [0, undefined, offset];
  else if (typeof size === 'function') [size, callback] = [undefined, size];
  validateFunction(callback, 'callback');
  let r;
  try {
    r = randomFillSync(buf, offset, size);
  } catch (err) {
    state.queueMicrotask(() => callback(err));
    return;
  }
  state.queueMicrotask(() => callback(null, r));
}

function randomInt(min, max, callback) {
  if (typeof max === 'function' || max === undefined) {
    callback = max;
    max = min;
    min = 0;
  }
  if (!Number.isSafeInteger(min)) throw invalidArgType('min', 'a safe integer', min);
  if (!Number.isSafeInteger(max)) throw invalidArgType('max', 'a safe integer', max);
  if (max <= min) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
  }
  const range = max - min;
  const RAND_MAX = 0xffffffffffff;
  const limit = RAND_MAX - (RAND_MAX % range);
  let x;
  do {
    const b = web.randomBytes(6);
    x = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
  } while (x >= limit);
  const n = min + (x % range);
  if (callback === undefined) return n;
  validateFunction(callback, 'callback');
  state.queueMicrotask(() => callback(null, n));
  return undefined;
}

function timingSafeEqual(a, b) {
  const x = toBytes(a, undefined, 'buf1');
  const y = toBytes(b, undefined, 'buf2');
  if (x.length !== y.length) {
    throw nodeError(RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length');
  }
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

function pbkdf2Sync(password, salt, iterations, keylen, digest) {
  const alg = hashName(digest);
  const size = web.HASHES.get(alg.toLowerCase()).size;
  const pw = toBytes(password, undefined, 'password');
  const s = toBytes(salt, undefined, 'salt');
  if (!Number.isInteger(iterations) || iterations < 1) throw outOfRange('iterations', '>= 1 && <= 2147483647', iterations);
  const out = new Uint8Array(keylen);
  const blocks = Math.ceil(keylen / size);
  const block = new Uint8Array(s.length + 4);
  block.set(s);
  for (let i = 1; i <= blocks; i++) {
    block[s.length] = i >>> 24;
    block[s.length + 1] = (i >>> 16) & 255;
    block[s.length + 2] = (i >>> 8) & 255;
    block[s.length + 3] = i & 255;
    let u = web.hmacBytes(alg, pw, block);
    const t = u.slice();
    for (let j = 1; j < iterations; j++) {
      u = web.hmacBytes(alg, pw, u);
      for (let k = 0; k < t.length; k++) t[k] ^= u[k];
    }
    out.set(t.subarray(0, Math.min(size, keylen - (i - 1) * size)), (i - 1) * size);
  }
  return B().from(out.buffer);
}

function pbkdf2(password, salt, iterations, keylen, digest, callback) {
  validateFunction(callback, 'callback');
  let r;
  try {
    r = pbkdf2Sync(password, salt, iterations, keylen, digest);
  } catch (err) {
    state.queueMicrotask(() => callback(err));
    return;
  }
  state.queueMicrotask(() => callback(null, r));
}

function unsupported(name) {
  return function () {
    throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', `crypto.${name} is not supported in corral (hashes, HMAC, PBKDF2 and random numbers only)`);
  };
}

const exported = {
  createHash,
  createHmac,
  hash,
  Hash,
  Hmac,
  pbkdf2,
  pbkdf2Sync,
  randomBytes,
  pseudoRandomBytes: randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID: () => web.randomUUID(),
  getRandomValues: (a) => web.getRandomValues(a),
  timingSafeEqual,
  getHashes: () => ['RSA-SHA1', 'RSA-SHA256', 'RSA-SHA384', 'RSA-SHA512', 'sha1', 'sha256', 'sha384', 'sha512'],
  getCiphers: () => [],
  getCurves: () => [],
  constants: {},
};
for (const name of ['createCipheriv', 'createDecipheriv', 'createSign', 'createVerify', 'createECDH', 'createDiffieHellman',
  'generateKeyPair', 'generateKeyPairSync', 'createPrivateKey', 'createPublicKey', 'createSecretKey', 'publicEncrypt',
  'privateDecrypt', 'privateEncrypt', 'publicDecrypt', 'scrypt', 'scryptSync', 'hkdf', 'hkdfSync', 'sign', 'verify',
  'generateKey', 'generateKeySync', 'diffieHellman', 'getDiffieHellman']) {
  exported[name] = unsupported(name);
}
Object.defineProperty(exported, 'webcrypto', { get: () => web.crypto(), enumerable: true });
Object.defineProperty(exported, 'subtle', { get: () => web.crypto().subtle, enumerable: true });

module.exports = exported;
