const o = { b: 2, a: [1, { c: 'x' }], d: undefined, e: () => 1, f: new Date(0), g: null, h: NaN };
console.log(JSON.stringify(o));
console.log(JSON.stringify(o, null, 2));
console.log(JSON.stringify({ a: 1, b: 2, c: 3 }, ['a', 'c']), JSON.stringify('\u2028\n"'), JSON.stringify({ big: 1e21 }));
console.log(JSON.parse('{"a":[1,2,{"b":true}]}', (k, v) => (typeof v === 'number' ? v * 10 : v)));
try { JSON.parse('{bad'); } catch (e) { console.log(e.name); }
console.log(JSON.stringify({ toJSON() { return 'custom'; } }), JSON.stringify([new Map(), new Set([1])]));
