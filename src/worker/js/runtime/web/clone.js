// structuredClone: the HTML structured clone algorithm for what exists in a
// JavaScript-only runtime: primitives, plain objects, arrays (holes kept),
// boxed primitives, Date, RegExp, ArrayBuffer (copied, or moved when listed
// in `transfer`), typed arrays and DataView (sharing one cloned buffer when
// they shared one), Map, Set, Error types, Blob and File, with cycles and
// shared references preserved. Functions, symbols, class-less host objects
// such as Promise and WeakMap, and anything else throw a DataCloneError.

'use strict';

const DOMException = require('./domexception.js');
const { missingArgs, invalidArgType } = require('../errors.js');

const toString = Object.prototype.toString;
const ERROR_CTORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

function tag(v) {
  return toString.call(v).slice(8, -1);
}

function cannotClone(value) {
  let text;
  if (typeof value === 'function' || typeof value === 'symbol') {
    try {
      text = String(value);
    } catch {
      text = 'value';
    }
  } else {
    const ctor = value && value.constructor;
    text = `#<${(ctor && ctor.name) || tag(value)}>`;
  }
  return new DOMException(`${text} could not be cloned.`, 'DataCloneError');
}

const TYPED = new Set(['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']);

function structuredClone(value, options) {
  if (arguments.length === 0) throw missingArgs('value');
  let transfer = [];
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object') throw invalidArgType('options', 'Object', options);
    if (options.transfer !== undefined) {
      if (options.transfer === null || typeof options.transfer[Symbol.iterator] !== 'function') {
        throw new TypeError("Failed to execute 'structuredClone': transfer is not iterable");
      }
      transfer = [...options.transfer];
    }
  }
  const transferred = new Set();
  for (const t of transfer) {
    if (tag(t) !== 'ArrayBuffer') throw new DOMException('Value not transferable', 'DataCloneError');
    if (transferred.has(t)) throw new DOMException('ArrayBuffer is listed twice in the transfer list', 'DataCloneError');
    transferred.add(t);
  }
  const memory = new Map();
  const result = cloneValue(value, memory, transferred);
  // Every listed buffer is detached, reached or not.
  for (const t of transferred) if (!memory.has(t) && typeof t.transfer === 'function') t.transfer();
  return result;
}

function cloneValue(value, memory, transferred) {
  const type = typeof value;
  if (value === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) return value;
  if (type === 'function' || type === 'symbol') throw cannotClone(value);
  if (memory.has(value)) return memory.get(value);
  const t = tag(value);
  let out;
  switch (t) {
    case 'Boolean':
      out = Object(Boolean.prototype.valueOf.call(value));
      break;
    case 'Number':
      out = Object(Number.prototype.valueOf.call(value));
      break;
    case 'String':
      out = Object(String.prototype.valueOf.call(value));
      break;
    case 'BigInt':
      out = Object(BigInt.prototype.valueOf.call(value));
      break;
    case 'Date':
      out = new Date(Date.prototype.getTime.call(value));
      break;
    case 'RegExp':
      out = new RegExp(value.source, value.flags);
      break;
    case 'ArrayBuffer':
      if (transferred.has(value)) {
        out = typeof value.transfer === 'function' ? value.transfer() : value.slice(0);
      } else {
        out = value.slice(0);
      }
      break;
    case 'SharedArrayBuffer':
      out = value;
      break;
    case 'DataView': {
      const buf = cloneValue(value.buffer, memory, transferred);
      out = new DataView(buf, value.byteOffset, value.byteLength);
      break;
    }
    case 'Map': {
      out = new Map();
      memory.set(value, out);
      const entries = [...Map.prototype.entries.call(value)];
      for (const [k, v] of entries) out.set(cloneValue(k, memory, transferred), cloneValue(v, memory, transferred));
      return out;
    }
    case 'Set': {
      out = new Set();
      memory.set(value, out);
      const items = [...Set.prototype.values.call(value)];
      for (const v of items) out.add(cloneValue(v, memory, transferred));
      return out;
    }
    case 'Error': {
      let name = value.name;
      if (!Object.prototype.hasOwnProperty.call(ERROR_CTORS, name)) name = 'Error';
      const Ctor = ERROR_CTORS[name];
      out = Object.create(Ctor.prototype);
      memory.set(value, out);
      const msg = Object.getOwnPropertyDescriptor(value, 'message');
      if (msg && 'value' in msg) {
        Object.defineProperty(out, 'message', { value: `${msg.value}`, writable: true, configurable: true, enumerable: false });
      }
      if (typeof value.stack === 'string') {
        Object.defineProperty(out, 'stack', { value: value.stack, writable: true, configurable: true, enumerable: false });
      }
      if (Object.prototype.hasOwnProperty.call(value, 'cause')) {
        Object.defineProperty(out, 'cause', { value: cloneValue(value.cause, memory, transferred), writable: true, configurable: true, enumerable: false });
      }
      return out;
    }
    case 'Array': {
      out = new Array(value.length);
      memory.set(value, out);
      for (const key of Object.keys(value)) out[key] = cloneValue(value[key], memory, transferred);
      return out;
    }
    case 'Object': {
      if (isBlob(value)) {
        out = cloneBlob(value);
        break;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== null && proto !== Object.prototype && isPlatformObject(value)) throw cannotClone(value);
      out = {};
      memory.set(value, out);
      for (const key of Object.keys(value)) out[key] = cloneValue(value[key], memory, transferred);
      return out;
    }
    default:
      if (TYPED.has(t)) {
        const buf = cloneValue(value.buffer, memory, transferred);
        const Ctor = globalTyped(t);
        out = new Ctor(buf, value.byteOffset, value.length);
        break;
      }
      if (t === 'Blob' || t === 'File') {
        out = cloneBlob(value);
        break;
      }
      throw cannotClone(value);
  }
  memory.set(value, out);
  return out;
}

function globalTyped(name) {
  switch (name) {
    case 'Int8Array': return Int8Array;
    case 'Uint8Array': return Uint8Array;
    case 'Uint8ClampedArray': return Uint8ClampedArray;
    case 'Int16Array': return Int16Array;
    case 'Uint16Array': return Uint16Array;
    case 'Int32Array': return Int32Array;
    case 'Uint32Array': return Uint32Array;
    case 'Float32Array': return Float32Array;
    case 'Float64Array': return Float64Array;
    case 'BigInt64Array': return BigInt64Array;
    default: return BigUint64Array;
  }
}

// Objects of the runtime's own classes (URL, Headers, streams, ...) have no
// structured form; plain class instances clone as plain objects.
const platformClasses = new WeakSet();
function isPlatformObject(value) {
  let p = Object.getPrototypeOf(value);
  while (p !== null && p !== Object.prototype) {
    if (platformClasses.has(p)) return true;
    p = Object.getPrototypeOf(p);
  }
  return false;
}

function markPlatform(ctor) {
  platformClasses.add(ctor.prototype);
}

let blobModule = null;
function isBlob(v) {
  if (!blobModule) return false;
  return v instanceof blobModule.Blob;
}
function cloneBlob(v) {
  const { File } = blobModule;
  if (v instanceof File) return new File([v], v.name, { type: v.type, lastModified: v.lastModified });
  return v.slice(0, v.size, v.type);
}
function registerBlob(mod) {
  blobModule = mod;
}

module.exports = { structuredClone, markPlatform, registerBlob };
