// Every global name that the runtime defines: the single source of truth.
// scripts/build-js.mjs writes this list into the C string
// corral_js_runtime_globals ("name,name,..."), and the C side defines a lazy
// accessor on each execution's global object for each name; the first read
// of any of them evaluates the runtime bundle and calls install() (index.js),
// which replaces every accessor with the real value.
//
// Names that the C side defines itself (console, setTimeout, setInterval,
// clearTimeout, clearInterval, queueMicrotask) are not listed here.

'use strict';

module.exports = [
  // Node's globals.
  'global',
  'process',
  'Buffer',
  'setImmediate',
  'clearImmediate',
  // CommonJS, for the main script of code mode (see docs/internals/runtime.md).
  'require',
  'module',
  'exports',
  '__filename',
  '__dirname',
  // Web globals (the WinterTC minimum common API and what Node 20 adds).
  'structuredClone',
  'atob',
  'btoa',
  'TextEncoder',
  'TextDecoder',
  'TextEncoderStream',
  'TextDecoderStream',
  'CompressionStream',
  'DecompressionStream',
  'URL',
  'URLSearchParams',
  'DOMException',
  'Event',
  'EventTarget',
  'CustomEvent',
  'AbortController',
  'AbortSignal',
  'performance',
  'crypto',
  'Crypto',
  'CryptoKey',
  'SubtleCrypto',
  'Blob',
  'File',
  'FormData',
  'Headers',
  'Request',
  'Response',
  'fetch',
  'ReadableStream',
  'ReadableStreamDefaultReader',
  'ReadableStreamBYOBReader',
  'ReadableStreamBYOBRequest',
  'ReadableByteStreamController',
  'ReadableStreamDefaultController',
  'WritableStream',
  'WritableStreamDefaultWriter',
  'WritableStreamDefaultController',
  'TransformStream',
  'TransformStreamDefaultController',
  'ByteLengthQueuingStrategy',
  'CountQueuingStrategy',
];
