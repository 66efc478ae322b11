console.log({ level1: { level2: { level3: { level4: 'deep' } } }, arr: [[1, [2, [3, [4, [5]]]]]] });
console.log([{ a: 1, b: 2 }, { a: 3, b: 4 }], [[1, 2], [3, 4]], { x: [{ y: [{ z: 1 }] }] });
console.log({ und: undefined, nul: null, nan: NaN, inf: -Infinity, neg: -0, big: 123n, sym: Symbol.iterator });
console.log([undefined, null], [function namedFn() {}, () => {}, async function af() {}]);
