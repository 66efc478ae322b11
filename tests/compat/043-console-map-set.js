console.log(new Map([['k', { v: [1, 2] }], [{ o: 1 }, 'obj']]), new Set(['a', { b: 1 }]));
console.log(new Map(), new Set(), new WeakMap(), new WeakSet());
console.log([new Map([[1, 2]])], { m: new Map([[1, new Map([[2, new Map([[3, 4]])]])]]) });
