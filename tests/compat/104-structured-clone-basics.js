const src = { n: 1, s: 'x', d: new Date(0), r: /ab+c/gi, m: new Map([['k', { v: 1 }]]), set: new Set([1, 2]), arr: [1, , 3], nested: { deep: [true, null, undefined] }, big: 10n };
const c = structuredClone(src);
console.log(c, c !== src, c.m !== src.m, c.d.getTime(), c.r.lastIndex, c.r.flags);
const cyc = { name: 'c' }; cyc.self = cyc; cyc.list = [cyc];
const cc = structuredClone(cyc); console.log(cc.self === cc, cc.list[0] === cc, cc !== cyc);
const shared = { x: 1 }; const two = structuredClone([shared, shared]); console.log(two[0] === two[1]);
