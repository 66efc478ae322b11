// The one path from a handler's response to the C side's sink: head once,
// body chunks, end once. It enforces the sink's contract whatever the
// handler does:
//
// - head(status, flat) before anything else, exactly once;
// - no empty chunk is written (a zero-length chunk could end a chunked
//   body), and none at all for HEAD requests and 204/304 responses;
// - chunks are handed over as plain Uint8Array views (never a Buffer
//   subclass); the C side copies the bytes during the call;
// - end() exactly once, last;
// - after kill() (the invocation failed and the C side answers it), nothing
//   reaches the sink any more.

'use strict';

class Outlet {
  // onEnd() runs after sink.end(); fail(err) hands an error to the
  // invocation (which kills the outlet unless the response had ended).
  constructor(sink, method, onEnd, onFail) {
    this.sink = sink;
    this.headOnly = method === 'HEAD';
    this.onEnd = onEnd;
    this.onFail = onFail;
    this.state = 'new'; // new | head | ended | dead
    this.hasBody = true;
    this.bytes = 0;
  }

  get headSent() {
    return this.state !== 'new';
  }

  get ended() {
    return this.state === 'ended';
  }

  get dead() {
    return this.state === 'dead';
  }

  head(status, flat) {
    if (this.state === 'dead') return;
    if (this.state !== 'new') throw new Error('corral: the response head was already sent');
    this.state = 'head';
    this.hasBody = !(this.headOnly || status === 204 || status === 304);
    try {
      this.sink.head(status, flat);
    } catch (e) {
      // The C side refused the head (its own checks): nothing of this
      // response can be sent any more; the invocation fails with the error,
      // which the handler also sees.
      this.onFail(e);
      throw e;
    }
  }

  write(u8) {
    if (this.state === 'dead') return;
    if (this.state !== 'head') throw new Error(`corral: response body written ${this.state === 'new' ? 'before its head' : 'after its end'}`);
    if (!this.hasBody || u8.byteLength === 0) return;
    const view = u8.constructor === Uint8Array ? u8 : new Uint8Array(u8.buffer, u8.byteOffset, u8.byteLength);
    this.bytes += view.byteLength;
    this.sink.write(view);
  }

  end() {
    if (this.state === 'dead' || this.state === 'ended') return;
    if (this.state !== 'head') throw new Error('corral: response ended before its head');
    this.state = 'ended';
    try {
      this.sink.end();
    } finally {
      this.onEnd();
    }
  }

  fail(err) {
    this.onFail(err);
  }

  kill() {
    if (this.state !== 'ended') this.state = 'dead';
  }
}

module.exports = { Outlet };
