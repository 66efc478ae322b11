// Web Crypto: crypto.getRandomValues, crypto.randomUUID and crypto.subtle,
// after the W3C Web Cryptography API and Node 20's behaviour and messages.
// This file does what the standard asks of each method (normalizing the
// algorithm, checking usages, formats, JWK members and lengths, choosing
// the error) and the host's OpenSSL functions (host.crypto, host_crypto.c)
// do the cryptography: HMAC, RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP, ECDSA and
// ECDH on P-256/384/521, Ed25519, X25519, AES-CTR/CBC/GCM/KW, HKDF, PBKDF2,
// with the raw, spki, pkcs8 and jwk formats. Secret keys are bytes kept in
// the CryptoKey; asymmetric keys are host handles (freed when collected).

'use strict';

const state = require('../state.js');
const DOMException = require('./domexception.js');
const { invalidArgType, missingArgs, nodeError } = require('../errors.js');
const { encodeBytes, decodeToBytes } = require('./base64.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

const HASHES = new Map([
  ['sha-1', { name: 'SHA-1', block: 64, size: 20 }],
  ['sha-256', { name: 'SHA-256', block: 64, size: 32 }],
  ['sha-384', { name: 'SHA-384', block: 128, size: 48 }],
  ['sha-512', { name: 'SHA-512', block: 128, size: 64 }],
]);

function host() {
  return state.host.crypto;
}

function isArrayBuffer(v) {
  return v instanceof ArrayBuffer || Object.prototype.toString.call(v) === '[object ArrayBuffer]' ||
    Object.prototype.toString.call(v) === '[object SharedArrayBuffer]';
}

function bufferSourceBytes(data, name = 'data') {
  if (isArrayBuffer(data)) return new Uint8Array(data.slice(0));
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
  const h = host();
  if (h) {
    const r = h.hmac(info.name, key, data);
    if (r) return r;
  }
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

// --- errors ----------------------------------------------------------------

function opError(msg = 'The operation failed for an operation-specific reason') {
  return new DOMException(msg, 'OperationError');
}
function dataError(msg = 'Invalid keyData') {
  return new DOMException(msg, 'DataError');
}
function accessError(msg = 'The requested operation is not valid for the provided key') {
  return new DOMException(msg, 'InvalidAccessError');
}
function syntaxError(msg) {
  return new DOMException(msg, 'SyntaxError');
}
function notSupported(msg = 'Unrecognized algorithm name') {
  return new DOMException(msg, 'NotSupportedError');
}
function an(word) {
  return /^[AEIOUHRSX]/.test(word) && !/^(US|EU)/.test(word) ? `an ${word}` : `a ${word}`;
}

const ORDINALS = ['1st', '2nd', '3rd', '4th', '5th', '6th', '7th'];

function checkArgs(method, args, n) {
  if (args.length < n) {
    throw nodeError(TypeError, 'ERR_MISSING_ARGS',
      `Failed to execute '${method}' on 'SubtleCrypto': ${n} arguments required, but only ${args.length} present.`);
  }
}

function checkKey(method, key, index) {
  if (!(key instanceof CryptoKey)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE',
      `Failed to execute '${method}' on 'SubtleCrypto': ${ORDINALS[index]} argument is not of type CryptoKey.`);
  }
}

const FORMATS = ['raw', 'spki', 'pkcs8', 'jwk'];
const USAGES = ['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'];

function checkFormat(method, format) {
  const f = `${format}`;
  if (!FORMATS.includes(f)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE',
      `Failed to execute '${method}' on 'SubtleCrypto': 1st argument value '${f}' is not a valid enum value of type KeyFormat.`);
  }
  return f;
}

function toUsages(method, usages, index) {
  if (usages === null || typeof usages !== 'object' || typeof usages[Symbol.iterator] !== 'function') {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE',
      `Failed to execute '${method}' on 'SubtleCrypto': ${ORDINALS[index]} argument can not be converted to sequence.`);
  }
  const out = [];
  for (const u of usages) {
    const s = `${u}`;
    if (!USAGES.includes(s)) {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE',
        `Failed to execute '${method}' on 'SubtleCrypto': ${ORDINALS[index]} argument value '${s}' is not a valid enum value of type KeyUsage.`);
    }
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

// --- algorithm normalization -------------------------------------------------

const NAMES = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP', 'ECDSA', 'ECDH', 'Ed25519', 'X25519', 'AES-CTR', 'AES-CBC',
  'AES-GCM', 'AES-KW', 'HMAC', 'HKDF', 'PBKDF2', 'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
const CANONICAL = new Map(NAMES.map((n) => [n.toUpperCase(), n]));

const RSA_GEN = 'RsaHashedKeyGenParams';
const RSA_IMPORT = 'RsaHashedImportParams';
const EC_GEN = 'EcKeyGenParams';
const EC_IMPORT = 'EcKeyImportParams';
const SIGN_OPS = { 'RSASSA-PKCS1-v1_5': null, 'RSA-PSS': 'RsaPssParams', ECDSA: 'EcdsaParams', Ed25519: null, HMAC: null };
const CRYPT_OPS = { 'RSA-OAEP': 'RsaOaepParams', 'AES-CTR': 'AesCtrParams', 'AES-CBC': 'AesCbcParams', 'AES-GCM': 'AesGcmParams' };
const OPS = {
  digest: { 'SHA-1': null, 'SHA-256': null, 'SHA-384': null, 'SHA-512': null },
  generateKey: {
    'RSASSA-PKCS1-v1_5': RSA_GEN, 'RSA-PSS': RSA_GEN, 'RSA-OAEP': RSA_GEN, ECDSA: EC_GEN, ECDH: EC_GEN,
    Ed25519: null, X25519: null, 'AES-CTR': 'AesKeyGenParams', 'AES-CBC': 'AesKeyGenParams',
    'AES-GCM': 'AesKeyGenParams', 'AES-KW': 'AesKeyGenParams', HMAC: 'HmacKeyGenParams',
  },
  importKey: {
    'RSASSA-PKCS1-v1_5': RSA_IMPORT, 'RSA-PSS': RSA_IMPORT, 'RSA-OAEP': RSA_IMPORT, ECDSA: EC_IMPORT, ECDH: EC_IMPORT,
    Ed25519: null, X25519: null, 'AES-CTR': null, 'AES-CBC': null, 'AES-GCM': null, 'AES-KW': null,
    HMAC: 'HmacImportParams', HKDF: null, PBKDF2: null,
  },
  sign: SIGN_OPS,
  verify: SIGN_OPS,
  encrypt: CRYPT_OPS,
  decrypt: CRYPT_OPS,
  deriveBits: { ECDH: 'EcdhKeyDeriveParams', X25519: 'EcdhKeyDeriveParams', HKDF: 'HkdfParams', PBKDF2: 'Pbkdf2Params' },
  wrapKey: { ...CRYPT_OPS, 'AES-KW': null },
  unwrapKey: { ...CRYPT_OPS, 'AES-KW': null },
  getKeyLength: {
    'AES-CTR': 'AesDerivedKeyParams', 'AES-CBC': 'AesDerivedKeyParams', 'AES-GCM': 'AesDerivedKeyParams',
    'AES-KW': 'AesDerivedKeyParams', HMAC: 'HmacImportParams', HKDF: null, PBKDF2: null,
  },
};

// Members of each dictionary: [name, kind, required].
const DICTS = {
  RsaHashedKeyGenParams: [['modulusLength', 'ulong', true], ['publicExponent', 'bytes', true], ['hash', 'hash', true]],
  RsaHashedImportParams: [['hash', 'hash', true]],
  EcKeyGenParams: [['namedCurve', 'string', true]],
  EcKeyImportParams: [['namedCurve', 'string', true]],
  AesKeyGenParams: [['length', 'ushort', true]],
  AesDerivedKeyParams: [['length', 'ushort', true]],
  HmacKeyGenParams: [['hash', 'hash', true], ['length', 'ulong', false]],
  HmacImportParams: [['hash', 'hash', true], ['length', 'ulong', false]],
  RsaPssParams: [['saltLength', 'ulong', true]],
  EcdsaParams: [['hash', 'hash', true]],
  RsaOaepParams: [['label', 'bytes', false]],
  AesCtrParams: [['counter', 'bytes', true], ['length', 'octet', true]],
  AesCbcParams: [['iv', 'bytes', true]],
  AesGcmParams: [['iv', 'bytes', true], ['additionalData', 'bytes', false], ['tagLength', 'octet', false]],
  EcdhKeyDeriveParams: [['public', 'key', true]],
  HkdfParams: [['hash', 'hash', true], ['salt', 'bytes', true], ['info', 'bytes', true]],
  Pbkdf2Params: [['hash', 'hash', true], ['salt', 'bytes', true], ['iterations', 'ulong', true]],
};

const INT_MAX = { octet: 0xff, ushort: 0xffff, ulong: 0xffffffff };

function normalizeError(msg) {
  return nodeError(TypeError, 'ERR_MISSING_OPTION', `Failed to normalize algorithm: ${msg}`);
}

function normalize(alg, op) {
  let obj;
  if (typeof alg === 'string') obj = { name: alg };
  else if (alg !== null && typeof alg === 'object') obj = alg;
  else throw normalizeError('passed algorithm is not an object or a string.');
  if (obj.name === undefined) throw normalizeError("'name' is required in 'Algorithm'.");
  const name = CANONICAL.get(`${obj.name}`.toUpperCase());
  const table = OPS[op];
  if (!name || !Object.prototype.hasOwnProperty.call(table, name)) throw notSupported();
  const out = { name };
  const dict = table[name];
  if (!dict) return out;
  for (const [member, kind, required] of DICTS[dict]) {
    const v = obj[member];
    if (v === undefined) {
      if (required) throw normalizeError(`passed algorithm can not be converted to '${dict}' because '${member}' is required in '${dict}'.`);
      continue;
    }
    if (kind === 'hash') out[member] = normalize(v, 'digest');
    else if (kind === 'string') out[member] = `${v}`;
    else if (kind === 'key') {
      if (!(v instanceof CryptoKey)) throw invalidArgType(`algorithm.${member}`, 'CryptoKey', v);
      out[member] = v;
    } else if (kind === 'bytes') {
      if (!isArrayBuffer(v) && !ArrayBuffer.isView(v)) {
        throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `Failed to normalize algorithm: algorithm.${member} is not instance of ArrayBuffer, Buffer, TypedArray, or DataView.`);
      }
      out[member] = bufferSourceBytes(v);
    } else {
      const n = Number(v);
      if (!Number.isFinite(n) || Math.trunc(n) < 0 || Math.trunc(n) > INT_MAX[kind]) {
        throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `Failed to normalize algorithm: algorithm.${member} is outside the accepted range.`);
      }
      out[member] = Math.trunc(n);
    }
  }
  return out;
}

// --- CryptoKey ---------------------------------------------------------------

const kKey = Symbol('kKey');
// Each key's bytes or host handle, out of reach of the program (a symbol
// property would show in Object.getOwnPropertySymbols).
const MATERIAL = new WeakMap();

function keyMaterial(key) {
  return MATERIAL.get(key);
}

function cloneAlgorithm(alg) {
  const out = {};
  for (const [k, v] of Object.entries(alg)) {
    out[k] = v instanceof Uint8Array ? v.slice() : v !== null && typeof v === 'object' ? cloneAlgorithm(v) : v;
  }
  return out;
}

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
    // Operations read these copies: the program may change the objects the
    // getters return (as in Node) without changing what the key is.
    material.alg = cloneAlgorithm(algorithm);
    material.usages = usages.slice();
    MATERIAL.set(this, material);
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

function makeKey(type, extractable, algorithm, usages, material) {
  return new CryptoKey(kKey, type, extractable, algorithm, usages, material);
}

const RSA = ['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP'];
const EC = ['ECDSA', 'ECDH'];
const OKP = ['Ed25519', 'X25519'];
const AES = ['AES-CTR', 'AES-CBC', 'AES-GCM', 'AES-KW'];
const CURVES = ['P-256', 'P-384', 'P-521'];

// Usages a key of each algorithm may have: [public/secret, private].
const KEY_USAGES = {
  'RSASSA-PKCS1-v1_5': [['verify'], ['sign']],
  'RSA-PSS': [['verify'], ['sign']],
  'RSA-OAEP': [['encrypt', 'wrapKey'], ['decrypt', 'unwrapKey']],
  ECDSA: [['verify'], ['sign']],
  ECDH: [[], ['deriveKey', 'deriveBits']],
  Ed25519: [['verify'], ['sign']],
  X25519: [[], ['deriveKey', 'deriveBits']],
  'AES-CTR': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
  'AES-CBC': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
  'AES-GCM': [['encrypt', 'decrypt', 'wrapKey', 'unwrapKey']],
  'AES-KW': [['wrapKey', 'unwrapKey']],
  HMAC: [['sign', 'verify']],
  HKDF: [['deriveKey', 'deriveBits']],
  PBKDF2: [['deriveKey', 'deriveBits']],
};

function familyLabel(name) {
  if (AES.includes(name)) return 'AES';
  return name;
}

function checkUsages(name, usages, allowed) {
  for (const u of usages) {
    if (!allowed.includes(u)) throw syntaxError(`Unsupported key usage for ${an(familyLabel(name))} key`);
  }
}

function jwkBytes(jwk, member) {
  const v = jwk[member];
  if (typeof v !== 'string') throw dataError(`Invalid JWK "${member}" Parameter`);
  return decodeToBytes(v).slice();
}

function b64u(bytes) {
  return encodeBytes(bytes, true);
}

// The JWK "alg" of a key, as Node writes it.
function jwkAlg(alg) {
  const bits = alg.hash ? alg.hash.name.slice(4) : '';
  switch (alg.name) {
    case 'HMAC': return `HS${bits}`;
    case 'RSASSA-PKCS1-v1_5': return `RS${bits}`;
    case 'RSA-PSS': return `PS${bits}`;
    case 'RSA-OAEP': return bits === '1' ? 'RSA-OAEP' : `RSA-OAEP-${bits}`;
    case 'AES-CTR': return `A${alg.length}CTR`;
    case 'AES-CBC': return `A${alg.length}CBC`;
    case 'AES-GCM': return `A${alg.length}GCM`;
    case 'AES-KW': return `A${alg.length}KW`;
    case 'Ed25519': return 'Ed25519';
    default: return undefined;
  }
}

// Checks of RFC 7517 members common to every JWK import.
function checkJwk(jwk, kty, extractable, usages, useValue) {
  if (jwk === null || typeof jwk !== 'object') throw dataError('Invalid keyData');
  if (jwk.kty !== kty) throw dataError('Invalid JWK "kty" Parameter');
  if (usages.length && jwk.use !== undefined && jwk.use !== useValue) throw dataError('Invalid JWK "use" Parameter');
  if (jwk.key_ops !== undefined) {
    if (!Array.isArray(jwk.key_ops)) throw dataError('Invalid JWK "key_ops" Parameter');
    for (const u of usages) if (!jwk.key_ops.includes(u)) throw dataError('Key operations and usage mismatch');
  }
  if (jwk.ext !== undefined && jwk.ext === false && extractable) throw dataError('JWK "ext" Parameter and extractable mismatch');
}

function keyKindFor(name) {
  if (RSA.includes(name)) return 'RSA';
  if (EC.includes(name)) return 'EC';
  return name.toUpperCase();
}

function hostKeyInfo(handle) {
  return host().info(handle);
}

// A CryptoKey of an asymmetric algorithm from a host handle.
function asymmetricKey(alg, handle, extractable, usages, checkCurve) {
  const info = hostKeyInfo(handle);
  const kind = keyKindFor(alg.name);
  if (info.kind !== kind && !(kind === 'RSA' && info.kind === 'RSA-PSS')) throw dataError('Invalid key type');
  const type = info.private ? 'private' : 'public';
  const allowed = KEY_USAGES[alg.name][type === 'private' ? 1 : 0];
  checkUsages(alg.name, usages, allowed);
  if (type === 'private' && usages.length === 0) throw syntaxError('Usages cannot be empty when importing a private key.');
  let algorithm;
  if (kind === 'RSA') {
    algorithm = { name: alg.name, modulusLength: info.bits, publicExponent: new Uint8Array(info.publicExponent), hash: { name: alg.hash.name } };
  } else if (kind === 'EC') {
    if (checkCurve && info.curve !== alg.namedCurve) throw dataError('Named curve mismatch');
    algorithm = { name: alg.name, namedCurve: info.curve };
  } else {
    algorithm = { name: alg.name };
  }
  return makeKey(type, type === 'public' ? true : Boolean(extractable), algorithm, usages, { handle });
}

function importAsymmetric(format, keyData, alg, extractable, usages) {
  const H = host();
  const kind = keyKindFor(alg.name);
  let handle = null;
  if (format === 'spki' || format === 'pkcs8') {
    const bytes = bufferSourceBytes(keyData, 'keyData');
    handle = H.decode(bytes, 'DER', format === 'spki' ? 'SubjectPublicKeyInfo' : 'PrivateKeyInfo', '',
      format === 'spki' ? 'public' : 'private', null);
    if (!handle) throw dataError('Invalid keyData');
  } else if (format === 'raw') {
    if (kind === 'RSA') throw notSupported(`Unable to import ${alg.name} key with format raw`);
    const bytes = bufferSourceBytes(keyData, 'keyData');
    if (kind !== 'EC' && bytes.length !== 32) throw dataError(`${alg.name} raw keys must be exactly 32-bytes`);
    handle = H.importRaw(kind, kind === 'EC' ? alg.namedCurve : '', bytes);
    if (!handle) throw dataError('Invalid keyData');
  } else {
    const jwk = keyData;
    if (kind === 'RSA') {
      checkJwk(jwk, 'RSA', extractable, usages, alg.name === 'RSA-OAEP' ? 'enc' : 'sig');
      if (jwk.alg !== undefined && jwk.alg !== jwkAlg(alg)) throw dataError('JWK "alg" does not match the requested algorithm');
      const priv = jwk.d !== undefined;
      const m = { n: jwkBytes(jwk, 'n'), e: jwkBytes(jwk, 'e') };
      if (priv) {
        m.d = jwkBytes(jwk, 'd');
        const crt = ['p', 'q', 'dp', 'dq', 'qi'];
        const given = crt.filter((k) => jwk[k] !== undefined);
        if (given.length && given.length !== crt.length) throw dataError('Invalid keyData');
        for (const k of given) m[k] = jwkBytes(jwk, k);
      }
      handle = H.importJwk('RSA', '', m, priv);
    } else if (kind === 'EC') {
      checkJwk(jwk, 'EC', extractable, usages, alg.name === 'ECDH' ? 'enc' : 'sig');
      if (jwk.crv !== alg.namedCurve) throw dataError('JWK "crv" does not match the requested algorithm');
      const priv = jwk.d !== undefined;
      const size = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }[alg.namedCurve];
      const m = { x: jwkBytes(jwk, 'x'), y: jwkBytes(jwk, 'y') };
      if (m.x.length !== size || m.y.length !== size) throw dataError('Invalid keyData');
      if (priv) {
        m.d = jwkBytes(jwk, 'd');
        if (m.d.length !== size) throw dataError('Invalid keyData');
      }
      if (alg.name === 'ECDSA' && jwk.alg !== undefined) {
        const want = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[alg.namedCurve];
        if (jwk.alg !== want) throw dataError('JWK "alg" does not match the requested algorithm');
      }
      handle = H.importJwk('EC', alg.namedCurve, m, priv);
    } else {
      checkJwk(jwk, 'OKP', extractable, usages, alg.name === 'X25519' ? 'enc' : 'sig');
      if (jwk.crv !== alg.name) throw dataError('JWK "crv" Parameter and algorithm name mismatch');
      if (alg.name === 'Ed25519' && jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') throw dataError('JWK "alg" does not match the requested algorithm');
      const priv = jwk.d !== undefined;
      const m = { x: jwkBytes(jwk, 'x') };
      if (priv) m.d = jwkBytes(jwk, 'd');
      if (m.x.length !== 32 || (priv && m.d.length !== 32)) throw dataError('Invalid keyData');
      handle = H.importJwk(kind, '', m, priv);
    }
    if (!handle) throw dataError('Invalid keyData');
  }
  return asymmetricKey(alg, handle, extractable, usages, true);
}

function importSecret(format, keyData, alg, extractable, usages) {
  const name = alg.name;
  checkUsages(name, usages, KEY_USAGES[name][0]);
  if (name === 'HKDF' || name === 'PBKDF2') {
    if (format !== 'raw') throw notSupported(`Unable to import ${name} key with format ${format}`);
    if (extractable) throw syntaxError(`${name} keys are not extractable`);
    return makeKey('secret', false, { name }, usages, { bytes: bufferSourceBytes(keyData, 'keyData') });
  }
  let bytes;
  if (format === 'raw') {
    bytes = bufferSourceBytes(keyData, 'keyData');
  } else if (format === 'jwk') {
    checkJwk(keyData, 'oct', extractable, usages, name === 'HMAC' ? 'sig' : 'enc');
    bytes = jwkBytes(keyData, 'k');
  } else {
    throw notSupported(`Unable to import ${familyLabel(name)} key with format ${format}`);
  }
  if (name === 'HMAC') {
    if (bytes.length === 0) throw dataError('Zero-length key is not supported');
    let length = bytes.length * 8;
    if (alg.length !== undefined) {
      if (alg.length > length || alg.length <= length - 8) throw dataError('Invalid key length');
      length = alg.length;
    }
    const algorithm = { name, hash: { name: alg.hash.name }, length };
    if (format === 'jwk' && keyData.alg !== undefined && keyData.alg !== jwkAlg(algorithm)) {
      throw dataError('JWK "alg" does not match the requested algorithm');
    }
    return makeKey('secret', Boolean(extractable), algorithm, usages, { bytes });
  }
  if (![16, 24, 32].includes(bytes.length)) throw dataError('Invalid key length');
  const algorithm = { name, length: bytes.length * 8 };
  if (format === 'jwk' && keyData.alg !== undefined && keyData.alg !== jwkAlg(algorithm)) {
    throw dataError('JWK "alg" does not match the requested algorithm');
  }
  return makeKey('secret', Boolean(extractable), algorithm, usages, { bytes });
}

function importKeyNow(format, keyData, alg, extractable, usages) {
  if (format === 'jwk') {
    if (keyData === null || typeof keyData !== 'object' || isArrayBuffer(keyData) || ArrayBuffer.isView(keyData)) {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', "Failed to execute 'importKey' on 'SubtleCrypto': 2nd argument is not of type JsonWebKey.");
    }
  } else if (!isArrayBuffer(keyData) && !ArrayBuffer.isView(keyData)) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', "Failed to execute 'importKey' on 'SubtleCrypto': 2nd argument is not instance of ArrayBuffer, Buffer, TypedArray, or DataView.");
  }
  if (RSA.includes(alg.name) || EC.includes(alg.name) || OKP.includes(alg.name)) {
    if (EC.includes(alg.name) && !CURVES.includes(alg.namedCurve)) throw notSupported('Unrecognized namedCurve');
    return importAsymmetric(format, keyData, alg, extractable, usages);
  }
  const key = importSecret(format, keyData, alg, extractable, usages);
  if (usages.length === 0) throw syntaxError('Usages cannot be empty when importing a secret key.');
  return key;
}

function exportKeyNow(format, key) {
  const alg = keyMaterial(key).alg;
  const material = keyMaterial(key);
  const name = alg.name;
  if (key.type === 'secret') {
    if (format === 'raw') return material.bytes.slice().buffer;
    if (format === 'jwk') {
      const jwk = { key_ops: keyMaterial(key).usages.slice(), ext: key.extractable, kty: 'oct', k: b64u(material.bytes) };
      const a = jwkAlg(alg);
      if (a) jwk.alg = a;
      return jwk;
    }
    throw accessError(`Unable to export a ${format} ${name} secret key`);
  }
  const H = host();
  const h = material.handle;
  if (format === 'spki') {
    if (key.type !== 'public') throw accessError(`Unable to export a spki ${name} private key`);
    return H.encode(h, 'DER', 'SubjectPublicKeyInfo', false).buffer;
  }
  if (format === 'pkcs8') {
    if (key.type !== 'private') throw accessError(`Unable to export a pkcs8 ${name} public key`);
    return H.encode(h, 'DER', 'PrivateKeyInfo', true).buffer;
  }
  if (format === 'raw') {
    if (key.type !== 'public' || RSA.includes(name)) throw accessError(`Unable to export a raw ${name} ${key.type} key`);
    return H.exportRaw(h).buffer;
  }
  const m = H.exportJwk(h);
  const jwk = { key_ops: keyMaterial(key).usages.slice(), ext: key.extractable };
  if (RSA.includes(name)) {
    jwk.kty = 'RSA';
    for (const k of ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi']) if (m[k]) jwk[k] = b64u(m[k]);
    jwk.alg = jwkAlg(alg);
  } else if (EC.includes(name)) {
    jwk.kty = 'EC';
    jwk.x = b64u(m.x);
    jwk.y = b64u(m.y);
    jwk.crv = alg.namedCurve;
    if (m.d) jwk.d = b64u(m.d);
  } else {
    jwk.crv = name;
    if (m.d) jwk.d = b64u(m.d);
    jwk.x = b64u(m.x);
    jwk.kty = 'OKP';
    if (name === 'Ed25519') jwk.alg = 'Ed25519';
  }
  return jwk;
}

function generateKeyNow(alg, extractable, usages) {
  const name = alg.name;
  const H = host();
  if (RSA.includes(name) || EC.includes(name) || OKP.includes(name)) {
    const [pubUses, privUses] = KEY_USAGES[name];
    checkUsages(RSA.includes(name) ? 'RSA' : name, usages, pubUses.concat(privUses));
    let handle;
    let algorithm;
    if (RSA.includes(name)) {
      const e = alg.publicExponent;
      let ev = 0;
      for (const b of e) ev = ev * 256 + b;
      if (alg.modulusLength < 256 || alg.modulusLength > 16384 || alg.modulusLength % 8 || ev < 3 || ev % 2 === 0) throw opError();
      handle = H.generate('RSA', alg.modulusLength, e);
      algorithm = { name, modulusLength: alg.modulusLength, publicExponent: e.slice(), hash: { name: alg.hash.name } };
    } else if (EC.includes(name)) {
      if (!CURVES.includes(alg.namedCurve)) throw notSupported('Unrecognized namedCurve');
      handle = H.generate('EC', alg.namedCurve);
      algorithm = { name, namedCurve: alg.namedCurve };
    } else {
      handle = H.generate(name.toUpperCase());
      algorithm = { name };
    }
    if (!handle) throw opError();
    // Node orders a generated pair's usages as the standard lists them.
    const privUsages = privUses.filter((u) => usages.includes(u));
    if (privUsages.length === 0) throw syntaxError('Usages cannot be empty when creating a key.');
    const pub = makeKey('public', true, algorithm, pubUses.filter((u) => usages.includes(u)), { handle: H.publicOf(handle) });
    const priv = makeKey('private', Boolean(extractable), cloneAlgorithm(algorithm), privUsages, { handle });
    return { publicKey: pub, privateKey: priv };
  }
  checkUsages(name, usages, KEY_USAGES[name][0]);
  let bytes;
  let algorithm;
  if (name === 'HMAC') {
    const bits = alg.length !== undefined ? alg.length : HASHES.get(alg.hash.name.toLowerCase()).block * 8;
    if (bits === 0) throw opError('Zero-length key is not supported');
    bytes = randomBytes(Math.ceil(bits / 8));
    if (bits % 8) bytes[bytes.length - 1] &= (0xff << (8 - (bits % 8))) & 0xff;
    algorithm = { name, length: bits, hash: { name: alg.hash.name } };
  } else {
    if (![128, 192, 256].includes(alg.length)) throw opError('AES key length must be 128, 192, or 256 bits');
    bytes = randomBytes(alg.length / 8);
    algorithm = { name, length: alg.length };
  }
  if (usages.length === 0) throw syntaxError('Usages cannot be empty when creating a key.');
  return makeKey('secret', Boolean(extractable), algorithm, usages, { bytes });
}

// Node's messages: one for both failures of sign and verify, two otherwise.
function checkKeyFor(alg, key, usage) {
  const sameAlg = alg.name === keyMaterial(key).alg.name;
  if (!sameAlg && usage !== 'sign' && usage !== 'verify') throw accessError();
  if (!sameAlg || !keyMaterial(key).usages.includes(usage)) throw accessError(`Unable to use this key to ${usage}`);
}

function signNow(alg, key, data) {
  const H = host();
  const name = alg.name;
  if (name === 'HMAC') return hmacBytes(keyMaterial(key).alg.hash.name, keyMaterial(key).bytes, data).buffer;
  if (key.type !== 'private') throw accessError('Unable to use this key to sign');
  let sig;
  const h = keyMaterial(key).handle;
  if (name === 'RSASSA-PKCS1-v1_5') sig = H.sign(h, keyMaterial(key).alg.hash.name, data, null, 'pkcs1', 0, false);
  else if (name === 'RSA-PSS') sig = H.sign(h, keyMaterial(key).alg.hash.name, data, null, 'pss', alg.saltLength, false);
  else if (name === 'ECDSA') sig = H.sign(h, alg.hash.name, data, null, '', 0, true);
  else sig = H.sign(h, '', data, null, '', 0, false);
  if (!sig) throw opError();
  return sig.buffer;
}

function verifyNow(alg, key, signature, data) {
  const H = host();
  const name = alg.name;
  if (name === 'HMAC') {
    const mac = hmacBytes(keyMaterial(key).alg.hash.name, keyMaterial(key).bytes, data);
    if (mac.length !== signature.length) return false;
    let diff = 0;
    for (let i = 0; i < mac.length; i++) diff |= mac[i] ^ signature[i];
    return diff === 0;
  }
  if (key.type !== 'public') throw accessError('Unable to use this key to verify');
  const h = keyMaterial(key).handle;
  if (name === 'RSASSA-PKCS1-v1_5') return H.verify(h, keyMaterial(key).alg.hash.name, data, signature, 'pkcs1', 0, false);
  if (name === 'RSA-PSS') return H.verify(h, keyMaterial(key).alg.hash.name, data, signature, 'pss', alg.saltLength, false);
  if (name === 'ECDSA') return H.verify(h, alg.hash.name, data, signature, '', 0, true);
  return H.verify(h, '', data, signature, '', 0, false);
}

function aesRun(alg, key, data, encrypt) {
  const H = host();
  const k = keyMaterial(key).bytes;
  let r;
  if (alg.name === 'AES-GCM') {
    const tag = alg.tagLength === undefined ? 128 : alg.tagLength;
    if (![32, 64, 96, 104, 112, 120, 128].includes(tag)) throw opError(`${tag} is not a valid AES-GCM tag length`);
    if (alg.iv.length === 0) throw opError('algorithm.iv must contain at least one byte');
    if (!encrypt && data.length < tag / 8) throw opError();
    r = H.aes('GCM', encrypt, k, alg.iv, data, alg.additionalData || null, tag / 8, 0);
  } else if (alg.name === 'AES-CBC') {
    if (alg.iv.length !== 16) throw opError('algorithm.iv must contain exactly 16 bytes');
    r = H.aes('CBC', encrypt, k, alg.iv, data, null, 0, 0);
  } else if (alg.name === 'AES-CTR') {
    if (alg.counter.length !== 16) throw opError('algorithm.counter must contain exactly 16 bytes');
    if (alg.length === 0 || alg.length > 128) throw opError('AES-CTR algorithm.length must be between 1 and 128');
    // The counter may wrap once but never repeat a value.
    if (alg.length < 53 && Math.ceil(data.length / 16) > 2 ** alg.length) throw opError();
    r = H.aes('CTR', encrypt, k, alg.counter, data, null, 0, alg.length);
  } else {
    if (data.length % 8 || (encrypt ? data.length < 16 : data.length < 24)) throw opError();
    r = H.aes('KW', encrypt, k, null, data, null, 0, 0);
  }
  if (!r) throw opError();
  return r.buffer;
}

function cryptNow(alg, key, data, encrypt) {
  if (alg.name === 'RSA-OAEP') {
    if (key.type !== (encrypt ? 'public' : 'private')) throw accessError();
    const r = host().rsaCrypt(keyMaterial(key).handle, encrypt, 'oaep', keyMaterial(key).alg.hash.name, alg.label || null, data);
    if (!r) throw opError();
    return r.buffer;
  }
  return aesRun(alg, key, data, encrypt);
}

function deriveBitsNow(alg, key, length) {
  const H = host();
  const name = alg.name;
  if (name === 'ECDH' || name === 'X25519') {
    const pub = alg.public;
    if (pub.type !== 'public') throw accessError('algorithm.public must be a public key');
    if (keyMaterial(pub).alg.name !== name) throw accessError('The public and private keys must be of the same type');
    if (name === 'ECDH' && keyMaterial(pub).alg.namedCurve !== keyMaterial(key).alg.namedCurve) throw accessError('Named curve mismatch');
    if (key.type !== 'private') throw accessError('baseKey must be a private key');
    const secret = H.derive(keyMaterial(key).handle, keyMaterial(pub).handle);
    if (!secret) throw opError();
    if (length === null || length === undefined) return secret.buffer;
    if (length > secret.length * 8) throw opError('derived bit length is too large');
    const out = secret.slice(0, Math.ceil(length / 8));
    if (length % 8) out[out.length - 1] &= (0xff << (8 - (length % 8))) & 0xff;
    return out.buffer;
  }
  if (length === null || length === undefined) throw opError('length cannot be null');
  if (length % 8) throw opError('length must be a multiple of 8');
  const k = keyMaterial(key).bytes;
  let r;
  if (name === 'HKDF') {
    r = H.hkdf(alg.hash.name, k, alg.salt, alg.info, length / 8);
  } else {
    if (alg.iterations === 0) throw opError('iterations cannot be zero');
    r = H.pbkdf2(alg.hash.name, k, alg.salt, alg.iterations, length / 8);
  }
  if (!r) throw opError();
  return r.buffer;
}

function keyLength(alg) {
  if (AES.includes(alg.name)) {
    if (![128, 192, 256].includes(alg.length)) throw opError('AES key length must be 128, 192, or 256 bits');
    return alg.length;
  }
  if (alg.name === 'HMAC') {
    if (alg.length === undefined) return HASHES.get(alg.hash.name.toLowerCase()).block * 8;
    if (alg.length === 0) throw new TypeError('Invalid key length');
    return alg.length;
  }
  return null;
}

function toLength(length) {
  if (length === null || length === undefined) return null;
  const n = Number(length);
  if (!Number.isFinite(n) || n < 0 || n > 0xffffffff) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', "Failed to execute 'deriveBits' on 'SubtleCrypto': 3rd argument is outside the accepted range.");
  }
  return Math.trunc(n);
}

// Runs an operation as the standard does: argument errors reject the promise
// rather than throw.
function run(fn) {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

const kSubtle = Symbol('kSubtle');

class SubtleCrypto {
  constructor(token) {
    if (token !== kSubtle) throw new TypeError('Illegal constructor');
  }

  digest(algorithm, data) {
    const args = arguments;
    return run(() => {
      checkArgs('digest', args, 2);
      const alg = normalize(algorithm, 'digest');
      const bytes = bufferSourceBytes(data);
      return state.host.digest(alg.name, bytes);
    });
  }

  generateKey(algorithm, extractable, keyUsages) {
    const args = arguments;
    return run(() => {
      checkArgs('generateKey', args, 3);
      const alg = normalize(algorithm, 'generateKey');
      const usages = toUsages('generateKey', keyUsages, 2);
      return generateKeyNow(alg, Boolean(extractable), usages);
    });
  }

  importKey(format, keyData, algorithm, extractable, keyUsages) {
    const args = arguments;
    return run(() => {
      checkArgs('importKey', args, 5);
      const f = checkFormat('importKey', format);
      const alg = normalize(algorithm, 'importKey');
      const usages = toUsages('importKey', keyUsages, 4);
      return importKeyNow(f, keyData, alg, Boolean(extractable), usages);
    });
  }

  exportKey(format, key) {
    const args = arguments;
    return run(() => {
      checkArgs('exportKey', args, 2);
      const f = checkFormat('exportKey', format);
      checkKey('exportKey', key, 1);
      if (!key.extractable) throw accessError('key is not extractable');
      return exportKeyNow(f, key);
    });
  }

  sign(algorithm, key, data) {
    const args = arguments;
    return run(() => {
      checkArgs('sign', args, 3);
      const alg = normalize(algorithm, 'sign');
      checkKey('sign', key, 1);
      const bytes = bufferSourceBytes(data);
      checkKeyFor(alg, key, 'sign');
      return signNow(alg, key, bytes);
    });
  }

  verify(algorithm, key, signature, data) {
    const args = arguments;
    return run(() => {
      checkArgs('verify', args, 4);
      const alg = normalize(algorithm, 'verify');
      checkKey('verify', key, 1);
      const sig = bufferSourceBytes(signature, 'signature');
      const bytes = bufferSourceBytes(data);
      checkKeyFor(alg, key, 'verify');
      return verifyNow(alg, key, sig, bytes);
    });
  }

  encrypt(algorithm, key, data) {
    const args = arguments;
    return run(() => {
      checkArgs('encrypt', args, 3);
      const alg = normalize(algorithm, 'encrypt');
      checkKey('encrypt', key, 1);
      const bytes = bufferSourceBytes(data);
      checkKeyFor(alg, key, 'encrypt');
      return cryptNow(alg, key, bytes, true);
    });
  }

  decrypt(algorithm, key, data) {
    const args = arguments;
    return run(() => {
      checkArgs('decrypt', args, 3);
      const alg = normalize(algorithm, 'decrypt');
      checkKey('decrypt', key, 1);
      const bytes = bufferSourceBytes(data);
      checkKeyFor(alg, key, 'decrypt');
      return cryptNow(alg, key, bytes, false);
    });
  }

  deriveBits(algorithm, baseKey, length) {
    const args = arguments;
    return run(() => {
      checkArgs('deriveBits', args, 2);
      const alg = normalize(algorithm, 'deriveBits');
      checkKey('deriveBits', baseKey, 1);
      const n = toLength(length);
      if (alg.name !== keyMaterial(baseKey).alg.name) throw accessError();
      if (!keyMaterial(baseKey).usages.includes('deriveBits')) throw accessError('baseKey does not have deriveBits usage');
      return deriveBitsNow(alg, baseKey, n);
    });
  }

  deriveKey(algorithm, baseKey, derivedKeyAlgorithm, extractable, keyUsages) {
    const args = arguments;
    return run(() => {
      checkArgs('deriveKey', args, 5);
      const alg = normalize(algorithm, 'deriveBits');
      checkKey('deriveKey', baseKey, 1);
      const importAlg = normalize(derivedKeyAlgorithm, 'importKey');
      const lengthAlg = normalize(derivedKeyAlgorithm, 'getKeyLength');
      const usages = toUsages('deriveKey', keyUsages, 4);
      if (alg.name !== keyMaterial(baseKey).alg.name) throw accessError();
      if (!keyMaterial(baseKey).usages.includes('deriveKey')) throw accessError('baseKey does not have deriveKey usage');
      const bits = deriveBitsNow(alg, baseKey, keyLength(lengthAlg));
      return importKeyNow('raw', bits, importAlg, Boolean(extractable), usages);
    });
  }

  wrapKey(format, key, wrappingKey, wrapAlgorithm) {
    const args = arguments;
    return run(() => {
      checkArgs('wrapKey', args, 4);
      const f = checkFormat('wrapKey', format);
      checkKey('wrapKey', key, 1);
      checkKey('wrapKey', wrappingKey, 2);
      const alg = normalize(wrapAlgorithm, 'wrapKey');
      checkKeyFor(alg, wrappingKey, 'wrapKey');
      if (!key.extractable) throw accessError('key is not extractable');
      const exported = exportKeyNow(f, key);
      const bytes = f === 'jwk' ? state.host.utf8Encode(JSON.stringify(exported)) : new Uint8Array(exported);
      if (alg.name === 'AES-KW') return aesRun(alg, wrappingKey, bytes, true);
      return cryptNow(alg, wrappingKey, bytes, true);
    });
  }

  unwrapKey(format, wrappedKey, unwrappingKey, unwrapAlgorithm, unwrappedKeyAlgorithm, extractable, keyUsages) {
    const args = arguments;
    return run(() => {
      checkArgs('unwrapKey', args, 7);
      const f = checkFormat('unwrapKey', format);
      const wrapped = bufferSourceBytes(wrappedKey, 'wrappedKey');
      checkKey('unwrapKey', unwrappingKey, 2);
      const alg = normalize(unwrapAlgorithm, 'unwrapKey');
      const importAlg = normalize(unwrappedKeyAlgorithm, 'importKey');
      const usages = toUsages('unwrapKey', keyUsages, 6);
      checkKeyFor(alg, unwrappingKey, 'unwrapKey');
      const bytes = new Uint8Array(alg.name === 'AES-KW' ? aesRun(alg, unwrappingKey, wrapped, false)
        : cryptNow(alg, unwrappingKey, wrapped, false));
      let keyData = bytes;
      if (f === 'jwk') {
        try {
          keyData = JSON.parse(state.host.utf8Decode(bytes, false));
        } catch {
          throw dataError('The unwrapped key is not valid JSON');
        }
      }
      return importKeyNow(f, keyData, importAlg, Boolean(extractable), usages);
    });
  }
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
  getRandomValues, bufferSourceBytes, HEX, keyMaterial, makeKey, b64u, jwkBytes,
};
