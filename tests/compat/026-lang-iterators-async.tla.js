async function* ticker(n) { for (let i = 0; i < n; i++) { await null; yield i; } }
const got = [];
for await (const t of ticker(3)) got.push(t);
console.log(got);
const it = { from: 1, to: 3, [Symbol.iterator]() { let c = this.from, t = this.to; return { next: () => (c <= t ? { value: c++, done: false } : { value: undefined, done: true }) }; } };
console.log([...it], Array.from(it, (x) => x * 10), Math.max(...it));
console.log(Object.fromEntries(new Map([['a', 1]])), Object.entries({ x: 1, y: 2 }));
