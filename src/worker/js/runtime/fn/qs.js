// The query string parser of Express 4 (its default "extended" parser,
// npm qs with allowPrototypes), reduced to qs's defaults: "&" separators,
// "+" as a space, lenient percent-decoding, repeated keys combined into
// arrays, brackets for nesting ("a[b]=1", "a[]=1", "a[0]=1"; indices up to
// arrayLimit, deeper nesting than `depth` kept as one key), at most
// parameterLimit pairs, no dots, no comma lists, "__proto__" keys dropped.
// body-parser's urlencoded (extended) uses the same parser on form bodies.

'use strict';

const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isObject = (v) => v !== null && typeof v === 'object';

function decode(s) {
  const t = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(t);
  } catch {
    return t;
  }
}

function arrayToObject(arr) {
  const obj = {};
  for (let i = 0; i < arr.length; i++) if (arr[i] !== undefined) obj[i] = arr[i];
  return obj;
}

// qs's utils.merge.
function merge(target, source) {
  if (!isObject(source)) {
    if (Array.isArray(target)) target.push(source);
    else if (isObject(target)) target[source] = true;
    else return [target, source];
    return target;
  }
  if (!isObject(target)) return [target].concat(source);
  let acc = target;
  if (Array.isArray(target) && !Array.isArray(source)) acc = arrayToObject(target);
  if (Array.isArray(target) && Array.isArray(source)) {
    source.forEach((item, i) => {
      if (has(target, i)) {
        const t = target[i];
        if (isObject(t) && isObject(item)) target[i] = merge(t, item);
        else target.push(item);
      } else {
        target[i] = item;
      }
    });
    return target;
  }
  for (const key of Object.keys(source)) {
    if (key === '__proto__') continue;
    acc[key] = has(acc, key) ? merge(acc[key], source[key]) : source[key];
  }
  return acc;
}

// qs's utils.compact: sparse arrays lose their holes.
function compact(value, seen = new Set()) {
  if (!isObject(value) || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) {
    const out = [];
    for (let i = 0; i < value.length; i++) if (value[i] !== undefined) out.push(compact(value[i], seen));
    return out;
  }
  for (const k of Object.keys(value)) value[k] = compact(value[k], seen);
  return value;
}

function parseObject(chain, val, arrayLimit) {
  let leaf = val;
  for (let i = chain.length - 1; i >= 0; --i) {
    const root = chain[i];
    let obj;
    if (root === '[]') {
      obj = [].concat(leaf);
    } else {
      obj = {};
      const clean = root[0] === '[' && root[root.length - 1] === ']' ? root.slice(1, -1) : root;
      const index = parseInt(clean, 10);
      if (!Number.isNaN(index) && root !== clean && `${index}` === clean && index >= 0 && index <= arrayLimit) {
        obj = [];
        obj[index] = leaf;
      } else if (clean !== '__proto__') {
        obj[clean] = leaf;
      }
    }
    leaf = obj;
  }
  return leaf;
}

function parseKeys(key, val, depth, arrayLimit) {
  if (!key) return undefined;
  const brackets = /(\[[^[\]]*])/;
  const child = /(\[[^[\]]*])/g;
  let segment = depth > 0 ? brackets.exec(key) : null;
  const parent = segment ? key.slice(0, segment.index) : key;
  const keys = [];
  if (parent) {
    if (parent === '__proto__') return undefined;
    keys.push(parent);
  }
  let i = 0;
  while (depth > 0 && (segment = child.exec(key)) !== null && i < depth) {
    i += 1;
    keys.push(segment[1]);
  }
  if (segment) keys.push(`[${key.slice(segment.index)}]`);
  return parseObject(keys, val, arrayLimit);
}

function parse(str, options = {}) {
  const depth = options.depth === undefined ? 5 : options.depth;
  const arrayLimit = options.arrayLimit === undefined ? 20 : options.arrayLimit;
  const limit = options.parameterLimit === undefined ? 1000 : options.parameterLimit;
  let obj = {};
  if (typeof str !== 'string' || str === '') return obj;
  const pairs = new Map();
  const parts = str.replace(/^\?/, '').split('&', limit);
  for (const part of parts) {
    if (part === '') continue;
    const bracketEq = part.indexOf(']=');
    const pos = bracketEq === -1 ? part.indexOf('=') : bracketEq + 1;
    let key;
    let val;
    if (pos === -1) {
      key = decode(part);
      val = '';
    } else {
      key = decode(part.slice(0, pos));
      val = decode(part.slice(pos + 1));
    }
    if (pairs.has(key)) pairs.set(key, [].concat(pairs.get(key), val));
    else pairs.set(key, val);
  }
  for (const [key, val] of pairs) {
    const parsed = parseKeys(key, val, depth, arrayLimit);
    if (parsed !== undefined) obj = merge(obj, parsed);
  }
  return compact(obj);
}

module.exports = { parse };
