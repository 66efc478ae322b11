console.log((0.1).toFixed(20), (1e-7).toString(), (123e-20).toString(), (2 ** 53).toString(), (-1.5).toFixed(0), (1.005).toFixed(2));
console.log(Number('0b101'), Number('0o17'), Number(' 42 '), parseFloat('1e3'), (1234.5678).toPrecision(6), (0).toFixed(2));
console.log([1e21, 1e-7, 123456789012345680000, 0.000001, -1e-7].map(String));
