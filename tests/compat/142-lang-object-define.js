const o = {};
Object.defineProperties(o, { a: { value: 1, enumerable: true }, b: { value: 2 }, c: { get() { return 3; }, enumerable: true } });
console.log(o, Object.keys(o), JSON.stringify(o), o.b, Object.getOwnPropertyNames(o));
const sym = Symbol('hidden'); o[sym] = 'x'; console.log(Object.getOwnPropertySymbols(o).length, JSON.stringify(o));
console.log(Object.entries({ z: 1, a: 2 }).sort(([x], [y]) => x.localeCompare(y)));
