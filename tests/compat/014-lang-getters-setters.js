const o = {
  _v: 1,
  get v() { return this._v * 10; },
  set v(x) { this._v = x; },
};
o.v = 5;
console.log(o.v, Object.getOwnPropertyDescriptor(o, 'v').get.name);
const frozen = Object.freeze({ a: 1 });
'use strict';
console.log(Object.isFrozen(frozen), Object.isSealed(Object.seal({})));
