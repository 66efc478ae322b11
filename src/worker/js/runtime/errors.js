// Node-style errors: an ordinary Error (or TypeError, RangeError) with an
// enumerable `code`, and the messages of Node's lib/internal/errors.js for
// the few codes the runtime throws.

'use strict';

function primitiveText(v) {
  switch (typeof v) {
    case 'string': return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `${v}n`;
    default: return String(v);
  }
}

// Node's determineSpecificType, for "Received ..." in messages.
function received(value) {
  if (value == null) return ` Received ${value}`;
  if (typeof value === 'function') return value.name ? ` Received function ${value.name}` : ' Received function ';
  if (typeof value === 'object') {
    const ctor = value.constructor;
    if (ctor && ctor.name) return ` Received an instance of ${ctor.name}`;
    return ' Received [Object: null prototype]';
  }
  let text = primitiveText(value);
  if (text.length > 28) text = `${text.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${text})`;
}

// As Node's internal errors, the stack's first line names the code
// ("TypeError [ERR_X]: ..."): the stack is read once while `name` says so.
function nodeError(Base, code, message) {
  const err = new Base(message);
  err.code = code;
  Object.defineProperty(err, 'name', { value: `${Base.name} [${code}]`, configurable: true, writable: true });
  void err.stack;
  delete err.name;
  return err;
}

function typesList(types) {
  const list = Array.isArray(types) ? types : [types];
  const plain = [];
  const instances = [];
  for (const t of list) {
    if (/^[A-Z]/.test(t)) instances.push(t);
    else plain.push(t);
  }
  const join = (a, last) => (a.length < 3 ? a.join(` ${last} `) : `${a.slice(0, -1).join(', ')}, ${last} ${a[a.length - 1]}`);
  let s = '';
  if (plain.length) s += `${plain.length > 1 ? 'one of type' : 'of type'} ${join(plain, 'or')}`;
  if (instances.length) s += `${s ? ' or ' : ''}an instance of ${join(instances, 'or')}`;
  return s;
}

function invalidArgType(name, types, value) {
  const what = name.endsWith(' argument') ? name : `"${name}" ${name.includes('.') ? 'property' : 'argument'}`;
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The ${what} must be ${typesList(types)}.${received(value)}`);
}

function invalidArgValue(name, value, reason = 'is invalid') {
  let text;
  if (typeof value === 'object' && value !== null) text = Array.isArray(value) ? '[ ... ]' : '{ ... }';
  else text = primitiveText(value);
  const kind = name.includes('.') ? 'property' : 'argument';
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${kind} '${name}' ${reason}. Received ${text}`);
}

function outOfRange(name, range, value) {
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE',
    `The value of "${name}" is out of range. It must be ${range}. Received ${primitiveText(value)}`);
}

function missingArgs(...names) {
  const list = names.map((n) => `"${n}"`);
  let msg = 'The ';
  if (list.length === 1) msg += `${list[0]} argument`;
  else if (list.length === 2) msg += `${list[0]} and ${list[1]} arguments`;
  else msg += `${list.slice(0, -1).join(', ')}, and ${list[list.length - 1]} arguments`;
  return nodeError(TypeError, 'ERR_MISSING_ARGS', `${msg} must be specified`);
}

function validateFunction(fn, name) {
  if (typeof fn !== 'function') throw invalidArgType(name, 'function', fn);
}

function validateString(v, name) {
  if (typeof v !== 'string') throw invalidArgType(name, 'string', v);
}

function validateNumber(v, name) {
  if (typeof v !== 'number') throw invalidArgType(name, 'number', v);
}

function validateObject(v, name) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidArgType(name, 'Object', v);
}

module.exports = {
  nodeError,
  received,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  missingArgs,
  validateFunction,
  validateString,
  validateNumber,
  validateObject,
  primitiveText,
};
