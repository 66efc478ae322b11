function* fib() { let [a, b] = [0, 1]; for (;;) { yield a; [a, b] = [b, a + b]; } }
const out = [];
for (const n of fib()) { if (n > 50) break; out.push(n); }
console.log(out.join(','));
function* delegate() { yield* [1, 2]; const r = yield 3; return r; }
const g = delegate();
console.log(g.next(), g.next(), g.next(), g.next('done'), g.next());
