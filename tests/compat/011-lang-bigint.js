const big = 2n ** 64n;
console.log(big, big.toString(16), BigInt.asUintN(8, 257n), typeof big, 10n / 3n, -7n % 3n);
console.log(BigInt(Number.MAX_SAFE_INTEGER) + 2n, 5n > 3, 2n == 2, [3n, 1n, 2n].sort().join());
try { 1n + 1; } catch (e) { console.log(e.constructor.name); }
