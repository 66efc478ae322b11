// util: Node's own inspect and format (node-inspect-extracted, the code
// console.log uses; loaded on first use, it costs ~3 ms in a fresh context),
// and the rest of Node's util written here after Node's lib/util.js:
// promisify (with util.promisify.custom = Symbol.for(...)), callbackify,
// inherits, deprecate, debuglog, types (brand checks, not tag guesses),
// isDeepStrictEqual, TextEncoder/TextDecoder, and the legacy is* functions.
// (npm util is an older copy whose `types` pulls in a dozen small modules
// and ~2 ms of start-up; npm assert gets this module in its place.)

'use strict';

const state = require('../state.js');
const { validateFunction, invalidArgType, nodeError } = require('../errors.js');
const { TextEncoder, TextDecoder } = require('../web/encoding.js');

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');

function promisify(original) {
  validateFunction(original, 'original');
  if (original[kCustomPromisify]) {
    const fn = original[kCustomPromisify];
    validateFunction(fn, 'util.promisify.custom');
    return Object.defineProperty(fn, kCustomPromisify, { value: fn, enumerable: false, writable: false, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, ...values) => {
        if (err) return reject(err);
        return resolve(values[0]);
      }]);
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, kCustomPromisify, { value: fn, enumerable: false, writable: false, configurable: true });
  const descriptors = Object.getOwnPropertyDescriptors(original);
  for (const k of Reflect.ownKeys(descriptors)) {
    if (k === 'length' || k === 'name' || k === 'prototype') continue;
    try {
      Object.defineProperty(fn, k, descriptors[k]);
    } catch {
      // non-configurable: keep ours
    }
  }
  return fn;
}
promisify.custom = kCustomPromisify;

function callbackify(original) {
  validateFunction(original, 'original');
  function callbackified(...args) {
    const cb = args.pop();
    validateFunction(cb, 'last argument');
    const tick = (...a) => state.queueMicrotask(() => cb(...a));
    Reflect.apply(original, this, args).then((ret) => tick(null, ret), (rej) => {
      if (!rej) {
        const err = new Error('Promise was rejected with a falsy value');
        err.code = 'ERR_FALSY_VALUE_REJECTION';
        err.reason = rej;
        tick(err);
        return;
      }
      tick(rej);
    });
  }
  Object.defineProperties(callbackified, Object.getOwnPropertyDescriptors(original));
  return callbackified;
}

function inherits(ctor, superCtor) {
  if (ctor === undefined || ctor === null) throw invalidArgType('ctor', 'function', ctor);
  if (superCtor === undefined || superCtor === null) throw invalidArgType('superCtor', 'function', superCtor);
  if (superCtor.prototype === undefined) throw invalidArgType('superCtor.prototype', 'object', superCtor.prototype);
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const warned = new Set();
function deprecate(fn, msg, code) {
  validateFunction(fn, 'fn');
  const proc = require('./process.js').get();
  if (proc.noDeprecation) return fn;
  let warnedThis = false;
  function deprecated(...args) {
    if (!warnedThis && !(code && warned.has(code))) {
      warnedThis = true;
      if (code) warned.add(code);
      proc.emitWarning(msg, 'DeprecationWarning', code);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

function debuglog(section, cb) {
  const env = require('./process.js').get().env.NODE_DEBUG || '';
  const re = new RegExp(`^(${env.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*').replace(/,/g, '$|^')})$`, 'i');
  const enabled = env !== '' && re.test(section);
  const name = section.toUpperCase();
  const logger = enabled ? (...args) => state.consoleError(`${name} 1: ${util.format(...args)}`) : () => {};
  if (typeof cb === 'function') cb(logger);
  Object.defineProperty(logger, 'enabled', { get: () => enabled, configurable: true, enumerable: true });
  return logger;
}

// --- util.types: brand checks ---------------------------------------------

const toString = Object.prototype.toString;
const tag = (v) => toString.call(v);
const TypedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
const abByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
const dvByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
const brand = (fn) => (v) => {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  try {
    fn(v);
    return true;
  } catch {
    return false;
  }
};
const typedName = (v) => (ArrayBuffer.isView(v) ? TypedArrayTag.call(v) : undefined);
const isTyped = (name) => (v) => typedName(v) === name;

const types = {
  isAnyArrayBuffer: (v) => types.isArrayBuffer(v) || types.isSharedArrayBuffer(v),
  isArrayBuffer: brand((v) => abByteLength.call(v)),
  isSharedArrayBuffer: typeof SharedArrayBuffer === 'function'
    ? brand((v) => Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, 'byteLength').get.call(v)) : () => false,
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: brand((v) => dvByteLength.call(v)),
  isTypedArray: (v) => typedName(v) !== undefined,
  isUint8Array: isTyped('Uint8Array'),
  isUint8ClampedArray: isTyped('Uint8ClampedArray'),
  isUint16Array: isTyped('Uint16Array'),
  isUint32Array: isTyped('Uint32Array'),
  isInt8Array: isTyped('Int8Array'),
  isInt16Array: isTyped('Int16Array'),
  isInt32Array: isTyped('Int32Array'),
  isFloat32Array: isTyped('Float32Array'),
  isFloat64Array: isTyped('Float64Array'),
  isBigInt64Array: isTyped('BigInt64Array'),
  isBigUint64Array: isTyped('BigUint64Array'),
  isMap: brand((v) => Map.prototype.has.call(v)),
  isSet: brand((v) => Set.prototype.has.call(v)),
  isWeakMap: brand((v) => WeakMap.prototype.has.call(v, {})),
  isWeakSet: brand((v) => WeakSet.prototype.has.call(v, {})),
  isDate: brand((v) => Date.prototype.getTime.call(v)),
  isRegExp: (v) => v !== RegExp.prototype && brand((x) => Object.getOwnPropertyDescriptor(RegExp.prototype, 'source').get.call(x))(v),
  isPromise: (v) => v instanceof Promise || (v !== null && typeof v === 'object' && tag(v) === '[object Promise]' && !(Symbol.toStringTag in Object(v) && Object.prototype.hasOwnProperty.call(v, Symbol.toStringTag))),
  isNativeError: (v) => v instanceof Error && tag(v) === '[object Error]',
  isAsyncFunction: (v) => typeof v === 'function' && (tag(v) === '[object AsyncFunction]' || tag(v) === '[object AsyncGeneratorFunction]'),
  isGeneratorFunction: (v) => typeof v === 'function' && (tag(v) === '[object GeneratorFunction]' || tag(v) === '[object AsyncGeneratorFunction]'),
  isGeneratorObject: (v) => tag(v) === '[object Generator]' || tag(v) === '[object AsyncGenerator]',
  isMapIterator: (v) => tag(v) === '[object Map Iterator]',
  isSetIterator: (v) => tag(v) === '[object Set Iterator]',
  isArgumentsObject: (v) => tag(v) === '[object Arguments]',
  isNumberObject: brand((v) => typeof v === 'object' && Number.prototype.valueOf.call(v)),
  isStringObject: brand((v) => typeof v === 'object' && String.prototype.valueOf.call(v)),
  isBooleanObject: (v) => typeof v === 'object' && brand((x) => Boolean.prototype.valueOf.call(x))(v),
  isBigIntObject: (v) => typeof v === 'object' && brand((x) => BigInt.prototype.valueOf.call(x))(v),
  isSymbolObject: (v) => typeof v === 'object' && brand((x) => Symbol.prototype.valueOf.call(x))(v),
  isBoxedPrimitive: (v) => types.isNumberObject(v) || types.isStringObject(v) || types.isBooleanObject(v)
    || types.isBigIntObject(v) || types.isSymbolObject(v),
  isModuleNamespaceObject: (v) => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === null && v[Symbol.toStringTag] === 'Module',
  isProxy: () => false,
  isExternal: () => false,
  isKeyObject: () => false,
  isCryptoKey: (v) => v instanceof require('../web/crypto.js').CryptoKey,
};
// isNumberObject's valueOf may return 0 or '' (falsy); brand() only checks
// that the call did not throw.

function isDeepStrictEqual(a, b) {
  return require('assert/build/internal/util/comparisons').isDeepStrictEqual(a, b);
}

function toUSVString(s) {
  s = `${s}`;
  return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

const ERRNO = { EPERM: -1, ENOENT: -2, EIO: -5, EBADF: -9, EAGAIN: -11, ENOMEM: -12, EACCES: -13, EEXIST: -17,
  ENOTDIR: -20, EISDIR: -21, EINVAL: -22, EMFILE: -24, ENOSPC: -28, EROFS: -30, EPIPE: -32, ENOTEMPTY: -39,
  ENOSYS: -38, ETIMEDOUT: -110, ECONNREFUSED: -111 };
function getSystemErrorName(errno) {
  if (typeof errno !== 'number') throw invalidArgType('err', 'number', errno);
  if (errno >= 0 || !Number.isSafeInteger(errno)) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "err" is out of range. It must be a negative integer. Received ${errno}`);
  }
  for (const [name, n] of Object.entries(ERRNO)) if (n === errno) return name;
  return `Unknown system error ${errno}`;
}

function aborted(signal, resource) {
  void resource;
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function isBuffer(v) {
  return require('./buffer.js').Buffer.isBuffer(v);
}

const util = {
  promisify,
  callbackify,
  inherits,
  deprecate,
  debuglog,
  debug: debuglog,
  types,
  isDeepStrictEqual,
  toUSVString,
  getSystemErrorName,
  aborted,
  TextEncoder,
  TextDecoder,
  _extend(target, source) {
    if (source === null || typeof source !== 'object') return target;
    for (const k of Object.keys(source)) target[k] = source[k];
    return target;
  },
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === 'boolean',
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v === null || v === undefined,
  isNumber: (v) => typeof v === 'number',
  isString: (v) => typeof v === 'string',
  isSymbol: (v) => typeof v === 'symbol',
  isUndefined: (v) => v === undefined,
  isRegExp: types.isRegExp,
  isObject: (v) => v !== null && typeof v === 'object',
  isDate: types.isDate,
  isError: (v) => v instanceof Error || tag(v) === '[object Error]',
  isFunction: (v) => typeof v === 'function',
  isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
  isBuffer,
};

// Node's inspect and format, loaded on first use.
for (const name of ['format', 'formatWithOptions', 'inspect', 'stripVTControlCharacters']) {
  Object.defineProperty(util, name, {
    get() {
      const value = require('node-inspect-extracted')[name];
      Object.defineProperty(util, name, { value, writable: true, configurable: true, enumerable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(util, name, { value, writable: true, configurable: true, enumerable: true });
    },
    configurable: true,
    enumerable: true,
  });
}

// util.promisify(setTimeout) and util.promisify(setImmediate), as in Node.
if (state.setTimeout && !state.setTimeout[kCustomPromisify]) {
  try {
    Object.defineProperty(state.setTimeout, kCustomPromisify, {
      value: (...a) => require('./timers_promises.js').setTimeout(...a), configurable: true,
    });
  } catch {
    // a frozen host function: leave it
  }
}

module.exports = util;
