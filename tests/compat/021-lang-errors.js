class AppError extends Error {
  constructor(msg, code) { super(msg, { cause: new Error('root') }); this.name = 'AppError'; this.code = code; }
}
try { throw new AppError('bad', 42); } catch (e) {
  console.log(e.name, e.message, e.code, e.cause.message, e instanceof AppError, e instanceof Error, String(e));
}
try { null.x; } catch (e) { console.log(e.constructor.name); }
try { undefinedFn(); } catch (e) { console.log(e.name); }
const agg = new AggregateError([new Error('a'), new Error('b')], 'many');
console.log(agg.name, agg.message, agg.errors.length);
console.log(Object.prototype.toString.call(new TypeError('t')), new RangeError('r').name);
