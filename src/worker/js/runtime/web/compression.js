// CompressionStream and DecompressionStream (the Compression Streams
// standard, as Node 20 has them): a TransformStream over a synchronous
// engine of node/zlib.js for 'deflate', 'deflate-raw' and 'gzip'. As in
// Node, a chunk may be any BufferSource or a string (written as UTF-8);
// output chunks are Uint8Arrays; a library error (bad or truncated input)
// errors both sides with the zlib Error (message, errno, code).

'use strict';

const ws = require('web-streams-polyfill');
const { nodeError, primitiveText } = require('../errors.js');
const { utf8Encode } = require('./encoding.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

function zlib() {
  return require('../node/zlib.js');
}

function invalidFormat(format) {
  const text = typeof format === 'object' && format !== null ? (Array.isArray(format) ? '[ ... ]' : '{ ... }') : primitiveText(format);
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'format' is invalid. Received ${text}`);
}

function toBytes(chunk) {
  if (typeof chunk === 'string') return utf8Encode(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError('The "chunk" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
}

// The readable side holds up to 16 KiB before it pushes back, as Node's
// (a zlib stream's readableHighWaterMark), so that a write resolves
// without a pending read.
function makeTransform(ctor) {
  const engine = zlib()._webEngine(ctor);
  return new ws.TransformStream({
    transform(chunk, controller) {
      // As in Node, a library error errors the stream but not this write.
      let outs;
      try {
        outs = engine.push(toBytes(chunk));
      } catch (err) {
        if (!(err instanceof TypeError)) {
          controller.error(err);
          return;
        }
        throw err;
      }
      for (const out of outs) controller.enqueue(out);
    },
    flush(controller) {
      for (const out of engine.finish()) controller.enqueue(out);
    },
    cancel() {
      engine.close();
    },
  }, undefined, { highWaterMark: 16384, size: (chunk) => chunk.byteLength });
}

class CompressionStream {
  #transform;

  constructor(format) {
    const z = zlib();
    const ctor = { deflate: z.Deflate, 'deflate-raw': z.DeflateRaw, gzip: z.Gzip }[format];
    if (typeof format !== 'string' || !ctor) throw invalidFormat(format);
    this.#transform = makeTransform(ctor);
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'CompressionStream';
    return `CompressionStream ${inspect({ readable: this.readable, writable: this.writable }, opts)}`;
  }
}
Object.defineProperty(CompressionStream.prototype, Symbol.toStringTag, { value: 'CompressionStream', configurable: true });

class DecompressionStream {
  #transform;

  constructor(format) {
    const z = zlib();
    const ctor = { deflate: z.Inflate, 'deflate-raw': z.InflateRaw, gzip: z.Gunzip }[format];
    if (typeof format !== 'string' || !ctor) throw invalidFormat(format);
    this.#transform = makeTransform(ctor);
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'DecompressionStream';
    return `DecompressionStream ${inspect({ readable: this.readable, writable: this.writable }, opts)}`;
  }
}
Object.defineProperty(DecompressionStream.prototype, Symbol.toStringTag, { value: 'DecompressionStream', configurable: true });

module.exports = { CompressionStream, DecompressionStream };
