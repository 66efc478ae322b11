const arr = [1, 2, 3];
console.log(Math.max(...arr), [...arr, ...'ab'], { ...{ a: 1 }, ...null, b: 2 });
function sum(...nums) { return nums.reduce((a, b) => a + b, 0); }
console.log(sum(...arr, 4), sum());
const { length, ...chars } = 'hey'; console.log(length, chars);
