async function* numbers() { for (let i = 1; i <= 5; i++) yield i; }
async function* map(src, fn) { for await (const x of src) yield fn(x); }
async function* filter(src, fn) { for await (const x of src) if (fn(x)) yield x; }
const out = [];
for await (const v of filter(map(numbers(), (x) => x * x), (x) => x % 2)) out.push(v);
console.log(out);
