const util = require('util');
class Money {
  constructor(v) { this.v = v; }
  [util.inspect.custom](depth, options, inspect) { return `Money<${this.v.toFixed(2)}>`; }
}
console.log(new Money(5), [new Money(1.5)], util.inspect({ m: new Money(2) }));
console.log(util.inspect.custom === Symbol.for('nodejs.util.inspect.custom'));
const o = { [util.inspect.custom]: () => ({ replaced: true }) }; console.log(o);
