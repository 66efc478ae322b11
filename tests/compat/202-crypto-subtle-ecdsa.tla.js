// ECDSA P-256 and P-384 with fixed JWKs: import, export in every format,
// sign and verify (signatures are randomized: only verified).
const hex = (b) => Buffer.from(b).toString('hex');
const s = crypto.subtle;
const keys = {
  'P-256': { kty: 'EC', crv: 'P-256', x: 'NbUOtQQXSegBcfYhCsqwqDFe9JtoM_O513X_HLjaylQ', y: 'U6KGjMJr83lZ0v-v_z981S2BEeIOyOxpTooSBr1BVbI', d: 'SccWNfwCmsShQ8mYiOn5Hf3Y5k0ndJCRwhhQ4HG4XEI' },
  'P-384': {"kty":"EC","x":"oQSlyTOyExnF11NrEXNMcA5V8DDEXSH0ctROPj2cl0pufhroi0zcrxVS-j8I1X5O","y":"zCODs2FcXEgX1iRw6fhSvz22skldJ_Y1vwK9CbNN3jpYiaT5RF8TQ5K9L_Aa7I7K","crv":"P-384","d":"OQ36E9oPI-_-ztvp5Gk2cDW9GYbzOmAfTz_80F0TqZHhXz6b-ng9wKF7ek79YiNd"},
};
for (const [crv, jwk] of Object.entries(keys)) {
  const priv = await s.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: crv }, true, ['sign']);
  const { d, ...pubJwk } = jwk;
  const pub = await s.importKey('jwk', pubJwk, { name: 'ECDSA', namedCurve: crv }, true, ['verify']);
  console.log(crv, priv.type, priv.algorithm, priv.usages, pub.type, pub.extractable);
  console.log('spki', hex(await s.exportKey('spki', pub)));
  console.log('pkcs8', hex(await s.exportKey('pkcs8', priv)));
  console.log('raw', hex(await s.exportKey('raw', pub)));
  console.log('jwk', JSON.stringify(await s.exportKey('jwk', priv)));
  const msg = new TextEncoder().encode('hello');
  const sig = await s.sign({ name: 'ECDSA', hash: 'SHA-256' }, priv, msg);
  console.log('sig', sig.byteLength, await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, msg),
    await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, sig, new TextEncoder().encode('hellO')));
  const again = await s.importKey('spki', await s.exportKey('spki', pub), { name: 'ECDSA', namedCurve: crv }, false, ['verify']);
  console.log('spki verifies', await s.verify({ name: 'ECDSA', hash: 'SHA-256' }, again, sig, msg));
}
