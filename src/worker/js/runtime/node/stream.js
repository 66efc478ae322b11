// stream: readable-stream 4 (a copy of Node's lib/stream), over npm buffer,
// events and string_decoder, this runtime's process, AbortController and
// AbortSignal (aliased in build-js.mjs).

'use strict';

const stream = require('readable-stream/lib/ours/browser.js');

if (!stream.Stream) stream.Stream = stream;
module.exports = stream;
