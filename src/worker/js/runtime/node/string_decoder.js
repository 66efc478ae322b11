// string_decoder: npm string_decoder (Node's old JavaScript code), over npm
// buffer, with UTF-8 decoded the way Node 20's native decoder does it: an
// incomplete character at the end of a chunk is held back, as many bytes as
// its lead byte announces, and every complete piece is decoded with
// Buffer#toString (the WHATWG decoder: one U+FFFD per maximal subpart), so
// that a sequence split across chunks decodes as it would whole.

'use strict';

const mod = require('string_decoder/');
const { Buffer } = require('./buffer.js');

const { StringDecoder } = mod;
const proto = StringDecoder.prototype;

function bytesOf(buf) {
  if (Buffer.isBuffer(buf)) return buf;
  if (ArrayBuffer.isView(buf)) return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const err = new TypeError(`The "buf" argument must be an instance of Buffer, TypedArray, or DataView.${buf === null ? ' Received null' : ` Received type ${typeof buf} (${String(buf)})`}`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  throw err;
}

// this.lastChar holds the held-back bytes (this.lastTotal - this.lastNeed
// of them); this.lastNeed is how many more the character wants.
function utf8Write(d, buf) {
  const data = bytesOf(buf);
  let start = 0;
  let n = data.length;
  let held = d.lastTotal - d.lastNeed;
  let missing = d.lastNeed;
  let prepend = '';
  if (missing > 0) {
    let take = Math.min(n, missing);
    for (let i = 0; i < take; i++) {
      if ((data[i] & 0xc0) !== 0x80) {
        // Not a continuation: the held character ends here, and this byte
        // starts a new one.
        take = i;
        missing = i;
        break;
      }
    }
    for (let i = 0; i < take; i++) d.lastChar[held + i] = data[i];
    held += take;
    missing -= take;
    start = take;
    n -= take;
    if (missing === 0) {
      prepend = d.lastChar.toString('utf8', 0, held);
      held = 0;
    }
  }
  if (n === 0) {
    d.lastNeed = missing;
    d.lastTotal = held + missing;
    return prepend;
  }
  // No character is held now. Does one start near the end and run past it?
  if (data[start + n - 1] & 0x80) {
    for (let i = start + n - 1; ; i--) {
      held++;
      if ((data[i] & 0xc0) === 0x80) {
        if (held >= 4 || i === start) {
          held = 0;
          break;
        }
      } else {
        const c = data[i];
        missing = (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : (c & 0xf8) === 0xf0 ? 4 : 0;
        if (!missing || held >= missing) {
          missing = 0;
          held = 0;
        }
        missing -= held;
        break;
      }
    }
  }
  if (held > 0) {
    n -= held;
    for (let i = 0; i < held; i++) d.lastChar[i] = data[start + n + i];
  }
  d.lastNeed = missing;
  d.lastTotal = held + missing;
  return prepend + (n > 0 ? data.toString('utf8', start, start + n) : '');
}

function utf8End(d, buf) {
  let out = buf === undefined ? '' : d.write(buf);
  const held = d.lastTotal - d.lastNeed;
  if (held > 0) out += d.lastChar.toString('utf8', 0, held);
  d.lastNeed = 0;
  d.lastTotal = 0;
  return out;
}

const origWrite = proto.write;
const origEnd = proto.end;
proto.write = function write(buf) {
  if (this.encoding !== 'utf8') return origWrite.call(this, buf);
  if (typeof buf === 'string') return buf;
  return utf8Write(this, buf);
};
proto.end = function end(buf) {
  if (this.encoding !== 'utf8') return origEnd.call(this, buf);
  return utf8End(this, buf);
};
const origText = proto.text;
proto.text = function text(buf, offset) {
  if (this.encoding !== 'utf8') return origText.call(this, buf, offset);
  this.lastNeed = 0;
  this.lastTotal = 0;
  return utf8Write(this, bytesOf(buf).subarray(offset));
};

module.exports = mod;
