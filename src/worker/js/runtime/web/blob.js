// Blob, File and FormData, held in memory.

'use strict';

const { utf8Encode } = require('./encoding.js');
const state = require('../state.js');
const { invalidArgType, missingArgs } = require('../errors.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');
const kBytes = Symbol('kBytes');

function partBytes(part) {
  if (part instanceof Blob) return part[kBytes];
  if (part instanceof ArrayBuffer || Object.prototype.toString.call(part) === '[object ArrayBuffer]') return new Uint8Array(part.slice(0));
  if (ArrayBuffer.isView(part)) return new Uint8Array(part.buffer, part.byteOffset, part.byteLength).slice();
  return utf8Encode(`${part}`);
}

function normalizeType(type) {
  const t = `${type}`;
  return /[^\u0020-\u007e]/.test(t) ? '' : t.toLowerCase();
}

class Blob {
  #type;

  constructor(parts = [], options = undefined) {
    if (parts === null || typeof parts !== 'object' || typeof parts[Symbol.iterator] !== 'function') {
      throw invalidArgType('sources', 'a sequence', parts);
    }
    const chunks = [];
    let total = 0;
    for (const p of parts) {
      const b = partBytes(p);
      chunks.push(b);
      total += b.length;
    }
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.length;
    }
    Object.defineProperty(this, kBytes, { value: bytes, writable: true });
    this.#type = options && options.type !== undefined ? normalizeType(options.type) : '';
  }

  get size() {
    return this[kBytes].length;
  }

  get type() {
    return this.#type;
  }

  slice(start = 0, end = this.size, type = '') {
    const size = this.size;
    const rel = (v) => (v < 0 ? Math.max(size + v, 0) : Math.min(v, size));
    const s = rel(Math.trunc(Number(start)) || 0);
    const e = rel(end === undefined ? size : Math.trunc(Number(end)) || 0);
    const out = new Blob([], { type });
    out[kBytes] = this[kBytes].slice(s, Math.max(s, e));
    return out;
  }

  text() {
    return Promise.resolve(state.host.utf8Decode(this[kBytes], false));
  }

  arrayBuffer() {
    return Promise.resolve(this[kBytes].slice().buffer);
  }

  bytes() {
    return Promise.resolve(this[kBytes].slice());
  }

  stream() {
    const { ReadableStream } = require('./streams.js');
    const bytes = this[kBytes].slice();
    return new ReadableStream({
      type: 'bytes',
      start(controller) {
        if (bytes.length) controller.enqueue(bytes);
        controller.close();
      },
    });
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    const name = this.constructor.name;
    if (depth < 0) return name;
    const body = { size: this.size, type: this.type };
    if (this instanceof File) {
      body.name = this.name;
      body.lastModified = this.lastModified;
    }
    return `${name} ${inspect ? inspect(body, opts) : JSON.stringify(body)}`;
  }
}
Object.defineProperty(Blob.prototype, Symbol.toStringTag, { value: 'Blob', configurable: true });

class File extends Blob {
  #name;
  #lastModified;

  constructor(parts, name, options = undefined) {
    if (arguments.length < 2) throw missingArgs('fileBits', 'fileName');
    super(parts, options);
    this.#name = `${name}`;
    this.#lastModified = options && options.lastModified !== undefined ? Number(options.lastModified) : Date.now();
  }

  get name() {
    return this.#name;
  }

  get lastModified() {
    return this.#lastModified;
  }
}
Object.defineProperty(File.prototype, Symbol.toStringTag, { value: 'File', configurable: true });

function toEntryValue(value, filename) {
  if (value instanceof Blob) {
    if (!(value instanceof File) || filename !== undefined) {
      const name = filename !== undefined ? `${filename}` : value instanceof File ? value.name : 'blob';
      const f = new File([], name, { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
      f[kBytes] = value[kBytes];
      return f;
    }
    return value;
  }
  return `${value}`;
}

class FormData {
  #entries = [];

  constructor(form = undefined) {
    if (form !== undefined) throw new TypeError('FormData constructor: the form argument is not supported');
  }

  append(name, value, filename = undefined) {
    if (arguments.length < 2) throw missingArgs('name', 'value');
    this.#entries.push([`${name}`, toEntryValue(value, filename)]);
  }

  set(name, value, filename = undefined) {
    if (arguments.length < 2) throw missingArgs('name', 'value');
    name = `${name}`;
    const v = toEntryValue(value, filename);
    const i = this.#entries.findIndex((e) => e[0] === name);
    if (i < 0) {
      this.#entries.push([name, v]);
      return;
    }
    this.#entries[i] = [name, v];
    this.#entries = this.#entries.filter((e, j) => j <= i || e[0] !== name);
  }

  delete(name) {
    name = `${name}`;
    this.#entries = this.#entries.filter((e) => e[0] !== name);
  }

  get(name) {
    const e = this.#entries.find((x) => x[0] === `${name}`);
    return e ? e[1] : null;
  }

  getAll(name) {
    return this.#entries.filter((x) => x[0] === `${name}`).map((x) => x[1]);
  }

  has(name) {
    return this.#entries.some((x) => x[0] === `${name}`);
  }

  forEach(fn, thisArg = undefined) {
    for (const [k, v] of this.#entries.slice()) fn.call(thisArg, v, k, this);
  }

  *entries() {
    for (const e of this.#entries.slice()) yield [e[0], e[1]];
  }

  *keys() {
    for (const e of this.#entries.slice()) yield e[0];
  }

  *values() {
    for (const e of this.#entries.slice()) yield e[1];
  }

  [Symbol.iterator]() {
    return this.entries();
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'FormData';
    const list = this.#entries.map(([k, v]) => ({ name: k, value: v }));
    return `FormData ${inspect ? inspect(list, opts) : '[]'}`;
  }
}
Object.defineProperty(FormData.prototype, Symbol.toStringTag, { value: 'FormData', configurable: true });

// multipart/form-data body of a FormData, with a random boundary.
function encodeFormData(form) {
  const { randomBytes, HEX } = require('./crypto.js');
  const boundary = `----corral${Array.from(randomBytes(12), (b) => HEX[b]).join('')}`;
  const parts = [];
  const esc = (s) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
  for (const [name, value] of form) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${esc(name)}"`;
    if (typeof value === 'string') {
      parts.push(`${head}\r\n\r\n`, value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n'), '\r\n');
    } else {
      head += `; filename="${esc(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
      parts.push(head, value, '\r\n');
    }
  }
  parts.push(`--${boundary}--\r\n`);
  const blob = new Blob(parts);
  return { bytes: blob[kBytes], type: `multipart/form-data; boundary=${boundary}` };
}

module.exports = { Blob, File, FormData, encodeFormData, kBytes };
