// Subclasses: the stack starts below the subclass's constructor, as V8 does,
// and its first line uses the name as it is at the first read.
class AppError extends Error {
  constructor(m) { super(m); this.name = 'AppError'; }
}
class NotFound extends AppError {
  constructor(what) { super(`${what} not found`); this.status = 404; }
}
function find() { return new NotFound('user'); }
const e = find();
console.log(e.stack.split('\n').slice(0, 2).map((l) => l.replace(/ \(.*\)$/, '')).join('|'));
console.log(e instanceof NotFound, e instanceof AppError, e instanceof Error, e.constructor === NotFound);
class Captured extends Error {
  constructor(m) { super(m); this.name = 'Captured'; Error.captureStackTrace(this, Captured); }
}
function make() { return new Captured('c'); }
console.log(make().stack.split('\n').slice(0, 2).map((l) => l.replace(/ \(.*\)$/, '')).join('|'));
console.log(Object.getPrototypeOf(RangeError) === Error, new RangeError('r').constructor === RangeError,
  Error.prototype.constructor === Error, Error.name, Error.length, TypeError.name);
