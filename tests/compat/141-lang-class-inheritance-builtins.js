class MyArray extends Array { sum() { return this.reduce((a, b) => a + b, 0); } }
const a = MyArray.from([1, 2, 3]);
console.log(a.sum(), a instanceof MyArray, a.map((x) => x * 2) instanceof MyArray, a.length, a);
class MyMap extends Map { getOr(k, d) { return this.has(k) ? this.get(k) : d; } }
console.log(new MyMap([[1, 'one']]).getOr(2, 'none'), new MyMap([[1, 'x']]));
class MyErr extends TypeError { get name() { return 'MyErr'; } }
console.log(new MyErr('m') instanceof TypeError, `${new MyErr('m')}`);
