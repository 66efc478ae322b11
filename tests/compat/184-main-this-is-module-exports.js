// The main file's top-level `this` is module.exports, as in a CommonJS
// module: what is put on it is exported, not global, and arrow functions
// at top level see the same `this`.
this.answer = 42;
console.log(this === module.exports, this === exports, module.exports.answer, typeof globalThis.answer);
const arrow = () => this;
console.log(arrow() === module.exports);
console.log((function () { return this === globalThis; })());
console.log((function () { 'use strict'; return this; })());
class K { m() { return this instanceof K; } }
console.log(new K().m());
var v = 1;
console.log(typeof this.v, Object.keys(this));
const self = this;
setTimeout(() => console.log('later', self === module.exports, this === self), 0);
