console.log(Math.max(1, 3, 2), Math.min(), Math.round(2.5), Math.round(-2.5), Math.trunc(-4.7), Math.sign(-3), Math.cbrt(27));
console.log(Math.hypot(3, 4), Math.log2(8), Math.clz32(1), Math.fround(5.5), Math.abs(-0) === 0, 2 ** 10);
console.log((1234.5678).toFixed(2), (0.000001234).toPrecision(2), (255).toString(16), (255).toString(2), (1e21).toString(), (123.456).toExponential(1));
console.log(Number.parseFloat('3.14abc'), parseInt('0x1f'), parseInt('08'), Number(''), Number('12px'), Number.isInteger(5.0), Number.EPSILON > 0);
console.log(0.1 + 0.2, 0.1 + 0.2 === 0.3, 1 / 0, -1 / 0, 0 / 0, -0, [-0], Object.is(-0, 0), 9007199254740993);
console.log(Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 1e300 * 1e10, (25).toString(36), 1_000_000);
