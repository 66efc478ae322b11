const names = ['structuredClone', 'atob', 'btoa', 'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream', 'URL', 'URLSearchParams',
  'DOMException', 'Event', 'EventTarget', 'CustomEvent', 'AbortController', 'AbortSignal', 'performance', 'crypto', 'Crypto', 'CryptoKey', 'SubtleCrypto',
  'Blob', 'File', 'FormData', 'Headers', 'Request', 'Response', 'fetch', 'ReadableStream', 'WritableStream', 'TransformStream', 'ByteLengthQueuingStrategy',
  'CountQueuingStrategy', 'ReadableStreamDefaultReader', 'WritableStreamDefaultWriter', 'setImmediate', 'clearImmediate', 'setTimeout', 'setInterval',
  'clearTimeout', 'clearInterval', 'queueMicrotask', 'Buffer', 'process', 'global', 'console'];
console.log(names.map((n) => `${n}:${typeof globalThis[n]}`).join(' '));
console.log(global === globalThis, Object.keys(globalThis).includes('URL'), 'fetch' in globalThis);
