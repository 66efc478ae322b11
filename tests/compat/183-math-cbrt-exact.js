// Math.cbrt of exact cubes is exact (JavaScriptCore's libm cbrt gives
// 3.0000000000000004 for 27), and the special values are Node's.
const bad = [];
for (let k = -3000; k <= 3000; k++) {
  if (Math.cbrt(k * k * k) !== k) bad.push(k);
}
for (let k = 1; k < 2 ** 17; k += 977) {
  for (const s of [1, 2 ** -30, 2 ** 30, 2 ** -300, 2 ** 300]) {
    const r = k * s;
    if (Math.cbrt(r * r * r) !== r) bad.push(r);
  }
}
console.log('exact cubes that are not exact:', bad.length, bad.slice(0, 5));
console.log(Math.cbrt(27), Math.cbrt(-27), Math.cbrt(0.125), Math.cbrt(1e-300 * 1e-9), Math.cbrt(8e300));
console.log(Object.is(Math.cbrt(-0), -0), Math.cbrt(Infinity), Math.cbrt(-Infinity), Math.cbrt(NaN), Math.cbrt());
console.log(Math.cbrt('125'), Math.cbrt({ valueOf: () => 343 }), Math.cbrt(null), Math.cbrt([64]));
console.log(Math.cbrt.length, Math.cbrt.name, Object.keys(Math).includes('cbrt'));
try { Math.cbrt(1n); } catch (e) { console.log(e.constructor.name); }
