const { a, b: { c = 5, ...rest }, ...others } = { a: 1, b: { d: 2, e: 3 }, f: 4, g: 5 };
console.log(a, c, rest, others);
const [x, , y = 10, ...zs] = [1, 2, undefined, 4, 5];
console.log(x, y, zs);
function f({ p = 1, q } = {}, ...args) { return [p, q, args.length]; }
console.log(f(), f({ q: 2 }, 3, 4));
let m = 1, n = 2; [m, n] = [n, m]; console.log(m, n);
