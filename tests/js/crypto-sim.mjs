// A mock of host.crypto (src/worker/host_crypto.c) on Node's crypto, for the
// runtime simulator (runtime-sim.mjs): the same functions, arguments and
// results (Uint8Arrays of the context's realm; null where OpenSSL refuses),
// so web/crypto.js and node/crypto_keys.js run in V8 too. It follows the C
// side's contract, not its exact behaviour: errors are whatever Node
// throws, turned into null.

import crypto from 'node:crypto';

const CURVE_NAMES = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };
const FROM_NODE_CURVE = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const KINDS = { rsa: 'RSA', 'rsa-pss': 'RSA-PSS', ec: 'EC', ed25519: 'ED25519', x25519: 'X25519', ed448: 'ED448', x448: 'X448' };
const OKP_CRV = { ED25519: 'Ed25519', X25519: 'X25519', ED448: 'Ed448', X448: 'X448' };

export function makeCryptoHost(realm, vmObject) {
  const keys = new WeakMap();
  const isU8 = (v) => v instanceof realm.Uint8Array;
  const buf = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
  const toU8 = (b) => {
    const out = new realm.Uint8Array(b.length);
    out.set(b);
    return out;
  };
  const bad = (fn) => new realm.TypeError(`host.crypto.${fn}: bad arguments`);
  const wrap = (k) => {
    const h = vmObject();
    keys.set(h, k);
    return h;
  };
  const key = (h, fn) => {
    const k = keys.get(h);
    if (!k) throw bad(fn);
    return k;
  };
  const md = (name) => name.toLowerCase().replace(/^sha-(\d)/, 'sha$1');
  const tryOr = (f) => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  const u8s = (...vs) => vs.every((v) => v === null || v === undefined || isU8(v));
  const b64u = (s) => Buffer.from(s, 'base64url');
  const enc64 = (u8) => buf(u8).toString('base64url');
  const pad = (b, n) => (b.length >= n ? b : Buffer.concat([Buffer.alloc(n - b.length), b]));

  function jwkOf(k) {
    return k.export({ format: 'jwk' });
  }

  return {
    hmac(name, k, data) {
      if (!u8s(k, data)) throw bad('hmac');
      return tryOr(() => toU8(crypto.createHmac(md(name), buf(k)).update(buf(data)).digest()));
    },
    hash(name, data) {
      if (!isU8(data)) throw bad('hash');
      return tryOr(() => toU8(crypto.createHash(md(name)).update(buf(data)).digest()));
    },
    hkdf(name, k, salt, info, len) {
      if (!u8s(k, salt, info)) throw bad('hkdf');
      return tryOr(() => toU8(Buffer.from(crypto.hkdfSync(md(name), buf(k), buf(salt), buf(info), len))));
    },
    pbkdf2(name, pw, salt, iter, len) {
      if (!u8s(pw, salt)) throw bad('pbkdf2');
      return tryOr(() => toU8(crypto.pbkdf2Sync(buf(pw), buf(salt), iter, len, md(name))));
    },
    aes(mode, encrypt, k, iv, data, aad, tag, ctrBits) {
      if (!u8s(k, iv, data, aad)) throw bad('aes');
      const bits = k.length * 8;
      return tryOr(() => {
        if (mode === 'KW') {
          const c = (encrypt ? crypto.createCipheriv : crypto.createDecipheriv)(`id-aes${bits}-wrap`, buf(k), Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
          return toU8(Buffer.concat([c.update(buf(data)), c.final()]));
        }
        const name = `aes-${bits}-${mode.toLowerCase()}`;
        if (mode === 'GCM') {
          let body = buf(data);
          const opts = { authTagLength: tag };
          const c = (encrypt ? crypto.createCipheriv : crypto.createDecipheriv)(name, buf(k), buf(iv), opts);
          if (aad) c.setAAD(buf(aad));
          if (!encrypt) {
            c.setAuthTag(body.subarray(body.length - tag));
            body = body.subarray(0, body.length - tag);
          }
          const out = Buffer.concat([c.update(body), c.final()]);
          return toU8(encrypt ? Buffer.concat([out, c.getAuthTag()]) : out);
        }
        if (mode === 'CTR') {
          // Web Crypto's counter: the low `ctrBits` bits wrap without carrying.
          const mask = (1n << BigInt(ctrBits)) - 1n;
          let block = BigInt(`0x${buf(iv).toString('hex')}`);
          const parts = [];
          let rest = buf(data);
          while (rest.length) {
            const room = mask - (block & mask) + 1n;
            const take = room * 16n < BigInt(rest.length) ? Number(room) * 16 : rest.length;
            const ivb = Buffer.from(block.toString(16).padStart(32, '0'), 'hex');
            const c = crypto.createCipheriv(name, buf(k), ivb);
            parts.push(c.update(rest.subarray(0, take)), c.final());
            rest = rest.subarray(take);
            block &= ~mask;
          }
          return toU8(Buffer.concat(parts));
        }
        const c = (encrypt ? crypto.createCipheriv : crypto.createDecipheriv)(name, buf(k), buf(iv));
        return toU8(Buffer.concat([c.update(buf(data)), c.final()]));
      });
    },
    generate(kind, a, b) {
      return tryOr(() => {
        let pair;
        if (kind === 'RSA' || kind === 'RSA-PSS') {
          const e = buf(b).reduce((x, y) => x * 256 + y, 0);
          pair = crypto.generateKeyPairSync(kind.toLowerCase(), { modulusLength: a, publicExponent: e });
        } else if (kind === 'EC') {
          pair = crypto.generateKeyPairSync('ec', { namedCurve: CURVE_NAMES[a] || a });
        } else {
          pair = crypto.generateKeyPairSync(kind.toLowerCase());
        }
        return wrap(pair.privateKey);
      });
    },
    decode(data, input, structure, keyType, sel, pass) {
      if (!u8s(data, pass)) throw bad('decode');
      const type = { SubjectPublicKeyInfo: 'spki', PrivateKeyInfo: 'pkcs8' }[structure] ||
        (structure === 'type-specific' ? (keyType === 'EC' ? 'sec1' : 'pkcs1') : undefined);
      const opts = input === 'DER' ? { key: buf(data), format: 'der', type } : { key: buf(data), format: 'pem' };
      if (pass) opts.passphrase = buf(pass);
      const priv = tryOr(() => (sel === 'public' ? null : crypto.createPrivateKey(opts)));
      if (priv) return wrap(priv);
      if (sel === 'private') return null;
      const pub = tryOr(() => crypto.createPublicKey(input === 'DER' && type === 'pkcs1' ? { ...opts } : opts));
      return pub ? wrap(pub) : null;
    },
    encode(h, type, structure, priv) {
      const k = key(h, 'encode');
      if (priv && k.type !== 'private') return null;
      const t = { SubjectPublicKeyInfo: 'spki', PrivateKeyInfo: 'pkcs8' }[structure] ||
        (k.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1');
      const from = priv || k.type === 'public' ? k : crypto.createPublicKey(k);
      return tryOr(() => {
        const out = from.export({ type: t, format: type.toLowerCase() });
        return toU8(Buffer.from(out));
      });
    },
    publicOf(h) {
      const k = key(h, 'publicOf');
      return wrap(k.type === 'public' ? k : crypto.createPublicKey(k));
    },
    certKey(der) {
      if (!isU8(der)) throw bad('certKey');
      return tryOr(() => wrap(new crypto.X509Certificate(buf(der)).publicKey));
    },
    info(h) {
      const k = key(h, 'info');
      const kind = KINDS[k.asymmetricKeyType];
      const d = k.asymmetricKeyDetails || {};
      const o = vmObject();
      o.kind = kind;
      o.private = k.type === 'private';
      if (kind === 'RSA' || kind === 'RSA-PSS') {
        o.bits = d.modulusLength;
        let e = d.publicExponent;
        const bytes = [];
        while (e > 0n) {
          bytes.unshift(Number(e & 255n));
          e >>= 8n;
        }
        o.publicExponent = toU8(Buffer.from(bytes));
      } else if (kind === 'EC') {
        o.curve = FROM_NODE_CURVE[d.namedCurve] || d.namedCurve;
        o.bits = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }[o.curve] || 256;
      } else {
        o.bits = { ED25519: 256, X25519: 253, ED448: 456, X448: 448 }[kind];
      }
      return o;
    },
    equals(a, b) {
      return key(a, 'equals').equals(key(b, 'equals'));
    },
    exportJwk(h) {
      const j = jwkOf(key(h, 'exportJwk'));
      const o = vmObject();
      for (const m of ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y']) if (typeof j[m] === 'string') o[m] = toU8(b64u(j[m]));
      return o;
    },
    importJwk(kind, curve, m, priv) {
      const j = {};
      for (const k of ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y']) if (isU8(m[k])) j[k] = enc64(m[k]);
      if (kind === 'RSA') j.kty = 'RSA';
      else if (kind === 'EC') Object.assign(j, { kty: 'EC', crv: curve });
      else Object.assign(j, { kty: 'OKP', crv: OKP_CRV[kind] });
      if (!priv) delete j.d;
      return tryOr(() => wrap(priv ? crypto.createPrivateKey({ key: j, format: 'jwk' }) : crypto.createPublicKey({ key: j, format: 'jwk' })));
    },
    importRaw(kind, curve, bytes) {
      if (!isU8(bytes)) throw bad('importRaw');
      return tryOr(() => {
        const b = buf(bytes);
        let j;
        if (kind === 'EC') {
          const size = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }[curve];
          let pt = b;
          if (b[0] !== 4) pt = crypto.ECDH.convertKey(b, CURVE_NAMES[curve], undefined, undefined, 'uncompressed');
          if (pt.length !== 1 + 2 * size) return null;
          j = { kty: 'EC', crv: curve, x: enc64(pt.subarray(1, 1 + size)), y: enc64(pt.subarray(1 + size)) };
        } else {
          j = { kty: 'OKP', crv: OKP_CRV[kind], x: enc64(b) };
        }
        return wrap(crypto.createPublicKey({ key: j, format: 'jwk' }));
      });
    },
    exportRaw(h) {
      const j = jwkOf(key(h, 'exportRaw'));
      if (j.kty === 'EC') {
        const size = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }[j.crv];
        return toU8(Buffer.concat([Buffer.from([4]), pad(b64u(j.x), size), pad(b64u(j.y), size)]));
      }
      return toU8(b64u(j.x));
    },
    sign(h, name, data, _, padding, salt, p1363) {
      const k = key(h, 'sign');
      if (k.type !== 'private') return null;
      return tryOr(() => toU8(crypto.sign(name ? md(name) : null, buf(data), {
        key: k, padding: padding === 'pss' ? crypto.constants.RSA_PKCS1_PSS_PADDING : padding === 'pkcs1' ? crypto.constants.RSA_PKCS1_PADDING : undefined,
        saltLength: padding === 'pss' ? salt : undefined, dsaEncoding: p1363 ? 'ieee-p1363' : 'der',
      })));
    },
    verify(h, name, data, sig, padding, salt, p1363) {
      const k = key(h, 'verify');
      return tryOr(() => crypto.verify(name ? md(name) : null, buf(data), {
        key: k, padding: padding === 'pss' ? crypto.constants.RSA_PKCS1_PSS_PADDING : padding === 'pkcs1' ? crypto.constants.RSA_PKCS1_PADDING : undefined,
        saltLength: padding === 'pss' ? salt : undefined, dsaEncoding: p1363 ? 'ieee-p1363' : 'der',
      }, buf(sig))) === true;
    },
    rsaCrypt(h, encrypt, padding, name, label, data) {
      const k = key(h, 'rsaCrypt');
      const opts = {
        key: k, padding: padding === 'oaep' ? crypto.constants.RSA_PKCS1_OAEP_PADDING : crypto.constants.RSA_PKCS1_PADDING,
        oaepHash: md(name), oaepLabel: label ? buf(label) : undefined,
      };
      return tryOr(() => toU8(encrypt ? crypto.publicEncrypt(opts, buf(data)) : crypto.privateDecrypt(opts, buf(data))));
    },
    cipherInfo(name) {
      const i = crypto.getCipherInfo(name);
      if (!i) return null;
      const o = vmObject();
      Object.assign(o, { keyLength: i.keyLength, ivLength: i.ivLength || 0, blockSize: i.blockSize || 1,
        aead: i.mode === 'gcm' || name === 'chacha20-poly1305' });
      return o;
    },
    cipherInit(name, encrypt, k, iv, tagLength) {
      return tryOr(() => {
        const c = (encrypt ? crypto.createCipheriv : crypto.createDecipheriv)(name, buf(k), iv ? buf(iv) : null, { authTagLength: tagLength });
        return wrap(c);
      });
    },
    cipherUpdate(h, data) {
      return tryOr(() => toU8(key(h, 'cipherUpdate').update(buf(data))));
    },
    cipherFinal(h) {
      return tryOr(() => toU8(key(h, 'cipherFinal').final()));
    },
    cipherCtrl(h, op, arg) {
      const c = key(h, 'cipherCtrl');
      if (op === 'getTag') return tryOr(() => toU8(c.getAuthTag()));
      return tryOr(() => {
        if (op === 'padding') c.setAutoPadding(arg);
        else if (op === 'aad') c.setAAD(buf(arg));
        else if (op === 'setTag') c.setAuthTag(buf(arg));
        return true;
      }) === true;
    },
    derive(a, b) {
      return tryOr(() => toU8(crypto.diffieHellman({ privateKey: key(a, 'derive'), publicKey: key(b, 'derive') })));
    },
  };
}
