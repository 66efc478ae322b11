// node:crypto's createCipheriv and createDecipheriv on the host's streaming
// ciphers (host.crypto.cipher*, host_crypto_cipher.c): AES-128/192/256 in
// CBC, ECB, CTR, GCM, OFB and CFB, and ChaCha20-Poly1305, with Node's
// checks and errors (key and IV lengths, tag lengths, the order of
// update/final/getAuthTag). Cipher and Decipher are not streams: update,
// final, setAAD, setAuthTag, getAuthTag, setAutoPadding.

'use strict';

const state = require('../state.js');
const { invalidArgType, nodeError } = require('../errors.js');

function H() {
  return state.host.crypto;
}

function B() {
  return require('./buffer.js').Buffer;
}

const ALIASES = { aes128: 'aes-128-cbc', aes192: 'aes-192-cbc', aes256: 'aes-256-cbc', 'id-aes128-gcm': 'aes-128-gcm',
  'id-aes192-gcm': 'aes-192-gcm', 'id-aes256-gcm': 'aes-256-gcm' };
const NAMES = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-ecb', 'aes-192-ecb', 'aes-256-ecb',
  'aes-128-ctr', 'aes-192-ctr', 'aes-256-ctr', 'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm',
  'aes-128-ofb', 'aes-192-ofb', 'aes-256-ofb', 'aes-128-cfb', 'aes-192-cfb', 'aes-256-cfb', 'chacha20-poly1305'];

function bytesOf(data, encoding, name) {
  if (typeof data === 'string') {
    const b = B().from(data, encoding || 'utf8');
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw invalidArgType(name, ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView'], data);
}

function output(u8, encoding) {
  const b = B().from(u8.buffer, u8.byteOffset, u8.length);
  return encoding && encoding !== 'buffer' ? b.toString(encoding) : b;
}

const VALID_GCM_TAGS = [4, 8, 12, 13, 14, 15, 16];

class CipherBase {
  #h;
  #encrypt;
  #aead;
  #tagLength;
  #done = false;
  #tag = null;
  #tagSet = false;
  #decoder = null;

  constructor(encrypt, algorithm, key, iv, options) {
    if (typeof algorithm !== 'string') throw invalidArgType('cipher', 'string', algorithm);
    const lower = algorithm.toLowerCase();
    const name = ALIASES[lower] || lower;
    const info = NAMES.includes(name) ? H().cipherInfo(name) : null;
    if (!info) throw nodeError(Error, 'ERR_CRYPTO_UNKNOWN_CIPHER', 'Unknown cipher');
    let k = key;
    const keys = require('./crypto_keys.js');
    if (k instanceof keys.KeyObject) k = keys.keyBytes(k, 'key');
    const kb = bytesOf(k, undefined, 'key').slice();
    const ivb = iv === null || iv === undefined ? null : bytesOf(iv, undefined, 'iv').slice();
    if (kb.length !== info.keyLength) throw nodeError(RangeError, 'ERR_CRYPTO_INVALID_KEYLEN', 'Invalid key length');
    const ivLen = ivb ? ivb.length : 0;
    if (info.aead ? ivLen === 0 : ivLen !== info.ivLength) {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_IV', 'Invalid initialization vector');
    }
    this.#aead = info.aead;
    this.#tagLength = 16;
    if (options && options.authTagLength !== undefined) {
      const n = options.authTagLength;
      const ok = name === 'chacha20-poly1305' ? Number.isInteger(n) && n >= 1 && n <= 16 : VALID_GCM_TAGS.includes(n);
      if (!info.aead || !ok) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${n}`);
      this.#tagLength = n;
    }
    this.#encrypt = encrypt;
    this.#h = H().cipherInit(name, encrypt, kb, ivb, this.#tagLength);
    if (!this.#h) throw nodeError(Error, 'ERR_CRYPTO_OPERATION_FAILED', 'Cipher initialization failed');
  }

  update(data, inputEncoding, outputEncoding) {
    // Node's own error here has no code.
    if (this.#done) throw new Error('Trying to add data in unsupported state');
    const r = H().cipherUpdate(this.#h, bytesOf(data, inputEncoding, 'data'));
    if (!r) throw new Error('Trying to add data in unsupported state');
    return this.#text(r, outputEncoding);
  }

  // Text output goes through one StringDecoder, as in Node: a character or
  // a base64 group cut between two updates is held back.
  #text(r, outputEncoding) {
    if (!outputEncoding || outputEncoding === 'buffer') return output(r);
    if (!this.#decoder) this.#decoder = new (require('./string_decoder.js').StringDecoder)(outputEncoding);
    return this.#decoder.write(output(r));
  }

  final(outputEncoding) {
    if (this.#done) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state');
    this.#done = true;
    if (this.#aead && !this.#encrypt && !this.#tagSet) {
      throw new Error('Unsupported state or unable to authenticate data');
    }
    const r = H().cipherFinal(this.#h);
    if (!r) {
      if (this.#aead) throw new Error('Unsupported state or unable to authenticate data');
      throw nodeError(Error, this.#encrypt ? 'ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH' : 'ERR_OSSL_BAD_DECRYPT',
        this.#encrypt ? 'error:1C80006B:Provider routines::wrong final block length' : 'error:1C800064:Provider routines::bad decrypt');
    }
    if (this.#aead && this.#encrypt) this.#tag = H().cipherCtrl(this.#h, 'getTag', this.#tagLength);
    const out = this.#text(r, outputEncoding);
    if (this.#decoder && outputEncoding && outputEncoding !== 'buffer') return out + this.#decoder.end();
    return out;
  }

  setAutoPadding(autoPadding = true) {
    if (this.#done || !H().cipherCtrl(this.#h, 'padding', Boolean(autoPadding))) {
      throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAutoPadding');
    }
    return this;
  }

  setAAD(buffer, options) {
    void options;
    if (this.#done || !this.#aead || !H().cipherCtrl(this.#h, 'aad', bytesOf(buffer, undefined, 'buffer').slice())) {
      throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAAD');
    }
    return this;
  }

  getAuthTag() {
    if (!this.#encrypt || !this.#tag) throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation getAuthTag');
    return output(this.#tag);
  }

  setAuthTag(tag) {
    const t = bytesOf(tag, undefined, 'buffer').slice();
    if (this.#encrypt || this.#done || !this.#aead || this.#tagSet) {
      throw nodeError(Error, 'ERR_CRYPTO_INVALID_STATE', 'Invalid state for operation setAuthTag');
    }
    if (!VALID_GCM_TAGS.includes(t.length) && !(t.length >= 1 && t.length <= 16)) {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${t.length}`);
    }
    if (!VALID_GCM_TAGS.includes(t.length) || !H().cipherCtrl(this.#h, 'setTag', t)) {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_AUTH_TAG', `Invalid authentication tag length: ${t.length}`);
    }
    this.#tagSet = true;
    return this;
  }
}

class Cipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) {
    super(true, algorithm, key, iv, options);
  }
}

class Decipheriv extends CipherBase {
  constructor(algorithm, key, iv, options) {
    super(false, algorithm, key, iv, options);
  }
}

function createCipheriv(algorithm, key, iv, options) {
  return new Cipheriv(algorithm, key, iv, options);
}

function createDecipheriv(algorithm, key, iv, options) {
  return new Decipheriv(algorithm, key, iv, options);
}

function getCipherInfo(nameOrNid) {
  if (typeof nameOrNid !== 'string') return undefined;
  const lower = nameOrNid.toLowerCase();
  const name = ALIASES[lower] || lower;
  const info = NAMES.includes(name) ? H().cipherInfo(name) : null;
  if (!info) return undefined;
  const mode = name === 'chacha20-poly1305' ? undefined : name.slice(-3);
  const out = {};
  if (mode) out.mode = mode;
  out.name = name;
  out.blockSize = info.blockSize;
  if (info.ivLength) out.ivLength = info.ivLength;
  out.keyLength = info.keyLength;
  return out;
}

module.exports = { createCipheriv, createDecipheriv, Cipheriv, Decipheriv, getCipherInfo, CIPHER_NAMES: NAMES };
