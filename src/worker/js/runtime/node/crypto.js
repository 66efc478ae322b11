// crypto: Node's crypto module. Hashes (createHash, hash) and HMAC
// (createHmac) of every digest OpenSSL's default provider has (md5, sha1,
// sha224 ... sha512, sha512-224/256, sha3-*, ripemd160), pbkdf2, hkdf, the
// random functions, timingSafeEqual, webcrypto and subtle; keys, signatures,
// key pairs, RSA encryption and diffieHellman come from crypto_keys.js.
// createCipheriv/createDecipheriv come from crypto_cipher.js. scrypt, DSA/DH,
// createECDH and privateEncrypt/publicDecrypt throw ERR_CORRAL_UNSUPPORTED.

'use strict';

const web = require('../web/crypto.js');
const state = require('../state.js');
const keys = require('./crypto_keys.js');
const ciphers = require('./crypto_cipher.js');
const { invalidArgType, nodeError, validateFunction, outOfRange } = require('../errors.js');

function B() {
  return require('./buffer.js').Buffer;
}

const SHA = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
// The digests host_crypto_warm() fetched before the sandbox closed, by
// their Node names.
const DIGESTS = {
  md5: 'MD5', sha1: 'SHA1', sha224: 'SHA224', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512',
  'sha512-224': 'SHA512-224', 'sha512-256': 'SHA512-256', 'sha3-224': 'SHA3-224', 'sha3-256': 'SHA3-256',
  'sha3-384': 'SHA3-384', 'sha3-512': 'SHA3-512', ripemd160: 'RIPEMD160', rmd160: 'RIPEMD160', ripemd: 'RIPEMD160',
};

function hashName(algorithm) {
  if (typeof algorithm !== 'string') throw invalidArgType('algorithm', 'string', algorithm);
  const n = algorithm.toLowerCase().replace(/^rsa-/, '').replace(/^sha2-/, 'sha').replace(/^sha-(\d)/, 'sha$1');
  const name = DIGESTS[n] && (state.host.crypto || SHA[n]) ? n : null;
  if (!name) {
    const err = new Error('Digest method not supported');
    throw err;
  }
  return name;
}

function digestOf(name, bytes) {
  if (SHA[name]) return web.digestBytes(SHA[name], bytes);
  return state.host.crypto.hash(DIGESTS[name], bytes);
}

function hmacOf(name, key, bytes) {
  if (SHA[name]) return web.hmacBytes(SHA[name], key, bytes);
  return state.host.crypto.hmac(DIGESTS[name], key, bytes);
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
    return output(digestOf(this.#alg, this.#chunks.bytes()), encoding);
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
    if (key === undefined || key === null) {
      throw invalidArgType('key', ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView', 'KeyObject', 'CryptoKey'], key);
    }
    if (key instanceof web.CryptoKey) key = keys.KeyObject.from(key);
    this.#key = (key instanceof keys.KeyObject ? keys.keyBytes(key, 'key') : toBytes(key, undefined, 'key')).slice();
  }

  update(data, encoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
    this.#chunks.add(toBytes(data, encoding));
    return this;
  }

  digest(encoding) {
    if (this.#done) return output(new Uint8Array(0), encoding);
    this.#done = true;
    return output(hmacOf(this.#alg, this.#key, this.#chunks.bytes()), encoding);
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
  const pw = toBytes(password, undefined, 'password');
  const s = toBytes(salt, undefined, 'salt');
  if (!Number.isInteger(iterations) || iterations < 1) throw outOfRange('iterations', '>= 1 && <= 2147483647', iterations);
  if (!Number.isInteger(keylen) || keylen < 0) throw outOfRange('keylen', '>= 0 && <= 2147483647', keylen);
  if (state.host.crypto) {
    const r = state.host.crypto.pbkdf2(DIGESTS[alg], pw, s, iterations, keylen);
    if (!r) throw nodeError(Error, 'ERR_CRYPTO_OPERATION_FAILED', 'PBKDF2 failed');
    return B().from(r.buffer, r.byteOffset, r.length);
  }
  const size = web.HASHES.get(SHA[alg].toLowerCase()).size;
  const out = new Uint8Array(keylen);
  const blocks = Math.ceil(keylen / size);
  const block = new Uint8Array(s.length + 4);
  block.set(s);
  for (let i = 1; i <= blocks; i++) {
    block[s.length] = i >>> 24;
    block[s.length + 1] = (i >>> 16) & 255;
    block[s.length + 2] = (i >>> 8) & 255;
    block[s.length + 3] = i & 255;
    let u = web.hmacBytes(SHA[alg], pw, block);
    const t = u.slice();
    for (let j = 1; j < iterations; j++) {
      u = web.hmacBytes(SHA[alg], pw, u);
      for (let k = 0; k < t.length; k++) t[k] ^= u[k];
    }
    out.set(t.subarray(0, Math.min(size, keylen - (i - 1) * size)), (i - 1) * size);
  }
  return B().from(out.buffer);
}

function hkdfSync(digest, ikm, salt, info, keylen) {
  const alg = hashName(digest);
  const k = ikm instanceof keys.KeyObject ? keys.keyBytes(ikm, 'ikm') : toBytes(ikm, undefined, 'ikm');
  const s = toBytes(salt, undefined, 'salt');
  const i = toBytes(info, undefined, 'info');
  if (i.length > 1024) throw outOfRange('info', 'must not contain more than 1024 bytes', i.length);
  if (!Number.isInteger(keylen) || keylen < 0) throw outOfRange('keylen', '>= 0 && <= 2147483647', keylen);
  const r = state.host.crypto.hkdf(DIGESTS[alg], k, s, i, keylen);
  if (!r) throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
  return r.slice().buffer;
}

function hkdf(digest, ikm, salt, info, keylen, callback) {
  validateFunction(callback, 'callback');
  let r;
  try {
    r = hkdfSync(digest, ikm, salt, info, keylen);
  } catch (err) {
    state.queueMicrotask(() => callback(err));
    return;
  }
  state.queueMicrotask(() => callback(null, r));
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
    throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', `crypto.${name} is not supported in corral (no scrypt, DSA, DH, ECDH objects or deprecated ciphers)`);
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
  hkdf,
  hkdfSync,
  randomBytes,
  pseudoRandomBytes: randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID: () => web.randomUUID(),
  getRandomValues: (a) => web.getRandomValues(a),
  timingSafeEqual,
  createPrivateKey: keys.createPrivateKey,
  createPublicKey: keys.createPublicKey,
  createSecretKey: keys.createSecretKey,
  KeyObject: keys.KeyObject,
  createSign: keys.createSign,
  createVerify: keys.createVerify,
  Sign: keys.Sign,
  Verify: keys.Verify,
  sign: keys.sign,
  verify: keys.verify,
  publicEncrypt: keys.publicEncrypt,
  privateDecrypt: keys.privateDecrypt,
  generateKeyPair: keys.generateKeyPair,
  generateKeyPairSync: keys.generateKeyPairSync,
  generateKey: keys.generateKey,
  generateKeySync: keys.generateKeySync,
  diffieHellman: keys.diffieHellman,
  createCipheriv: ciphers.createCipheriv,
  createDecipheriv: ciphers.createDecipheriv,
  Cipheriv: ciphers.Cipheriv,
  Decipheriv: ciphers.Decipheriv,
  getCipherInfo: ciphers.getCipherInfo,
  getHashes: () => ['RSA-MD5', 'RSA-RIPEMD160', 'RSA-SHA1', 'RSA-SHA224', 'RSA-SHA256', 'RSA-SHA3-224', 'RSA-SHA3-256',
    'RSA-SHA3-384', 'RSA-SHA3-512', 'RSA-SHA384', 'RSA-SHA512', 'RSA-SHA512/224', 'RSA-SHA512/256', 'md5', 'ripemd',
    'ripemd160', 'rmd160', 'sha1', 'sha224', 'sha256', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512', 'sha384',
    'sha512', 'sha512-224', 'sha512-256'],
  getCiphers: () => ['aes128', 'aes192', 'aes256', ...ciphers.CIPHER_NAMES].sort(),
  getCurves: () => ['prime256v1', 'secp256k1', 'secp384r1', 'secp521r1'],
  constants: { ...keys.constants },
};
for (const name of ['createCipher', 'createDecipher', 'createECDH', 'createDiffieHellman', 'createDiffieHellmanGroup',
  'privateEncrypt', 'publicDecrypt', 'scrypt', 'scryptSync', 'getDiffieHellman']) {
  exported[name] = unsupported(name);
}
Object.defineProperty(exported, 'webcrypto', { get: () => web.crypto(), enumerable: true });
Object.defineProperty(exported, 'subtle', { get: () => web.crypto().subtle, enumerable: true });

module.exports = exported;
