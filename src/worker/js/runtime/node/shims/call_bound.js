// For npm assert: `require('call-bind/callBound')('A.prototype.m')` is the
// method m of A.prototype as a function taking `this` first. The engine has
// every intrinsic, so none of get-intrinsic's start-up is needed.
'use strict';

const INTRINSICS = { Array, ArrayBuffer, Boolean, Date, Error, Function, Map, Number, Object, Promise, RegExp, Set, String, Symbol, WeakMap, WeakSet };

module.exports = function callBound(name) {
  const parts = `${name}`.replace(/^%|%$/g, '').split('.');
  let v = INTRINSICS[parts[0]];
  for (const p of parts.slice(1)) v = v === undefined || v === null ? undefined : v[p];
  if (typeof v !== 'function') throw new TypeError(`callBound: no intrinsic ${name}`);
  return Function.prototype.call.bind(v);
};
