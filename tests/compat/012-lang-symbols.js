const s = Symbol('desc');
const o = { [s]: 1, x: 2 };
console.log(s.toString(), s.description, Object.keys(o), Object.getOwnPropertySymbols(o).length);
console.log(Symbol.for('k') === Symbol.for('k'), Symbol.keyFor(Symbol.for('k')));
class Coll { *[Symbol.iterator]() { yield 1; yield 2; } get [Symbol.toStringTag]() { return 'Coll'; } }
console.log([...new Coll()], Object.prototype.toString.call(new Coll()));
