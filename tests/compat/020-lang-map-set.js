const m = new Map([['a', 1], ['b', 2]]);
m.set('c', 3).delete('a');
console.log(m.size, [...m.keys()], [...m.entries()], m.get('b'), m.has('a'));
const s = new Set([1, 2, 2, 3]);
s.add(4);
console.log(s.size, [...s], s.has(2));
const wm = new WeakMap(); const k = {}; wm.set(k, 'v'); console.log(wm.get(k), wm.has({}));
const objKey = new Map([[{ id: 1 }, 'obj']]); console.log(objKey);
console.log(new Map([[NaN, 'nan']]).get(NaN), new Set([NaN, NaN]).size);
