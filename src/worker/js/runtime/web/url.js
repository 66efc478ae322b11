// URL and URLSearchParams: whatwg-url-minimum (a compact derivative of
// jsdom's whatwg-url, with UTS #46 mapping and punycode), shown by
// util.inspect and console.log the way Node 20 shows its own.

'use strict';

const impl = require('whatwg-url-minimum');

const { URLSearchParams } = impl;

// Node's parse errors: TypeError "Invalid URL" with code ERR_INVALID_URL and
// the input (and base) on the error.
class URL extends impl.URL {
  constructor(input, base = undefined) {
    try {
      if (base === undefined) super(input);
      else super(input, base);
    } catch (e) {
      if (e instanceof TypeError) {
        const err = new TypeError('Invalid URL');
        err.code = 'ERR_INVALID_URL';
        err.input = `${input}`;
        if (base !== undefined) err.base = `${base}`;
        throw err;
      }
      throw e;
    }
  }
}

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');
const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'searchParams', 'hash'];

Object.defineProperty(URL.prototype, CUSTOM_INSPECT, {
  value: function inspectURL(depth, opts, inspect) {
    if (typeof depth === 'number' && depth < 0) return this;
    const ctor = (this.constructor && this.constructor.name) || 'URL';
    const obj = Object.create({ constructor: this.constructor });
    for (const f of FIELDS) obj[f] = this[f];
    return `${ctor} ${inspect(obj, opts)}`;
  },
  configurable: true,
  writable: true,
});

Object.defineProperty(URLSearchParams.prototype, CUSTOM_INSPECT, {
  value: function inspectSearchParams(depth, opts, inspect) {
    if (typeof depth === 'number' && depth < 0) return opts.stylize('[Object]', 'special');
    const inner = { ...opts };
    if (depth !== null) inner.depth = depth - 1;
    const output = [];
    for (const [k, v] of this) output.push(`${inspect(k, inner)} => ${inspect(v, inner)}`);
    const name = (this.constructor && this.constructor.name) || 'URLSearchParams';
    const length = output.reduce((prev, cur) => prev + cur.length + 2, -2);
    if (length > (opts.breakLength === undefined ? 80 : opts.breakLength)) return `${name} {\n  ${output.join(',\n  ')} }`;
    if (output.length) return `${name} { ${output.join(', ')} }`;
    return `${name} {}`;
  },
  configurable: true,
  writable: true,
});

module.exports = { URL, URLSearchParams };
