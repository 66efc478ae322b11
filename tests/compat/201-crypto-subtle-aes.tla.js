// AES-GCM, AES-CBC, AES-CTR and AES-KW with fixed keys: every output is deterministic.
const hex = (b) => Buffer.from(b).toString('hex');
const s = crypto.subtle;
const data = new TextEncoder().encode('sixteen byte msg and some more');
for (const bits of [128, 256]) {
  const raw = new Uint8Array(bits / 8).map((_, i) => i);
  const gcm = await s.importKey('raw', raw, 'AES-GCM', true, ['encrypt', 'decrypt']);
  const ct = await s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12).fill(1), additionalData: new Uint8Array([1, 2]), tagLength: 96 }, gcm, data);
  console.log('gcm', bits, hex(ct), new TextDecoder().decode(await s.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12).fill(1), additionalData: new Uint8Array([1, 2]), tagLength: 96 }, gcm, ct)));
  const cbc = await s.importKey('raw', raw, 'AES-CBC', false, ['encrypt']);
  console.log('cbc', bits, hex(await s.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16).fill(2) }, cbc, data)));
  const ctr = await s.importKey('raw', raw, { name: 'AES-CTR' }, false, ['encrypt']);
  console.log('ctr', bits, hex(await s.encrypt({ name: 'AES-CTR', counter: new Uint8Array(16).fill(255), length: 16 }, ctr, data)));
  const kw = await s.importKey('raw', raw, 'AES-KW', false, ['wrapKey']);
  console.log('kw', bits, hex(await s.wrapKey('raw', gcm, kw, 'AES-KW')));
  console.log(JSON.stringify(await s.exportKey('jwk', gcm)), gcm.algorithm, gcm.usages);
}
try {
  const k = await s.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['decrypt']);
  await s.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, k, new Uint8Array(32));
} catch (e) {
  console.log(e.name, e.message);
}
