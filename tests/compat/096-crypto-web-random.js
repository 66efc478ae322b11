const u = crypto.randomUUID();
console.log(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u), u.length);
const a = crypto.getRandomValues(new Uint8Array(16)); console.log(a.length, a instanceof Uint8Array);
const b = new Uint32Array(4); console.log(crypto.getRandomValues(b) === b);
try { crypto.getRandomValues(new Float64Array(1)); } catch (e) { console.log(e.name); }
try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { console.log(e.name); }
console.log(typeof crypto.subtle.digest, crypto instanceof Crypto, Object.prototype.toString.call(crypto.subtle));
