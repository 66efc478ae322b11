const a = [1, , 3];
console.log(a, a.length, 1 in a, a.map((x) => x * 2), Object.keys(a));
const b = new Array(3); b[5] = 'x';
console.log(b, b.length);
const long = Array.from({ length: 120 }, (_, i) => i);
console.log(long);
