// zlib: Node's zlib module over host.zlib (src/worker/host_zlib.c, the C
// zlib and brotli libraries). Written after Node 20's lib/zlib.js and its
// behaviour: the same classes (Transform streams from ./stream.js), the
// same option checks and messages, the same errors (message, errno, code),
// the same chunking (a native call fills at most one chunkSize window).
//
// Differences from Node: the library runs synchronously in the worker
// (there is no thread pool), and a stream's next step comes on a
// microtask, not after a thread-pool round trip; maxOutputLength defaults
// to a quarter of the execution's memory budget (Node: 4 GiB), so that a
// zip bomb given to the one-shot forms ends in ERR_BUFFER_TOO_LARGE, which
// the program can catch, rather than in the execution's memory limit.

'use strict';

const state = require('../state.js');
const { Transform, finished } = require('./stream.js');
const { nodeError, invalidArgType, outOfRange, validateFunction } = require('../errors.js');

function B() {
  return require('./buffer.js').Buffer;
}

function host() {
  return state.host.zlib;
}

// zlib.constants: Node 20's names and values (ZLIB_VERNUM is the linked
// library's).
const constants = Object.create(null);
{
  const list = {
    Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
    Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3,
    Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
    Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
    Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0, ZLIB_VERNUM: 0,
    DEFLATE: 1, INFLATE: 2, GZIP: 3, GUNZIP: 4, DEFLATERAW: 5, INFLATERAW: 6, UNZIP: 7,
    BROTLI_DECODE: 8, BROTLI_ENCODE: 9,
    Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15,
    Z_MIN_CHUNK: 64, Z_MAX_CHUNK: Infinity, Z_DEFAULT_CHUNK: 16384,
    Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8,
    Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
    BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2,
    BROTLI_OPERATION_EMIT_METADATA: 3,
    BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2,
    BROTLI_DEFAULT_MODE: 0, BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11,
    BROTLI_DEFAULT_QUALITY: 11, BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10,
    BROTLI_MAX_WINDOW_BITS: 24, BROTLI_LARGE_MAX_WINDOW_BITS: 30, BROTLI_DEFAULT_WINDOW: 22,
    BROTLI_PARAM_LGBLOCK: 3, BROTLI_MIN_INPUT_BLOCK_BITS: 16, BROTLI_MAX_INPUT_BLOCK_BITS: 24,
    BROTLI_PARAM_DISABLE_LITERAL_CONTEXT_MODELING: 4, BROTLI_PARAM_SIZE_HINT: 5,
    BROTLI_PARAM_LARGE_WINDOW: 6, BROTLI_PARAM_NPOSTFIX: 7, BROTLI_PARAM_NDIRECT: 8,
    BROTLI_DECODER_RESULT_ERROR: 0, BROTLI_DECODER_RESULT_SUCCESS: 1,
    BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT: 2, BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: 3,
    BROTLI_DECODER_PARAM_DISABLE_RING_BUFFER_REALLOCATION: 0, BROTLI_DECODER_PARAM_LARGE_WINDOW: 1,
    BROTLI_DECODER_NO_ERROR: 0, BROTLI_DECODER_SUCCESS: 1, BROTLI_DECODER_NEEDS_MORE_INPUT: 2,
    BROTLI_DECODER_NEEDS_MORE_OUTPUT: 3,
  };
  const brotliErrors = [
    'FORMAT_EXUBERANT_NIBBLE', 'FORMAT_RESERVED', 'FORMAT_EXUBERANT_META_NIBBLE',
    'FORMAT_SIMPLE_HUFFMAN_ALPHABET', 'FORMAT_SIMPLE_HUFFMAN_SAME', 'FORMAT_CL_SPACE',
    'FORMAT_HUFFMAN_SPACE', 'FORMAT_CONTEXT_MAP_REPEAT', 'FORMAT_BLOCK_LENGTH_1',
    'FORMAT_BLOCK_LENGTH_2', 'FORMAT_TRANSFORM', 'FORMAT_DICTIONARY', 'FORMAT_WINDOW_BITS',
    'FORMAT_PADDING_1', 'FORMAT_PADDING_2', 'FORMAT_DISTANCE',
  ];
  brotliErrors.forEach((n, i) => { list[`BROTLI_DECODER_ERROR_${n}`] = -1 - i; });
  Object.assign(list, {
    BROTLI_DECODER_ERROR_DICTIONARY_NOT_SET: -19, BROTLI_DECODER_ERROR_INVALID_ARGUMENTS: -20,
    BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES: -21, BROTLI_DECODER_ERROR_ALLOC_TREE_GROUPS: -22,
    BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MAP: -25, BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_1: -26,
    BROTLI_DECODER_ERROR_ALLOC_RING_BUFFER_2: -27, BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES: -30,
    BROTLI_DECODER_ERROR_UNREACHABLE: -31,
  });
  Object.assign(constants, list);
}
const C = constants;
let vernumSet = false;

const codes = {
  Z_OK: C.Z_OK, Z_STREAM_END: C.Z_STREAM_END, Z_NEED_DICT: C.Z_NEED_DICT, Z_ERRNO: C.Z_ERRNO,
  Z_STREAM_ERROR: C.Z_STREAM_ERROR, Z_DATA_ERROR: C.Z_DATA_ERROR, Z_MEM_ERROR: C.Z_MEM_ERROR,
  Z_BUF_ERROR: C.Z_BUF_ERROR, Z_VERSION_ERROR: C.Z_VERSION_ERROR,
};
for (const k of Object.keys(codes)) codes[codes[k]] = k;

const kFlushFlag = Symbol('kFlushFlag');
const kError = Symbol('kError');
const kMaxLength = 2 ** 32; // Node's buffer.kMaxLength, the bound of maxOutputLength

function bufferTooLarge(max) {
  return nodeError(RangeError, 'ERR_BUFFER_TOO_LARGE', `Cannot create a Buffer larger than ${max} bytes`);
}

function isView(v) {
  return ArrayBuffer.isView(v);
}

function isAnyArrayBuffer(v) {
  return v instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer) ||
    Object.prototype.toString.call(v) === '[object ArrayBuffer]';
}

function u8(v) {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

// Node's validateFiniteNumber + checkRangesOrGetDefault.
function rangeOrDefault(value, name, lower, upper, def) {
  if (value === undefined) return def;
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (Number.isNaN(value)) return def;
  if (!Number.isFinite(value)) throw outOfRange(name, 'a finite number', value);
  if (value < lower || value > upper) throw outOfRange(name, `>= ${lower} and <= ${upper}`, value);
  return value;
}

function defaultMaxOutput() {
  const h = state.host && state.host.zlib;
  return h && h.maxOutputLength ? h.maxOutputLength : kMaxLength;
}

function openHandle(mode, ...args) {
  const h = host().open(mode, ...args);
  if (h === null) throw nodeError(Error, 'ERR_ZLIB_INITIALIZATION_FAILED', 'Initialization failed');
  return h;
}

// Brotli's names for its decoder errors changed in 1.1 (Node's): ask the
// table, not the library, for "ERR__ERROR_FORMAT_PADDING_1".
function brotliCode(errno, code) {
  for (const k of Object.keys(C)) {
    if (C[k] === errno && k.startsWith('BROTLI_DECODER_ERROR_')) return `ERR_${k.slice('BROTLI_DECODER'.length)}`;
  }
  return code;
}

function zlibError(self, info) {
  const [message, errno] = info;
  let code = info[2];
  if (message === 'Decompression failed' && errno < 0) code = brotliCode(errno, code);
  const err = new Error(message);
  err.errno = errno;
  err.code = code;
  self.destroy(err);
  self[kError] = err;
}

// One native run over the chunk from inOff (inLen bytes) into the output
// window; false when the library failed (the stream is being destroyed).
function runHandle(self, flush, chunk, inOff, inLen, out, outOff, outLen) {
  let r;
  try {
    r = host().write(self._handle, flush, chunk, inOff, inLen, out, outOff, outLen, self._writeState);
  } catch (err) {
    // The handle was released with the execution that opened it (a
    // stream kept in a session's or a function's context).
    self._handle = null;
    self.destroy(err);
    self[kError] = err;
    return false;
  }
  if (r !== null) {
    zlibError(self, r);
    return false;
  }
  return true;
}

// --- the base stream --------------------------------------------------------

const FLUSH_BOUNDS = { zlib: [C.Z_NO_FLUSH, C.Z_BLOCK], brotli: [C.BROTLI_OPERATION_PROCESS, C.BROTLI_OPERATION_EMIT_METADATA] };

function ZlibBase(opts, mode, handle, { flush, finishFlush, fullFlush }) {
  let chunkSize = C.Z_DEFAULT_CHUNK;
  let maxOutputLength = defaultMaxOutput();
  const bounds = mode === C.BROTLI_ENCODE || mode === C.BROTLI_DECODE ? FLUSH_BOUNDS.brotli : FLUSH_BOUNDS.zlib;
  if (opts) {
    chunkSize = opts.chunkSize;
    if (chunkSize === undefined || Number.isNaN(chunkSize)) {
      chunkSize = C.Z_DEFAULT_CHUNK;
    } else {
      rangeOrDefault(chunkSize, 'options.chunkSize', -Infinity, Infinity, 0);
      if (chunkSize < C.Z_MIN_CHUNK) throw outOfRange('options.chunkSize', `>= ${C.Z_MIN_CHUNK}`, chunkSize);
    }
    flush = rangeOrDefault(opts.flush, 'options.flush', bounds[0], bounds[1], flush);
    finishFlush = rangeOrDefault(opts.finishFlush, 'options.finishFlush', bounds[0], bounds[1], finishFlush);
    maxOutputLength = rangeOrDefault(opts.maxOutputLength, 'options.maxOutputLength', 1, kMaxLength, maxOutputLength);
    if (opts.encoding || opts.objectMode || opts.writableObjectMode) {
      opts = { ...opts, encoding: null, objectMode: false, writableObjectMode: false };
    }
  }
  Transform.call(this, { autoDestroy: true, ...opts });
  this[kError] = null;
  this.bytesWritten = 0;
  this._handle = handle;
  this._outBuffer = B().allocUnsafe(chunkSize);
  this._outOffset = 0;
  this._chunkSize = chunkSize;
  this._defaultFlushFlag = flush;
  this._finishFlushFlag = finishFlush;
  this._defaultFullFlushFlag = fullFlush;
  this._info = opts && opts.info;
  this._maxOutputLength = maxOutputLength;
}
Object.setPrototypeOf(ZlibBase.prototype, Transform.prototype);
Object.setPrototypeOf(ZlibBase, Transform);

Object.defineProperty(ZlibBase.prototype, '_closed', {
  configurable: true,
  enumerable: true,
  get() {
    return !this._handle;
  },
});

Object.defineProperty(ZlibBase.prototype, 'bytesRead', {
  configurable: true,
  enumerable: true,
  get() {
    return this.bytesWritten;
  },
  set(v) {
    this.bytesWritten = v;
  },
});

ZlibBase.prototype.reset = function reset() {
  if (!this._handle) throw new Error('zlib binding closed');
  if (!host().reset(this._handle)) throw nodeError(Error, 'ERR_ZLIB_INITIALIZATION_FAILED', 'Initialization failed');
};

ZlibBase.prototype._flush = function _flush(callback) {
  this._transform(B().alloc(0), '', callback);
};

ZlibBase.prototype._final = function _final(callback) {
  callback();
};

// Z_NO_FLUSH < Z_BLOCK < Z_PARTIAL_FLUSH < Z_SYNC_FLUSH < Z_FULL_FLUSH < Z_FINISH
const flushOrder = [C.Z_NO_FLUSH, C.Z_BLOCK, C.Z_PARTIAL_FLUSH, C.Z_SYNC_FLUSH, C.Z_FULL_FLUSH, C.Z_FINISH];
const flushRank = [];
flushOrder.forEach((f, i) => { flushRank[f] = i; });

function maxFlush(a, b) {
  return flushRank[a] > flushRank[b] ? a : b;
}

// Empty chunks that carry a flush through write(), in order with the data.
let flushBuffers = null;
function flushBuffer(kind) {
  if (!flushBuffers) {
    flushBuffers = [];
    for (const f of flushOrder) {
      flushBuffers[f] = B().alloc(0);
      flushBuffers[f][kFlushFlag] = f;
    }
  }
  return flushBuffers[kind];
}

ZlibBase.prototype.flush = function flush(kind, callback) {
  if (typeof kind === 'function' || (kind === undefined && !callback)) {
    callback = kind;
    kind = this._defaultFullFlushFlag;
  }
  if (this.writableFinished) {
    if (callback) state.queueMicrotask(callback);
  } else if (this.writableEnded) {
    if (callback) this.once('end', callback);
  } else {
    this.write(flushBuffer(kind) || flushBuffer(C.Z_FULL_FLUSH), '', callback);
  }
};

ZlibBase.prototype.close = function close(callback) {
  if (callback) finished(this, callback);
  this.destroy();
};

ZlibBase.prototype._destroy = function _destroy(err, callback) {
  closeHandle(this);
  callback(err);
};

ZlibBase.prototype._transform = function _transform(chunk, encoding, cb) {
  let flushFlag = this._defaultFlushFlag;
  if (typeof chunk[kFlushFlag] === 'number') flushFlag = chunk[kFlushFlag];
  // The last chunk also gets the finish flush.
  if (this.writableEnded && this.writableLength === chunk.byteLength) {
    flushFlag = maxFlush(flushFlag, this._finishFlushFlag);
  }
  processChunk(this, chunk, flushFlag, cb);
};

ZlibBase.prototype._processChunk = function _processChunk(chunk, flushFlag, cb) {
  if (typeof cb === 'function') return processChunk(this, chunk, flushFlag, cb);
  return processChunkSync(this, chunk, flushFlag);
};

function closeHandle(self) {
  if (!self._handle) return;
  host().close(self._handle);
  self._handle = null;
}

// Runs the whole chunk through the handle now; calls onOut(buffer) for each
// piece of output. Throws the library's error. Leaves the handle open.
// grow: each window after a full one is twice as big, up to 1 MiB (the
// one-shot forms, whose pieces are joined anyway: fewer native calls and
// allocations, the same result).
function drainSync(self, chunk, flushFlag, onOut, grow = false) {
  const ws = self._writeState;
  let chunkSize = self._chunkSize;
  let inOff = 0;
  let inLeft = chunk.byteLength;
  let buffer = self._outBuffer;
  let offset = self._outOffset;
  let outLeft = buffer.length - offset;
  let error;
  const onError = (er) => { error = er; };
  self.on('error', onError);
  let read = 0;
  try {
    for (;;) {
      if (!self._handle) throw self[kError] || new Error('zlib binding closed');
      runHandle(self, flushFlag, chunk, inOff, inLeft, buffer, offset, outLeft);
      if (error) throw error;
      if (self[kError]) throw self[kError];
      const availOut = ws[0];
      const availIn = ws[1];
      read += inLeft - availIn;
      const have = outLeft - availOut;
      if (have > 0) {
        onOut(buffer.slice(offset, offset + have));
        offset += have;
      }
      if (availOut === 0 || offset >= buffer.length) {
        if (grow && availOut === 0) chunkSize = Math.max(chunkSize, Math.min(chunkSize * 2, 1 << 20));
        outLeft = chunkSize;
        offset = 0;
        buffer = B().allocUnsafe(chunkSize);
      } else {
        outLeft = buffer.length - offset;
      }
      if (availOut !== 0) break;
      // The window filled: run again over what is left of the input.
      inOff += inLeft - availIn;
      inLeft = availIn;
    }
  } finally {
    self._outBuffer = buffer;
    self._outOffset = offset;
    // After a library error the stream emits 'error' later (destroy):
    // the listener stays to take it, as in Node.
    if (!error && !self[kError]) self.removeListener('error', onError);
  }
  return read;
}

function processChunkSync(self, chunk, flushFlag) {
  const buffers = [];
  let nread = 0;
  const read = drainSync(self, u8(chunk), flushFlag, (out) => {
    buffers.push(out);
    nread += out.byteLength;
    if (nread > self._maxOutputLength) {
      closeHandle(self);
      throw bufferTooLarge(self._maxOutputLength);
    }
  }, true);
  self.bytesWritten = read;
  closeHandle(self);
  if (nread === 0) return B().alloc(0);
  return buffers.length === 1 ? buffers[0] : join(buffers, nread);
}

// Buffer.concat without its checks (npm buffer's is several times slower
// in JavaScriptCore).
function join(buffers, n) {
  const out = B().allocUnsafe(n);
  let o = 0;
  for (const b of buffers) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

// The asynchronous form: each native run is followed, on a microtask, by
// the push of its output; a full readable side waits for _read.
function processChunk(self, chunk, flushFlag, cb) {
  if (!self._handle) {
    state.queueMicrotask(cb);
    return;
  }
  const job = {
    chunk: u8(chunk),
    cb,
    flushFlag,
    inOff: 0,
    inLeft: chunk.byteLength,
    outLeft: self._chunkSize - self._outOffset,
  };
  step(self, job);
}

function step(self, job) {
  if (!self._handle) {
    state.queueMicrotask(job.cb);
    return;
  }
  if (!runHandle(self, job.flushFlag, job.chunk, job.inOff, job.inLeft, self._outBuffer, self._outOffset, job.outLeft)) return;
  const availOut = self._writeState[0];
  const availIn = self._writeState[1];
  state.queueMicrotask(() => afterStep(self, job, availOut, availIn));
}

function afterStep(self, job, availOut, availIn) {
  if (self.destroyed) {
    job.cb();
    return;
  }
  const inDelta = job.inLeft - availIn;
  self.bytesWritten += inDelta;
  const have = job.outLeft - availOut;
  let full = false;
  if (have > 0) {
    const out = self._outBuffer.slice(self._outOffset, self._outOffset + have);
    self._outOffset += have;
    full = !self.push(out);
  }
  if (self.destroyed) {
    job.cb();
    return;
  }
  if (availOut === 0 || self._outOffset >= self._chunkSize) {
    job.outLeft = self._chunkSize;
    self._outOffset = 0;
    self._outBuffer = B().allocUnsafe(self._chunkSize);
  }
  if (availOut === 0) {
    job.inOff += inDelta;
    job.inLeft = availIn;
    if (!full) {
      step(self, job);
    } else {
      const oldRead = self._read;
      self._read = (n) => {
        self._read = oldRead;
        step(self, job);
        self._read(n);
      };
    }
    return;
  }
  // Input left over with room in the output: the stream has ended (every
  // format but gzip's multi-member one stops reading at its end).
  if (availIn > 0) self.push(null);
  job.cb();
}

// --- the zlib formats --------------------------------------------------------

const zlibDefaultOpts = { flush: C.Z_NO_FLUSH, finishFlush: C.Z_FINISH, fullFlush: C.Z_FULL_FLUSH };

function Zlib(opts, mode) {
  let windowBits = C.Z_DEFAULT_WINDOWBITS;
  let level = C.Z_DEFAULT_COMPRESSION;
  let memLevel = C.Z_DEFAULT_MEMLEVEL;
  let strategy = C.Z_DEFAULT_STRATEGY;
  let dictionary;
  if (opts) {
    // 0 (or none) lets a decompressor take the window size from the header.
    if ((opts.windowBits == null || opts.windowBits === 0) &&
        (mode === C.INFLATE || mode === C.GUNZIP || mode === C.UNZIP)) {
      windowBits = 0;
    } else {
      const min = C.Z_MIN_WINDOWBITS + (mode === C.GZIP ? 1 : 0);
      windowBits = rangeOrDefault(opts.windowBits, 'options.windowBits', min, C.Z_MAX_WINDOWBITS, C.Z_DEFAULT_WINDOWBITS);
    }
    level = rangeOrDefault(opts.level, 'options.level', C.Z_MIN_LEVEL, C.Z_MAX_LEVEL, C.Z_DEFAULT_COMPRESSION);
    memLevel = rangeOrDefault(opts.memLevel, 'options.memLevel', C.Z_MIN_MEMLEVEL, C.Z_MAX_MEMLEVEL, C.Z_DEFAULT_MEMLEVEL);
    strategy = rangeOrDefault(opts.strategy, 'options.strategy', C.Z_DEFAULT_STRATEGY, C.Z_FIXED, C.Z_DEFAULT_STRATEGY);
    dictionary = opts.dictionary;
    if (dictionary !== undefined && !isView(dictionary)) {
      if (isAnyArrayBuffer(dictionary)) {
        dictionary = new Uint8Array(dictionary);
      } else {
        throw invalidArgType('options.dictionary', ['Buffer', 'TypedArray', 'DataView', 'ArrayBuffer'], dictionary);
      }
    }
  }
  const handle = openHandle(mode, windowBits | 0, level | 0, memLevel | 0, strategy | 0, dictionary === undefined ? null : u8(dictionary));
  this._writeState = new Uint32Array(2);
  ZlibBase.call(this, opts, mode, handle, zlibDefaultOpts);
  this._level = level;
  this._strategy = strategy;
}
Object.setPrototypeOf(Zlib.prototype, ZlibBase.prototype);
Object.setPrototypeOf(Zlib, ZlibBase);

Zlib.prototype.params = function params(level, strategy, callback) {
  rangeOrDefault(level, 'level', C.Z_MIN_LEVEL, C.Z_MAX_LEVEL);
  rangeOrDefault(strategy, 'strategy', C.Z_DEFAULT_STRATEGY, C.Z_FIXED);
  if (this._level !== level || this._strategy !== strategy) {
    this.flush(C.Z_SYNC_FLUSH, () => {
      if (!this._handle) throw new Error('zlib binding closed');
      host().params(this._handle, level | 0, strategy | 0);
      if (!this.destroyed) {
        this._level = level;
        this._strategy = strategy;
        if (callback) callback();
      }
    });
  } else if (callback) {
    state.queueMicrotask(callback);
  }
};

function defineFormat(name, mode, base = Zlib, prepare = null) {
  const ctor = {
    [name]: function (opts) {
      if (prepare) prepare(opts);
      if (!(this instanceof ctor)) return new ctor(opts);
      base.call(this, opts, mode);
    },
  }[name];
  Object.setPrototypeOf(ctor.prototype, base.prototype);
  Object.setPrototypeOf(ctor, base);
  return ctor;
}

const Deflate = defineFormat('Deflate', C.DEFLATE);
const Inflate = defineFormat('Inflate', C.INFLATE);
const Gzip = defineFormat('Gzip', C.GZIP);
const Gunzip = defineFormat('Gunzip', C.GUNZIP);
// Node turns windowBits 8 into 9 for raw deflate (zlib refuses 8 there).
const DeflateRaw = defineFormat('DeflateRaw', C.DEFLATERAW, Zlib, (opts) => {
  if (opts && opts.windowBits === 8) opts.windowBits = 9;
});
const InflateRaw = defineFormat('InflateRaw', C.INFLATERAW);
const Unzip = defineFormat('Unzip', C.UNZIP);

// --- brotli ------------------------------------------------------------------

const brotliDefaultOpts = {
  flush: C.BROTLI_OPERATION_PROCESS,
  finishFlush: C.BROTLI_OPERATION_FINISH,
  fullFlush: C.BROTLI_OPERATION_FLUSH,
};
const kMaxBrotliParam = 8;

function Brotli(opts, mode) {
  const params = new Array(kMaxBrotliParam + 1).fill(-1);
  if (opts && opts.params) {
    for (const origKey of Object.keys(opts.params)) {
      const key = +origKey;
      if (Number.isNaN(key) || key < 0 || key > kMaxBrotliParam || params[key] !== -1) {
        throw nodeError(RangeError, 'ERR_BROTLI_INVALID_PARAM', `${origKey} is not a valid Brotli parameter`);
      }
      const value = opts.params[origKey];
      if (typeof value !== 'number' && typeof value !== 'boolean') {
        throw invalidArgType('options.params[key]', 'number', value);
      }
      // Node stores it in a Uint32Array.
      params[key] = Number(value) >>> 0;
      if (params[key] === 0xffffffff) params[key] = -1;
    }
  }
  const handle = openHandle(mode, params);
  this._writeState = new Uint32Array(2);
  ZlibBase.call(this, opts, mode, handle, brotliDefaultOpts);
}
Object.setPrototypeOf(Brotli.prototype, Zlib.prototype);
Object.setPrototypeOf(Brotli, Zlib);

const BrotliCompress = defineFormat('BrotliCompress', C.BROTLI_ENCODE, Brotli);
const BrotliDecompress = defineFormat('BrotliDecompress', C.BROTLI_DECODE, Brotli);

// --- one-shot forms ----------------------------------------------------------

function zlibBufferSync(engine, buffer) {
  if (typeof buffer === 'string') {
    buffer = B().from(buffer);
  } else if (!isView(buffer)) {
    if (isAnyArrayBuffer(buffer)) {
      buffer = B().from(buffer);
    } else {
      throw invalidArgType('buffer', ['string', 'Buffer', 'TypedArray', 'DataView', 'ArrayBuffer'], buffer);
    }
  }
  buffer = processChunkSync(engine, buffer, engine._finishFlushFlag);
  if (engine._info) return { buffer, engine };
  return buffer;
}

function zlibBuffer(engine, buffer, callback) {
  validateFunction(callback, 'callback');
  if (isView(buffer) && !(buffer instanceof Uint8Array)) {
    buffer = B().from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } else if (isAnyArrayBuffer(buffer)) {
    buffer = B().from(buffer);
  }
  const buffers = [];
  let nread = 0;
  engine.on('data', (chunk) => {
    buffers.push(chunk);
    nread += chunk.length;
    if (nread > engine._maxOutputLength) {
      engine.close();
      engine.removeAllListeners('end');
      callback(bufferTooLarge(engine._maxOutputLength));
    }
  });
  engine.on('error', (err) => {
    engine.removeAllListeners('end');
    callback(err);
  });
  engine.on('end', () => {
    const buf = nread === 0 ? B().alloc(0) : buffers.length === 1 ? buffers[0] : join(buffers, nread);
    engine.close();
    if (engine._info) callback(null, { buffer: buf, engine });
    else callback(null, buf);
  });
  engine.end(buffer);
}

function convenience(ctor, sync) {
  if (sync) {
    return function syncBufferWrapper(buffer, opts) {
      return zlibBufferSync(new ctor(opts), buffer);
    };
  }
  return function asyncBufferWrapper(buffer, opts, callback) {
    if (typeof opts === 'function') {
      callback = opts;
      opts = {};
    }
    return zlibBuffer(new ctor(opts), buffer, callback);
  };
}

function crc32(data, value = 0) {
  if (typeof data !== 'string' && !isView(data)) {
    throw invalidArgType('data', ['string', 'Buffer', 'TypedArray', 'DataView'], data);
  }
  if (typeof value !== 'number') throw invalidArgType('value', 'number', value);
  if (!Number.isInteger(value)) throw outOfRange('value', 'an integer', value);
  if (value < 0 || value > 4294967295) throw outOfRange('value', '>= 0 && <= 4294967295', value);
  const bytes = typeof data === 'string' ? state.host.utf8Encode(data) : u8(data);
  return host().crc32(bytes, value);
}

// A synchronous engine for the web CompressionStream/DecompressionStream:
// push(bytes) and finish() return the output produced so far.
function webEngine(ctor) {
  const engine = new ctor();
  engine.on('error', () => {});
  const run = (bytes, flush) => {
    const out = [];
    drainSync(engine, bytes, flush, (b) => out.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    return out;
  };
  return {
    push: (bytes) => run(bytes, engine._defaultFlushFlag),
    finish: () => {
      try {
        return run(new Uint8Array(0), engine._finishFlushFlag);
      } finally {
        closeHandle(engine);
      }
    },
    close: () => closeHandle(engine),
  };
}

function createProperty(ctor) {
  return {
    configurable: true,
    enumerable: true,
    value: (options) => new ctor(options),
  };
}

const zlib = {
  crc32,
  Deflate,
  Inflate,
  Gzip,
  Gunzip,
  DeflateRaw,
  InflateRaw,
  Unzip,
  BrotliCompress,
  BrotliDecompress,
  deflate: convenience(Deflate, false),
  deflateSync: convenience(Deflate, true),
  gzip: convenience(Gzip, false),
  gzipSync: convenience(Gzip, true),
  deflateRaw: convenience(DeflateRaw, false),
  deflateRawSync: convenience(DeflateRaw, true),
  unzip: convenience(Unzip, false),
  unzipSync: convenience(Unzip, true),
  inflate: convenience(Inflate, false),
  inflateSync: convenience(Inflate, true),
  gunzip: convenience(Gunzip, false),
  gunzipSync: convenience(Gunzip, true),
  inflateRaw: convenience(InflateRaw, false),
  inflateRawSync: convenience(InflateRaw, true),
  brotliCompress: convenience(BrotliCompress, false),
  brotliCompressSync: convenience(BrotliCompress, true),
  brotliDecompress: convenience(BrotliDecompress, false),
  brotliDecompressSync: convenience(BrotliDecompress, true),
};

function setVernum() {
  if (vernumSet) return;
  vernumSet = true;
  const h = state.host && state.host.zlib;
  if (h && typeof h.zlibVernum === 'number') C.ZLIB_VERNUM = h.zlibVernum;
}
setVernum();

Object.defineProperties(zlib, {
  createDeflate: createProperty(Deflate),
  createInflate: createProperty(Inflate),
  createDeflateRaw: createProperty(DeflateRaw),
  createInflateRaw: createProperty(InflateRaw),
  createGzip: createProperty(Gzip),
  createGunzip: createProperty(Gunzip),
  createUnzip: createProperty(Unzip),
  createBrotliCompress: createProperty(BrotliCompress),
  createBrotliDecompress: createProperty(BrotliDecompress),
  constants: { configurable: false, enumerable: true, value: constants },
  codes: { enumerable: true, writable: false, value: Object.freeze(codes) },
});

// The deprecated copies of the zlib constants on the module itself.
for (const k of Object.keys(constants)) {
  if (k.startsWith('BROTLI')) continue;
  Object.defineProperty(zlib, k, { enumerable: false, value: constants[k], writable: false });
}

Object.defineProperty(zlib, '_webEngine', { enumerable: false, value: webEngine });

module.exports = zlib;
