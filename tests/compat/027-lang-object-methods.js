const o = { b: 1, a: 2, 10: 'x', 2: 'y' };
console.log(Object.keys(o), Object.values(o), Object.assign({}, o, { c: 3 }));
console.log(Object.getOwnPropertyNames('ab'), Object.hasOwn(o, 'a'), 'a' in o, o.hasOwnProperty('zz'));
const proto = { greet() { return 'hi ' + this.n; } };
const obj = Object.create(proto, { n: { value: 'bob', enumerable: true } });
console.log(obj.greet(), Object.getPrototypeOf(obj) === proto, { ...obj }, structuredClone === undefined);
const sealed = Object.defineProperty({}, 'k', { value: 1, writable: false });
sealed.k = 2; console.log(sealed.k, Object.entries(Object.getOwnPropertyDescriptors({ get g() { return 1; } })).map(([k, d]) => k + typeof d.get));
