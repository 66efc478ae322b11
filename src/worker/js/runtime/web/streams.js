// The WHATWG Streams classes (web-streams-polyfill, the reference
// implementation's ponyfill build) and TextEncoderStream/TextDecoderStream.

'use strict';

const ws = require('web-streams-polyfill');
const { TextDecoder, utf8Encode } = require('./encoding.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

class TextEncoderStream {
  #transform;

  constructor() {
    let pending = '';
    this.#transform = new ws.TransformStream({
      transform(chunk, controller) {
        let s = pending + `${chunk}`;
        pending = '';
        const last = s.charCodeAt(s.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pending = s.slice(-1);
          s = s.slice(0, -1);
        }
        if (s.length) controller.enqueue(utf8Encode(s));
      },
      flush(controller) {
        if (pending) controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }

  get encoding() {
    return 'utf-8';
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'TextEncoderStream';
    return `TextEncoderStream ${inspect({ encoding: 'utf-8', readable: this.readable, writable: this.writable }, opts)}`;
  }
}
Object.defineProperty(TextEncoderStream.prototype, Symbol.toStringTag, { value: 'TextEncoderStream', configurable: true });

class TextDecoderStream {
  #transform;
  #decoder;

  constructor(encoding = 'utf-8', options = {}) {
    const decoder = new TextDecoder(encoding, options);
    this.#decoder = decoder;
    this.#transform = new ws.TransformStream({
      transform(chunk, controller) {
        const s = decoder.decode(chunk, { stream: true });
        if (s) controller.enqueue(s);
      },
      flush(controller) {
        const s = decoder.decode();
        if (s) controller.enqueue(s);
      },
    });
  }

  get encoding() {
    return this.#decoder.encoding;
  }

  get fatal() {
    return this.#decoder.fatal;
  }

  get ignoreBOM() {
    return this.#decoder.ignoreBOM;
  }

  get readable() {
    return this.#transform.readable;
  }

  get writable() {
    return this.#transform.writable;
  }
}
Object.defineProperty(TextDecoderStream.prototype, Symbol.toStringTag, { value: 'TextDecoderStream', configurable: true });

// Reads a whole stream of Uint8Array chunks into one Uint8Array.
async function readAllBytes(stream) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) {
      if (ArrayBuffer.isView(value)) {
        chunks.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        total += value.byteLength;
        continue;
      }
      throw new TypeError('Received non-Uint8Array chunk');
    }
    chunks.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

module.exports = { ...ws, TextEncoderStream, TextDecoderStream, readAllBytes };
