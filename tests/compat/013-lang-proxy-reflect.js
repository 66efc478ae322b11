const log = [];
const p = new Proxy({ a: 1 }, {
  get(t, k, r) { log.push(`get ${String(k)}`); return Reflect.get(t, k, r); },
  set(t, k, v, r) { log.push(`set ${String(k)}`); return Reflect.set(t, k, v * 2, r); },
  has(t, k) { return k === 'hidden' ? false : k in t; },
});
p.b = 2;
console.log(p.a, p.b, 'hidden' in p, 'a' in p);
console.log(log.join(';'));
console.log(Reflect.ownKeys({ z: 1, [Symbol('s')]: 2, 1: 3 }).map(String));
