// node:crypto's keys and what uses them, on the host's OpenSSL functions
// (host.crypto): KeyObject (secret, public, private; createSecretKey,
// createPublicKey, createPrivateKey, export as pem/der/jwk, KeyObject.from),
// createSign/createVerify and sign/verify (RSA PKCS#1 v1.5 and PSS, ECDSA
// as DER or IEEE P1363, Ed25519/Ed448), generateKeyPair(Sync) and
// generateKey(Sync), publicEncrypt/privateDecrypt (OAEP and PKCS#1 v1.5)
// and diffieHellman (ECDH, X25519, X448).

'use strict';

const state = require('../state.js');
const web = require('../web/crypto.js');
const { invalidArgType, invalidArgValue, nodeError, validateFunction, validateObject } = require('../errors.js');

function H() {
  return state.host.crypto;
}

function B() {
  return require('./buffer.js').Buffer;
}

const constants = {
  RSA_PKCS1_PADDING: 1,
  RSA_NO_PADDING: 3,
  RSA_PKCS1_OAEP_PADDING: 4,
  RSA_X931_PADDING: 5,
  RSA_PKCS1_PSS_PADDING: 6,
  RSA_PSS_SALTLEN_DIGEST: -1,
  RSA_PSS_SALTLEN_MAX_SIGN: -2,
  RSA_PSS_SALTLEN_AUTO: -2,
  POINT_CONVERSION_COMPRESSED: 2,
  POINT_CONVERSION_UNCOMPRESSED: 4,
  POINT_CONVERSION_HYBRID: 6,
};

const KEY_TYPES = { RSA: 'rsa', 'RSA-PSS': 'rsa-pss', EC: 'ec', ED25519: 'ed25519', X25519: 'x25519', ED448: 'ed448', X448: 'x448' };
const NODE_CURVES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const JWK_CURVES = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', secp256k1: 'secp256k1' };
const OKP_CURVES = { ED25519: 'Ed25519', X25519: 'X25519', ED448: 'Ed448', X448: 'X448' };

function opFailed(what) {
  return nodeError(Error, 'ERR_CRYPTO_OPERATION_FAILED', `${what} failed`);
}

function decoderError() {
  return nodeError(Error, 'ERR_OSSL_UNSUPPORTED', 'error:1E08010C:DECODER routines::unsupported');
}

function toBytes(data, encoding, name) {
  if (typeof data === 'string') {
    const b = B().from(data, encoding || 'utf8');
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw invalidArgType(name, ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView'], data);
}

function buf(u8) {
  return B().from(u8.buffer, u8.byteOffset, u8.length);
}

const kKeyType = Symbol('kKeyType');
// Each KeyObject's bytes (secret) or host handle, out of the program's reach.
const HANDLES = new WeakMap();

class KeyObject {
  constructor(type, handle) {
    if (type !== 'secret' && type !== 'public' && type !== 'private') throw invalidArgValue('type', type);
    this[kKeyType] = type;
    HANDLES.set(this, handle);
  }

  get type() {
    return this[kKeyType];
  }

  static from(key) {
    if (!(key instanceof web.CryptoKey)) throw invalidArgType('key', 'CryptoKey', key);
    const m = web.keyMaterial(key);
    if (m.bytes) return new SecretKeyObject(m.bytes.slice());
    return key.type === 'private' ? new PrivateKeyObject(m.handle) : new PublicKeyObject(m.handle);
  }

  equals(other) {
    if (!(other instanceof KeyObject)) throw invalidArgType('otherKeyObject', 'KeyObject', other);
    if (other.type !== this.type) return false;
    if (this.type === 'secret') {
      const a = HANDLES.get(this);
      const b = HANDLES.get(other);
      return a.length === b.length && a.every((x, i) => x === b[i]);
    }
    return H().equals(HANDLES.get(this), HANDLES.get(other));
  }
}
Object.defineProperty(KeyObject.prototype, Symbol.toStringTag, { value: 'KeyObject', configurable: true });

class SecretKeyObject extends KeyObject {
  constructor(bytes) {
    super('secret', bytes);
  }

  get symmetricKeySize() {
    return HANDLES.get(this).length;
  }

  export(options) {
    if (options !== undefined) validateObject(options, 'options');
    if (options && options.format === 'jwk') return { kty: 'oct', k: web.b64u(HANDLES.get(this)) };
    return buf(HANDLES.get(this).slice());
  }
}

class AsymmetricKeyObject extends KeyObject {
  get asymmetricKeyType() {
    return KEY_TYPES[H().info(HANDLES.get(this)).kind];
  }

  get asymmetricKeyDetails() {
    const info = H().info(HANDLES.get(this));
    if (info.kind === 'RSA' || info.kind === 'RSA-PSS') {
      let e = 0n;
      for (const b of info.publicExponent) e = (e << 8n) | BigInt(b);
      return { modulusLength: info.bits, publicExponent: e };
    }
    if (info.kind === 'EC') return { namedCurve: NODE_CURVES[info.curve] || info.curve };
    return {};
  }

  export(options) {
    validateObject(options, 'options');
    const priv = this.type === 'private';
    const h = HANDLES.get(this);
    const info = H().info(h);
    if (options.format === 'jwk') return exportJwk(h, info, priv);
    const format = options.format === undefined ? 'pem' : options.format;
    if (format !== 'pem' && format !== 'der') throw invalidArgValue('options.format', format);
    if (options.cipher !== undefined) {
      throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', 'corral cannot export an encrypted private key (options.cipher)');
    }
    const type = options.type;
    const allowed = priv ? ['pkcs8', 'pkcs1', 'sec1'] : ['spki', 'pkcs1'];
    if (!allowed.includes(type)) throw invalidArgValue('options.type', type);
    if (type === 'pkcs1' && info.kind !== 'RSA') {
      throw nodeError(Error, 'ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS', 'The selected key encoding pkcs1 can only be used for RSA keys.');
    }
    if (type === 'sec1' && info.kind !== 'EC') {
      throw nodeError(Error, 'ERR_CRYPTO_INCOMPATIBLE_KEY_OPTIONS', 'The selected key encoding sec1 can only be used for EC keys.');
    }
    const structure = type === 'spki' ? 'SubjectPublicKeyInfo' : type === 'pkcs8' ? 'PrivateKeyInfo' : 'type-specific';
    const out = H().encode(h, format.toUpperCase(), structure, priv);
    if (!out) throw opFailed('Key export');
    return format === 'pem' ? state.host.utf8Decode(out, false) : buf(out);
  }
}

class PublicKeyObject extends AsymmetricKeyObject {
  constructor(handle) {
    super('public', handle);
  }
}

class PrivateKeyObject extends AsymmetricKeyObject {
  constructor(handle) {
    super('private', handle);
  }
}

function exportJwk(h, info, priv) {
  const m = H().exportJwk(h);
  const b = web.b64u;
  if (info.kind === 'RSA') {
    const j = { kty: 'RSA', n: b(m.n), e: b(m.e) };
    if (priv) for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) j[k] = b(m[k]);
    return j;
  }
  if (info.kind === 'EC') {
    const crv = JWK_CURVES[info.curve];
    if (!crv) throw nodeError(Error, 'ERR_CRYPTO_JWK_UNSUPPORTED_CURVE', `Unsupported JWK EC curve: ${info.curve}.`);
    const j = { kty: 'EC', x: b(m.x), y: b(m.y), crv };
    if (priv) j.d = b(m.d);
    return j;
  }
  if (OKP_CURVES[info.kind]) {
    const j = { crv: OKP_CURVES[info.kind] };
    if (priv) j.d = b(m.d);
    j.x = b(m.x);
    j.kty = 'OKP';
    return j;
  }
  throw nodeError(Error, 'ERR_CRYPTO_JWK_UNSUPPORTED_KEY_TYPE', 'Unsupported JWK Key Type.');
}

function wrap(handle) {
  return H().info(handle).private ? new PrivateKeyObject(handle) : new PublicKeyObject(handle);
}

function importJwk(jwk) {
  validateObject(jwk, 'key.key');
  const get = (k) => {
    if (typeof jwk[k] !== 'string') throw invalidArgType(`key.${k}`, 'string', jwk[k]);
    return web.jwkBytes(jwk, k);
  };
  if (jwk.kty === 'oct') return new SecretKeyObject(get('k'));
  let handle;
  if (jwk.kty === 'RSA') {
    const priv = jwk.d !== undefined;
    const m = { n: get('n'), e: get('e') };
    if (priv) for (const k of ['d', 'p', 'q', 'dp', 'dq', 'qi']) m[k] = get(k);
    handle = H().importJwk('RSA', '', m, priv);
  } else if (jwk.kty === 'EC') {
    if (!JWK_CURVES[jwk.crv]) throw invalidArgValue('key.crv', jwk.crv, 'must be a supported key type');
    const priv = jwk.d !== undefined;
    const m = { x: get('x'), y: get('y') };
    if (priv) m.d = get('d');
    handle = H().importJwk('EC', jwk.crv, m, priv);
  } else if (jwk.kty === 'OKP') {
    const kind = Object.keys(OKP_CURVES).find((k) => OKP_CURVES[k] === jwk.crv);
    if (!kind) throw invalidArgValue('key.crv', jwk.crv, 'must be a supported key type');
    const priv = jwk.d !== undefined;
    const m = { x: get('x') };
    if (priv) m.d = get('d');
    handle = H().importJwk(kind, '', m, priv);
  } else {
    throw invalidArgValue('key.kty', jwk.kty, 'must be one of: \'RSA\', \'EC\', \'OKP\'');
  }
  if (!handle) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_JWK', 'Invalid JWK data');
  return wrap(handle);
}

const KEY_INPUT = ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView', 'KeyObject', 'CryptoKey'];

// A KeyObject from what Node accepts as a key: a KeyObject, a CryptoKey, PEM
// text or bytes, or { key, format, type, passphrase, encoding }. want is
// 'private', 'public' (a private key gives its public half) or 'any'.
function toKey(input, want, name = 'key') {
  let key = input;
  let opts = {};
  if (key !== null && typeof key === 'object' && !(key instanceof KeyObject) && !(key instanceof web.CryptoKey) &&
      !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer)) {
    opts = key;
    key = opts.key;
  }
  if (key instanceof web.CryptoKey) key = KeyObject.from(key);
  if (key instanceof KeyObject) {
    if (key.type === 'secret' && want !== 'secret') {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type secret, expected ${want === 'private' ? 'private' : 'public'}.`);
    }
    if (want === 'private' && key.type !== 'private') {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${key.type}, expected private.`);
    }
    if (want === 'public' && key.type === 'private') return new PublicKeyObject(H().publicOf(HANDLES.get(key)));
    return key;
  }
  if (opts.format === 'jwk') {
    const k = importJwk(key);
    if (want === 'private' && k.type !== 'private') {
      throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${k.type}, expected private.`);
    }
    return want === 'public' && k.type === 'private' ? new PublicKeyObject(H().publicOf(HANDLES.get(k))) : k;
  }
  if (typeof key !== 'string' && !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer)) {
    throw invalidArgType(name, KEY_INPUT, key);
  }
  const bytes = toBytes(key, opts.encoding, name);
  const format = opts.format === undefined ? 'pem' : opts.format;
  let structure = '';
  let keyType = '';
  if (format === 'der') {
    const type = opts.type;
    if (type === 'spki') structure = 'SubjectPublicKeyInfo';
    else if (type === 'pkcs8') structure = 'PrivateKeyInfo';
    else if (type === 'pkcs1') [structure, keyType] = ['type-specific', 'RSA'];
    else if (type === 'sec1') [structure, keyType] = ['type-specific', 'EC'];
    else throw invalidArgValue('key.type', type);
  } else if (format !== 'pem') {
    throw invalidArgValue('key.format', format);
  }
  const pass = opts.passphrase === undefined ? null : toBytes(opts.passphrase, undefined, 'key.passphrase').slice();
  let handle = null;
  // An X.509 certificate gives its public key, as in Node.
  const cert = want !== 'private' && format === 'pem' ? /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(state.host.utf8Decode(bytes, false)) : null;
  if (cert) handle = H().certKey(B().from(cert[1].replace(/\s+/g, ''), 'base64'));
  else handle = H().decode(bytes, format.toUpperCase(), structure, keyType, '', pass);
  if (!handle) throw decoderError();
  const k = wrap(handle);
  if (want === 'private' && k.type !== 'private') throw decoderError();
  return want === 'public' && k.type === 'private' ? new PublicKeyObject(H().publicOf(handle)) : k;
}

function createPrivateKey(key) {
  return toKey(key, 'private');
}

function createPublicKey(key) {
  return toKey(key, 'public');
}

function createSecretKey(key, encoding) {
  if (key instanceof KeyObject) throw invalidArgType('key', ['string', 'ArrayBuffer', 'Buffer', 'TypedArray', 'DataView'], key);
  return new SecretKeyObject(toBytes(key, encoding, 'key').slice());
}

// "sha256", "SHA256", "RSA-SHA256", "sha-256" -> the name OpenSSL knows.
function digestName(alg) {
  if (alg === null || alg === undefined) return null;
  if (typeof alg !== 'string') throw invalidArgType('algorithm', 'string', alg);
  return alg.toLowerCase().replace(/^rsa-/, '').replace(/^sha-(\d)/, 'sha$1');
}

// The host's sign/verify arguments for a key and Node's options.
function signParams(key, opts, alg) {
  const info = H().info(HANDLES.get(key));
  let md = digestName(alg);
  const isOkp = info.kind === 'ED25519' || info.kind === 'ED448';
  if (isOkp) md = '';
  else if (md === null) md = 'sha256';
  let pad = '';
  let salt = 0;
  const padding = opts.padding;
  if (info.kind === 'RSA' || info.kind === 'RSA-PSS') {
    if (padding === constants.RSA_PKCS1_PSS_PADDING || (padding === undefined && info.kind === 'RSA-PSS')) {
      pad = 'pss';
      salt = opts.saltLength === undefined ? constants.RSA_PSS_SALTLEN_MAX_SIGN : opts.saltLength;
      if (!Number.isInteger(salt)) throw invalidArgType('key.saltLength', 'number', salt);
    } else if (padding === undefined || padding === constants.RSA_PKCS1_PADDING) {
      pad = 'pkcs1';
    } else {
      throw nodeError(Error, 'ERR_OSSL_RSA_UNKNOWN_PADDING_TYPE', 'error:1C8000A5:Provider routines::illegal or unsupported padding mode');
    }
  }
  const dsa = opts.dsaEncoding === undefined ? 'der' : opts.dsaEncoding;
  if (dsa !== 'der' && dsa !== 'ieee-p1363') throw invalidArgValue('options.dsaEncoding', dsa);
  return [md, pad, salt, dsa === 'ieee-p1363'];
}

function keyOptions(key) {
  return key !== null && typeof key === 'object' && !(key instanceof KeyObject) && !(key instanceof web.CryptoKey) &&
    !ArrayBuffer.isView(key) && !(key instanceof ArrayBuffer) ? key : {};
}

function signBytes(alg, data, keyInput) {
  const key = toKey(keyInput, 'private');
  const [md, pad, salt, p1363] = signParams(key, keyOptions(keyInput), alg);
  const sig = H().sign(HANDLES.get(key), md, data, null, pad, salt, p1363);
  if (!sig) throw opFailed('Signing');
  return buf(sig);
}

function verifyBytes(alg, data, keyInput, signature) {
  const key = toKey(keyInput, 'any');
  if (key.type === 'secret') throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', 'Invalid key object type secret, expected public.');
  const [md, pad, salt, p1363] = signParams(key, keyOptions(keyInput), alg);
  return H().verify(HANDLES.get(key), md, data, signature, pad, salt === constants.RSA_PSS_SALTLEN_MAX_SIGN ? -2 : salt, p1363);
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

function checkDigest(alg) {
  if (typeof alg !== 'string') throw invalidArgType('algorithm', 'string', alg);
  const md = digestName(alg);
  if (!H().hash(md, new Uint8Array(0))) throw nodeError(Error, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: ' + alg);
  return alg;
}

class Sign {
  #alg;
  #chunks = new Chunks();

  constructor(algorithm) {
    this.#alg = checkDigest(algorithm);
  }

  update(data, encoding) {
    this.#chunks.add(toBytes(data, encoding, 'data'));
    return this;
  }

  write(data, encoding, cb) {
    this.update(data, typeof encoding === 'string' ? encoding : undefined);
    if (typeof encoding === 'function') encoding();
    else if (typeof cb === 'function') cb();
    return true;
  }

  end(data, encoding) {
    if (data !== undefined && typeof data !== 'function') this.update(data, encoding);
    return this;
  }

  sign(privateKey, outputEncoding) {
    if (privateKey === undefined) throw invalidArgType('key', KEY_INPUT, privateKey);
    const sig = signBytes(this.#alg, this.#chunks.bytes(), privateKey);
    return outputEncoding && outputEncoding !== 'buffer' ? sig.toString(outputEncoding) : sig;
  }
}

class Verify {
  #alg;
  #chunks = new Chunks();

  constructor(algorithm) {
    this.#alg = checkDigest(algorithm);
  }

  update(data, encoding) {
    this.#chunks.add(toBytes(data, encoding, 'data'));
    return this;
  }

  write(data, encoding, cb) {
    return Sign.prototype.write.call(this, data, encoding, cb);
  }

  end(data, encoding) {
    if (data !== undefined && typeof data !== 'function') this.update(data, encoding);
    return this;
  }

  verify(publicKey, signature, signatureEncoding) {
    if (publicKey === undefined) throw invalidArgType('key', KEY_INPUT, publicKey);
    const sig = toBytes(signature, signatureEncoding, 'signature');
    return verifyBytes(this.#alg, this.#chunks.bytes(), publicKey, sig);
  }
}

function createSign(algorithm, options) {
  void options;
  return new Sign(algorithm);
}

function createVerify(algorithm, options) {
  void options;
  return new Verify(algorithm);
}

function withCallback(callback, fn) {
  if (callback === undefined) return fn();
  validateFunction(callback, 'callback');
  let r;
  try {
    r = fn();
  } catch (err) {
    state.queueMicrotask(() => callback(err));
    return undefined;
  }
  state.queueMicrotask(() => callback(null, r));
  return undefined;
}

function sign(algorithm, data, key, callback) {
  return withCallback(callback, () => signBytes(algorithm, toBytes(data, undefined, 'data'), key));
}

function verify(algorithm, data, key, signature, callback) {
  return withCallback(callback, () => verifyBytes(algorithm, toBytes(data, undefined, 'data'), key,
    toBytes(signature, undefined, 'signature')));
}

function rsaCrypt(keyInput, buffer, encrypt, defaultPadding) {
  const want = encrypt ? 'any' : 'private';
  const key = toKey(keyInput, want);
  const opts = keyOptions(keyInput);
  const padding = opts.padding === undefined ? defaultPadding : opts.padding;
  let pad = '';
  if (padding === constants.RSA_PKCS1_OAEP_PADDING) pad = 'oaep';
  else if (padding === constants.RSA_PKCS1_PADDING) pad = 'pkcs1';
  // As Node 20 does since CVE-2023-46809 (the Marvin attack).
  if (pad === 'pkcs1' && !encrypt) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', 'RSA_PKCS1_PADDING is no longer supported for private decryption, this can be reverted with --security-revert=CVE-2023-46809');
  }
  if (!pad) throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', 'corral supports RSA_PKCS1_OAEP_PADDING and RSA_PKCS1_PADDING only');
  const md = opts.oaepHash === undefined ? 'sha1' : digestName(opts.oaepHash);
  const label = opts.oaepLabel === undefined ? null : toBytes(opts.oaepLabel, undefined, 'options.oaepLabel').slice();
  const r = H().rsaCrypt(HANDLES.get(key), encrypt, pad, md, label, toBytes(buffer, undefined, 'buffer'));
  if (!r) throw opFailed(encrypt ? 'Encryption' : 'Decryption');
  return buf(r);
}

function publicEncrypt(key, buffer) {
  return rsaCrypt(key, buffer, true, constants.RSA_PKCS1_OAEP_PADDING);
}

function privateDecrypt(key, buffer) {
  return rsaCrypt(key, buffer, false, constants.RSA_PKCS1_OAEP_PADDING);
}

const GEN_TYPES = ['rsa', 'rsa-pss', 'dsa', 'ec', 'ed25519', 'ed448', 'x25519', 'x448', 'dh'];

function encodeOutput(key, enc, name) {
  if (enc === undefined) return key;
  validateObject(enc, name);
  return key.export(enc);
}

function generateKeyPairNow(type, options) {
  if (typeof type !== 'string') throw invalidArgType('type', 'string', type);
  if (!GEN_TYPES.includes(type)) throw invalidArgValue('type', type, 'must be a supported key type');
  const o = options === undefined ? {} : options;
  validateObject(o, 'options');
  let handle;
  if (type === 'rsa' || type === 'rsa-pss') {
    if (typeof o.modulusLength !== 'number') throw invalidArgType('options.modulusLength', 'number', o.modulusLength);
    const e = o.publicExponent === undefined ? 0x10001 : o.publicExponent;
    if (typeof e !== 'number') throw invalidArgType('options.publicExponent', 'number', e);
    const eb = [];
    for (let v = e; v > 0; v = Math.floor(v / 256)) eb.unshift(v % 256);
    handle = H().generate(type === 'rsa' ? 'RSA' : 'RSA-PSS', o.modulusLength, new Uint8Array(eb));
  } else if (type === 'ec') {
    if (typeof o.namedCurve !== 'string') throw invalidArgType('options.namedCurve', 'string', o.namedCurve);
    handle = H().generate('EC', o.namedCurve);
    if (!handle) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_CURVE', 'Invalid EC curve name');
  } else if (type === 'dsa' || type === 'dh') {
    throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', `corral does not generate ${type} keys`);
  } else {
    handle = H().generate(type.toUpperCase());
  }
  if (!handle) throw opFailed('Key generation');
  const privateKey = new PrivateKeyObject(handle);
  const publicKey = new PublicKeyObject(H().publicOf(handle));
  return {
    publicKey: encodeOutput(publicKey, o.publicKeyEncoding, 'options.publicKeyEncoding'),
    privateKey: encodeOutput(privateKey, o.privateKeyEncoding, 'options.privateKeyEncoding'),
  };
}

function generateKeyPairSync(type, options) {
  return generateKeyPairNow(type, options);
}

function generateKeyPair(type, options, callback) {
  if (typeof options === 'function') [options, callback] = [undefined, options];
  validateFunction(callback, 'callback');
  let r;
  try {
    r = generateKeyPairNow(type, options);
  } catch (err) {
    state.setTimeout(() => callback(err), 0);
    return;
  }
  state.setTimeout(() => callback(null, r.publicKey, r.privateKey), 0);
}

function generateKeySync(type, options) {
  validateObject(options, 'options');
  const length = options.length;
  if (typeof length !== 'number') throw invalidArgType('options.length', 'number', length);
  if (type === 'aes') {
    if (![128, 192, 256].includes(length)) throw invalidArgValue('options.length', length, 'must be one of: 128, 192, 256');
  } else if (type === 'hmac') {
    if (!Number.isInteger(length) || length < 8 || length > 2 ** 31 - 1) throw invalidArgValue('options.length', length);
  } else {
    throw invalidArgValue('type', type, "must be a supported key type");
  }
  return new SecretKeyObject(web.randomBytes(Math.floor(length / 8)));
}

function generateKey(type, options, callback) {
  validateFunction(callback, 'callback');
  let r;
  try {
    r = generateKeySync(type, options);
  } catch (err) {
    state.setTimeout(() => callback(err), 0);
    return;
  }
  state.setTimeout(() => callback(null, r), 0);
}

function diffieHellman(options) {
  validateObject(options, 'options');
  const { privateKey, publicKey } = options;
  if (!(privateKey instanceof KeyObject)) throw invalidArgType('options.privateKey', 'KeyObject', privateKey);
  if (!(publicKey instanceof KeyObject)) throw invalidArgType('options.publicKey', 'KeyObject', publicKey);
  if (privateKey.type !== 'private') throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${privateKey.type}, expected private.`);
  const r = H().derive(HANDLES.get(privateKey), HANDLES.get(publicKey));
  if (!r) throw opFailed('Deriving bits');
  return buf(r);
}

function keyBytes(key, name) {
  if (key instanceof KeyObject) {
    if (key.type !== 'secret') throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_KEY_OBJECT_TYPE', `Invalid key object type ${key.type}, expected secret.`);
    return HANDLES.get(key);
  }
  return toBytes(key, undefined, name);
}

module.exports = {
  constants, KeyObject, SecretKeyObject, PublicKeyObject, PrivateKeyObject, createPrivateKey, createPublicKey,
  createSecretKey, createSign, createVerify, Sign, Verify, sign, verify, publicEncrypt, privateDecrypt,
  generateKeyPair, generateKeyPairSync, generateKey, generateKeySync, diffieHellman, digestName, keyBytes,
};
