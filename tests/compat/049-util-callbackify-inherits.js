const util = require('util');
const cbf = util.callbackify(async (x) => x * 2);
cbf(21, (err, v) => console.log(err, v));
const failing = util.callbackify(async () => { throw new Error('nope'); });
failing((err) => console.log(err.message));
function Base() { this.base = true; }
Base.prototype.hello = function () { return 'hello'; };
function Child() { Base.call(this); }
util.inherits(Child, Base);
const c = new Child(); console.log(c.hello(), c.base, Child.super_ === Base, c instanceof Base);
