// V8's stack-trace API: Error.captureStackTrace(obj, fn) and
// Error.prepareStackTrace(err, callSites) with CallSite objects (what depd uses).
const path = require('path');
function sites(skip) {
  const prep = Error.prepareStackTrace;
  Error.prepareStackTrace = (err, s) => s;
  const holder = {};
  Error.captureStackTrace(holder, skip);
  const s = holder.stack;
  Error.prepareStackTrace = prep;
  return s;
}
function a() { return sites(a); }
function b() { return a(); }
function c() { return b(); }
for (const site of c().slice(0, 2)) {
  console.log(path.basename(site.getFileName()), site.getLineNumber(), site.getColumnNumber(),
    site.getFunctionName(), site.isNative(), site.isEval(), site.isConstructor());
}
function d() { return sites(); }
console.log(d().slice(0, 2).map((s) => s.getFunctionName()).join(','));
const o = { name: 'Thing', message: 'happened' };
Error.captureStackTrace(o);
console.log(o.stack.split('\n')[0], Object.keys(o).join(','));
console.log(typeof Error.captureStackTrace, Error.captureStackTrace.length, typeof Error.prepareStackTrace);
Error.prepareStackTrace = (err, s) => `${err.name}/${err.message}/${s[0].getFunctionName()}`;
function named() { return new Error('prepared'); }
console.log(named().stack);
