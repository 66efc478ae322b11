console.log({ a: 1, b: 'two', c: [1, 2, 3], d: { e: { f: { g: { h: 1 } } } } });
console.log([{ a: 1 }, [2, [3, [4, [5]]]]], [], {}, [[]], [{}]);
console.log({ f() {}, g: () => 1, h: class K {}, i: function named() {}, j: async () => {}, k: function* () {} });
console.log(null, undefined, true, 3.14, -0, NaN, 'str', ['str'], 10n, [10n]);
console.log(new Date(0), [new Date(86400000)], /re/gi, [/x/]);
console.log(Object.create(null), Object.assign(Object.create(null), { x: 1 }));
