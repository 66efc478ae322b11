// fs over the execution's package view (host.fs): "/" is the package root,
// read-only; "/tmp" is a small writable in-memory directory private to the
// execution. Relative paths resolve against "/". Sync, callback and promise
// forms; errors are Node's (code, errno, syscall, path) and name only
// sandbox paths. There are no symlinks, owners or permissions: every file
// reads as mode 0644 and every directory as 0755.

'use strict';

const state = require('../state.js');
const path = require('./path.js');
const { invalidArgType, invalidArgValue, nodeError, validateFunction } = require('../errors.js');

const ERRORS = {
  EPERM: [-1, 'operation not permitted'],
  ENOENT: [-2, 'no such file or directory'],
  EIO: [-5, 'i/o error'],
  EBADF: [-9, 'bad file descriptor'],
  EACCES: [-13, 'permission denied'],
  EEXIST: [-17, 'file already exists'],
  ENOTDIR: [-20, 'not a directory'],
  EISDIR: [-21, 'illegal operation on a directory'],
  EINVAL: [-22, 'invalid argument'],
  EMFILE: [-24, 'too many open files'],
  EFBIG: [-27, 'file too large'],
  ENOSPC: [-28, 'no space left on device'],
  EROFS: [-30, 'read-only file system'],
  ENOTEMPTY: [-39, 'directory not empty'],
  ENOSYS: [-38, 'function not implemented'],
};

function fsError(code, syscall, p, dest) {
  const [errno, desc] = ERRORS[code] || [-5, `${code}`.toLowerCase()];
  let msg = `${code}: ${desc}, ${syscall}`;
  if (p !== undefined) msg += ` '${p}'`;
  if (dest !== undefined) msg += ` -> '${dest}'`;
  const err = new Error(msg);
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (p !== undefined) err.path = p;
  if (dest !== undefined) err.dest = dest;
  return err;
}

function host() {
  const f = state.host && state.host.fs;
  if (!f) throw fsError('ENOSYS', 'open');
  return f;
}

function B() {
  return require('./buffer.js').Buffer;
}

// --- arguments -----------------------------------------------------------

function toPathString(p, name = 'path') {
  if (typeof p === 'string') {
    if (p.includes('\0')) throw invalidArgValue(name, p, 'must be a string, Uint8Array, or URL without null bytes');
    return p;
  }
  if (p instanceof Uint8Array) return state.host.utf8Decode(p, false);
  if (p !== null && typeof p === 'object' && typeof p.href === 'string' && typeof p.protocol === 'string') {
    if (p.protocol !== 'file:') throw nodeError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
    return require('./url.js').fileURLToPath(p);
  }
  throw invalidArgType(name, ['string', 'Buffer', 'URL'], p);
}

function abs(p) {
  return path.resolve('/', p);
}

function getOptions(options, defaults) {
  if (options === undefined || options === null || typeof options === 'function') return { ...defaults };
  if (typeof options === 'string') return { ...defaults, encoding: options };
  if (typeof options !== 'object') throw invalidArgType('options', ['string', 'Object'], options);
  return { ...defaults, ...options };
}

function checkEncoding(enc) {
  if (enc === undefined || enc === null || enc === 'buffer') return;
  if (!B().isEncoding(enc)) throw invalidArgValue('encoding', enc, 'is invalid encoding');
}

function encodeOut(bytes, encoding) {
  if (encoding === undefined || encoding === null || encoding === 'buffer') {
    return B().from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  const e = `${encoding}`.toLowerCase();
  if (e === 'utf8' || e === 'utf-8') return state.host.utf8Decode(bytes, false);
  return B().from(bytes.buffer, bytes.byteOffset, bytes.length).toString(encoding);
}

function dataBytes(data, encoding, name = 'data') {
  if (typeof data === 'string') {
    if (!encoding || /^utf-?8$/i.test(encoding)) return state.host.utf8Encode(data);
    const b = B().from(data, encoding);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw invalidArgType(name, ['string', 'Buffer', 'TypedArray', 'DataView'], data);
}

// --- Stats and Dirent ----------------------------------------------------

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

class Stats {
  constructor(st) {
    const dir = st.type === 'dir';
    const size = dir ? 4096 : st.size;
    const ms = typeof st.mtimeMs === 'number' ? st.mtimeMs : 0;
    this.dev = 0;
    this.mode = dir ? S_IFDIR | 0o755 : S_IFREG | 0o644;
    this.nlink = 1;
    this.uid = 0;
    this.gid = 0;
    this.rdev = 0;
    this.blksize = 4096;
    this.ino = 0;
    this.size = size;
    this.blocks = Math.ceil(size / 512);
    this.atimeMs = ms;
    this.mtimeMs = ms;
    this.ctimeMs = ms;
    this.birthtimeMs = ms;
    this.atime = new Date(ms);
    this.mtime = new Date(ms);
    this.ctime = new Date(ms);
    this.birthtime = new Date(ms);
  }

  isFile() { return (this.mode & S_IFMT) === S_IFREG; }
  isDirectory() { return (this.mode & S_IFMT) === S_IFDIR; }
  isSymbolicLink() { return false; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

class Dirent {
  constructor(name, type, parentPath) {
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    Object.defineProperty(this, '_type', { value: type });
  }

  isFile() { return this._type === 'file'; }
  isDirectory() { return this._type === 'dir'; }
  isSymbolicLink() { return false; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

// --- the synchronous API -------------------------------------------------

function statRaw(p) {
  return host().stat(abs(p));
}

function existsSync(p) {
  try {
    return statRaw(toPathString(p)) !== null;
  } catch {
    return false;
  }
}

function statSync(p, options = undefined) {
  const s = toPathString(p);
  const st = statRaw(s);
  if (!st) {
    if (options && options.throwIfNoEntry === false) return undefined;
    throw fsError('ENOENT', 'stat', s);
  }
  return new Stats(st);
}

function lstatSync(p, options = undefined) {
  const s = toPathString(p);
  const st = statRaw(s);
  if (!st) {
    if (options && options.throwIfNoEntry === false) return undefined;
    throw fsError('ENOENT', 'lstat', s);
  }
  return new Stats(st);
}

// Open files: a snapshot for reading, appends for writing.
const fds = new Map();
let nextFd = 3;

function getFd(fd, syscall) {
  const f = fds.get(fd);
  if (!f) throw fsError('EBADF', syscall);
  return f;
}

function readBytes(s, syscall = 'open') {
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', syscall, s);
  if (st.type === 'dir') throw fsError('EISDIR', 'read');
  const bytes = host().read(abs(s));
  if (!bytes) throw fsError('ENOENT', syscall, s);
  return bytes;
}

function readFileSync(p, options = undefined) {
  const opts = getOptions(options, { flag: 'r' });
  checkEncoding(opts.encoding);
  let bytes;
  if (typeof p === 'number') {
    if (p === 0) bytes = new Uint8Array(0);
    else {
      const f = getFd(p, 'read');
      bytes = f.bytes ? f.bytes.subarray(f.pos) : readBytes(f.path);
      f.pos += bytes.length;
    }
  } else {
    bytes = readBytes(toPathString(p));
  }
  return encodeOut(bytes, opts.encoding);
}

function writeCode(code, s, syscall = 'open') {
  if (!code) return;
  if (code === 'ENOSPC') throw fsError('ENOSPC', 'write');
  throw fsError(code, syscall, s);
}

function writeFileSync(p, data, options = undefined) {
  const opts = getOptions(options, { encoding: 'utf8', flag: 'w' });
  const bytes = dataBytes(data, opts.encoding);
  if (typeof p === 'number') {
    writeSync(p, bytes);
    return;
  }
  const s = toPathString(p);
  const flag = `${opts.flag || 'w'}`;
  const st = statRaw(s);
  if (st && st.type === 'dir') throw fsError('EISDIR', 'open', s);
  if (flag.includes('x') && st) throw fsError('EEXIST', 'open', s);
  writeCode(host().write(abs(s), bytes, flag.startsWith('a')), s);
}

function appendFileSync(p, data, options = undefined) {
  const opts = getOptions(options, { encoding: 'utf8', flag: 'a' });
  writeFileSync(p, data, { ...opts, flag: opts.flag || 'a' });
}

function listRaw(s, syscall) {
  const list = host().list(abs(s));
  if (list) return list;
  const st = statRaw(s);
  if (st && st.type === 'file') throw fsError('ENOTDIR', syscall, s);
  throw fsError('ENOENT', syscall, s);
}

function readdirSync(p, options = undefined) {
  const opts = getOptions(options, { encoding: 'utf8' });
  const s = toPathString(p);
  const out = [];
  const walk = (dir, rel) => {
    for (const name of listRaw(dir, 'scandir')) {
      const full = path.join(dir, name);
      const relName = rel ? `${rel}/${name}` : name;
      const st = opts.withFileTypes || opts.recursive ? statRaw(full) : null;
      if (opts.withFileTypes) out.push(new Dirent(name, st ? st.type : 'file', rel ? path.join(s, rel) : s));
      else out.push(opts.encoding === 'buffer' ? B().from(relName) : relName);
      if (opts.recursive && st && st.type === 'dir') walk(full, relName);
    }
  };
  walk(s, '');
  return out;
}

function mkdirSync(p, options = undefined) {
  const opts = typeof options === 'number' || typeof options === 'string' ? { mode: options } : getOptions(options, {});
  const s = toPathString(p);
  if (!opts.recursive) {
    if (statRaw(s)) throw fsError('EEXIST', 'mkdir', s);
    writeCode(host().mkdir(abs(s)), s, 'mkdir');
    return undefined;
  }
  const target = abs(s);
  let first;
  let cur = '/';
  for (const part of target.split('/').filter(Boolean)) {
    cur = path.join(cur, part);
    const st = statRaw(cur);
    if (st) {
      if (st.type !== 'dir') throw fsError(cur === target ? 'EEXIST' : 'ENOTDIR', 'mkdir', s);
      continue;
    }
    writeCode(host().mkdir(cur), s, 'mkdir');
    if (first === undefined) first = cur;
  }
  return first;
}

function removeTree(full, s) {
  const st = statRaw(full);
  if (st && st.type === 'dir') {
    for (const name of host().list(full) || []) removeTree(path.join(full, name), s);
  }
  writeCode(host().remove(full), s, 'rm');
}

function rmSync(p, options = undefined) {
  const opts = getOptions(options, {});
  const s = toPathString(p);
  const st = statRaw(s);
  if (!st) {
    if (opts.force) return;
    throw fsError('ENOENT', 'lstat', s);
  }
  if (st.type === 'dir') {
    if (!opts.recursive) {
      const err = new Error(`Path is a directory: rm returned EISDIR (is a directory) ${s}`);
      err.code = 'ERR_FS_EISDIR';
      err.errno = 21;
      err.syscall = 'rm';
      err.path = s;
      throw err;
    }
    removeTree(abs(s), s);
    return;
  }
  writeCode(host().remove(abs(s)), s, 'rm');
}

function rmdirSync(p, options = undefined) {
  const opts = getOptions(options, {});
  const s = toPathString(p);
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', 'rmdir', s);
  if (st.type !== 'dir') throw fsError('ENOTDIR', 'rmdir', s);
  if (opts.recursive) {
    removeTree(abs(s), s);
    return;
  }
  const list = host().list(abs(s)) || [];
  if (list.length) throw fsError('ENOTEMPTY', 'rmdir', s);
  writeCode(host().remove(abs(s)), s, 'rmdir');
}

function unlinkSync(p) {
  const s = toPathString(p);
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', 'unlink', s);
  if (st.type === 'dir') throw fsError('EISDIR', 'unlink', s);
  writeCode(host().remove(abs(s)), s, 'unlink');
}

function copyTree(from, to, s, d, syscall) {
  const st = statRaw(from);
  if (st.type === 'dir') {
    if (!statRaw(to)) writeCode(host().mkdir(to), d, 'mkdir');
    for (const name of host().list(from) || []) copyTree(path.join(from, name), path.join(to, name), s, d, syscall);
    return;
  }
  const bytes = host().read(from);
  const code = host().write(to, bytes || new Uint8Array(0), false);
  if (code === 'ENOSPC') throw fsError('ENOSPC', 'write');
  if (code) throw fsError(code, syscall, s, d);
}

function renameSync(oldPath, newPath) {
  const s = toPathString(oldPath, 'oldPath');
  const d = toPathString(newPath, 'newPath');
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', 'rename', s, d);
  if (abs(s) === abs(d)) return;
  if (!abs(s).startsWith('/tmp/') || !abs(d).startsWith('/tmp/')) throw fsError('EROFS', 'rename', s, d);
  copyTree(abs(s), abs(d), s, d, 'rename');
  removeTree(abs(s), s);
}

function copyFileSync(src, dest, mode = 0) {
  const s = toPathString(src, 'src');
  const d = toPathString(dest, 'dest');
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', 'copyfile', s, d);
  if (st.type === 'dir') throw fsError('EISDIR', 'copyfile', s, d);
  if ((mode & 1) && statRaw(d)) throw fsError('EEXIST', 'copyfile', s, d);
  copyTree(abs(s), abs(d), s, d, 'copyfile');
}

function cpSync(src, dest, options = undefined) {
  const opts = getOptions(options, {});
  const s = toPathString(src, 'src');
  const d = toPathString(dest, 'dest');
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', 'lstat', s);
  if (st.type === 'dir' && !opts.recursive) {
    const err = new Error(`Recursive option is required to copy a directory: ${s}`);
    err.code = 'ERR_FS_EISDIR';
    throw err;
  }
  if (opts.errorOnExist && opts.force === false && statRaw(d)) throw fsError('EEXIST', 'cp', d);
  copyTree(abs(s), abs(d), s, d, 'cp');
}

const F_OK = 0;
const R_OK = 4;
const W_OK = 2;
const X_OK = 1;

function inTmp(s) {
  const a = abs(s);
  return a === '/tmp' || a.startsWith('/tmp/');
}

function accessSync(p, mode = F_OK) {
  const s = toPathString(p);
  const st = statRaw(s);
  if (!st) throw fsError('ENOENT', 'access', s);
  if ((mode & W_OK) && !inTmp(s)) throw fsError('EROFS', 'access', s);
  if ((mode & X_OK) && st.type !== 'dir') throw fsError('EACCES', 'access', s);
}

function realpathSync(p, options = undefined) {
  const s = toPathString(p);
  if (!statRaw(s)) throw fsError('ENOENT', 'lstat', s);
  const r = abs(s);
  const opts = getOptions(options, {});
  return opts.encoding === 'buffer' ? B().from(r) : r;
}
realpathSync.native = realpathSync;

function readlinkSync(p) {
  const s = toPathString(p);
  if (!statRaw(s)) throw fsError('ENOENT', 'readlink', s);
  throw fsError('EINVAL', 'readlink', s);
}

function onlyInTmp(syscall) {
  return function (p) {
    const s = toPathString(p);
    if (!statRaw(s)) throw fsError('ENOENT', syscall, s);
    if (!inTmp(s)) throw fsError('EROFS', syscall, s);
  };
}
const chmodSync = onlyInTmp('chmod');
const chownSync = onlyInTmp('chown');
const utimesSync = onlyInTmp('utime');
const lchownSync = chownSync;
const lutimesSync = utimesSync;

function linkSync(existing, p) {
  const s = toPathString(existing, 'existingPath');
  const d = toPathString(p, 'newPath');
  throw fsError(inTmp(d) ? 'EPERM' : 'EROFS', 'link', s, d);
}

function symlinkSync(target, p) {
  const s = toPathString(target, 'target');
  const d = toPathString(p);
  throw fsError(inTmp(d) ? 'EPERM' : 'EROFS', 'symlink', s, d);
}

function truncateSync(p, len = 0) {
  const s = toPathString(p);
  const bytes = readBytes(s);
  const out = new Uint8Array(Math.max(0, len));
  out.set(bytes.subarray(0, out.length));
  writeCode(host().write(abs(s), out, false), s);
}

function mkdtempSync(prefix, options = undefined) {
  const s = toPathString(prefix, 'prefix');
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const { randomBytes } = require('../web/crypto.js');
  for (let tries = 0; tries < 100; tries++) {
    const r = randomBytes(6);
    let name = s;
    for (const b of r) name += chars[b % chars.length];
    if (!statRaw(name)) {
      writeCode(host().mkdir(abs(name)), name, 'mkdtemp');
      const opts = getOptions(options, {});
      return opts.encoding === 'buffer' ? B().from(name) : name;
    }
  }
  throw fsError('EEXIST', 'mkdtemp', `${s}XXXXXX`);
}

function parseFlags(flags) {
  if (typeof flags === 'number') {
    const acc = flags & 3;
    if (acc === 0) return 'r';
    return flags & 1024 ? 'a' : 'w';
  }
  return `${flags}`;
}

function openSync(p, flags = 'r', mode = undefined) {
  void mode;
  const s = toPathString(p);
  const f = parseFlags(flags);
  const st = statRaw(s);
  if (f.startsWith('r')) {
    if (!st) throw fsError('ENOENT', 'open', s);
    if (st.type === 'dir' && f !== 'r') throw fsError('EISDIR', 'open', s);
  } else {
    if (f.includes('x') && st) throw fsError('EEXIST', 'open', s);
    if (st && st.type === 'dir') throw fsError('EISDIR', 'open', s);
    if (f.startsWith('w') || !st) writeCode(host().write(abs(s), new Uint8Array(0), f.startsWith('a')), s);
  }
  const fd = nextFd++;
  fds.set(fd, {
    path: s,
    flags: f,
    pos: 0,
    bytes: f.startsWith('r') && st && st.type === 'file' ? host().read(abs(s)) : null,
  });
  return fd;
}

function closeSync(fd) {
  if (!fds.delete(fd)) throw fsError('EBADF', 'close');
}

function fstatSync(fd) {
  const f = getFd(fd, 'fstat');
  return statSync(f.path);
}

function readSync(fd, buffer, offsetOrOptions, length, position) {
  const f = getFd(fd, 'read');
  let offset = offsetOrOptions;
  if (offsetOrOptions !== null && typeof offsetOrOptions === 'object') {
    ({ offset = 0, length = buffer.byteLength - offset, position = null } = offsetOrOptions);
  }
  if (offset === undefined) offset = 0;
  if (length === undefined) length = buffer.byteLength - offset;
  if (!f.bytes) f.bytes = readBytes(f.path, 'read');
  const start = typeof position === 'number' && position >= 0 ? position : f.pos;
  const chunk = f.bytes.subarray(start, start + length);
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).set(chunk, offset);
  if (!(typeof position === 'number' && position >= 0)) f.pos += chunk.length;
  return chunk.length;
}

function writeSync(fd, data, offsetOrEncoding, length, position) {
  void position;
  let bytes;
  if (typeof data === 'string') {
    bytes = dataBytes(data, typeof length === 'string' ? length : typeof offsetOrEncoding === 'string' ? offsetOrEncoding : 'utf8');
  } else {
    bytes = dataBytes(data, undefined, 'buffer');
    const off = typeof offsetOrEncoding === 'number' ? offsetOrEncoding : 0;
    const len = typeof length === 'number' ? length : bytes.length - off;
    bytes = bytes.subarray(off, off + len);
  }
  if (fd === 1 || fd === 2) {
    const proc = require('./process.js').get();
    (fd === 1 ? proc.stdout : proc.stderr).write(B().from(bytes.buffer, bytes.byteOffset, bytes.length));
    return bytes.length;
  }
  const f = getFd(fd, 'write');
  if (f.flags.startsWith('r') && !f.flags.includes('+')) throw fsError('EBADF', 'write');
  writeCode(host().write(abs(f.path), bytes, true), f.path, 'write');
  f.pos += bytes.length;
  return bytes.length;
}

function fsyncSync(fd) {
  getFd(fd, 'fsync');
}

// --- callbacks and promises ----------------------------------------------

function later(fn) {
  state.queueMicrotask(fn);
}

function callbackify(name, sync, results = 1) {
  return {
    [name](...args) {
      const cb = args.pop();
      validateFunction(cb, 'cb');
      let value;
      try {
        value = sync(...args);
      } catch (err) {
        later(() => cb(err));
        return;
      }
      if (results === 0) later(() => cb(null));
      else later(() => cb(null, value));
    },
  }[name];
}

function promiseify(sync) {
  return (...args) => {
    try {
      return Promise.resolve(sync(...args));
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

const SYNC = {
  access: accessSync,
  appendFile: appendFileSync,
  chmod: chmodSync,
  chown: chownSync,
  copyFile: copyFileSync,
  cp: cpSync,
  lchown: lchownSync,
  link: linkSync,
  lstat: lstatSync,
  lutimes: lutimesSync,
  mkdir: mkdirSync,
  mkdtemp: mkdtempSync,
  readFile: readFileSync,
  readdir: readdirSync,
  readlink: readlinkSync,
  realpath: realpathSync,
  rename: renameSync,
  rm: rmSync,
  rmdir: rmdirSync,
  stat: statSync,
  symlink: symlinkSync,
  truncate: truncateSync,
  unlink: unlinkSync,
  utimes: utimesSync,
  writeFile: writeFileSync,
};
const NO_RESULT = new Set(['access', 'appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'lchown', 'link', 'lutimes',
  'rename', 'rm', 'rmdir', 'symlink', 'truncate', 'unlink', 'utimes', 'writeFile']);

const fs = {
  constants: {
    F_OK, R_OK, W_OK, X_OK,
    O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 64, O_EXCL: 128, O_NOCTTY: 256, O_TRUNC: 512, O_APPEND: 1024,
    O_DIRECTORY: 65536, O_NOFOLLOW: 131072, O_SYNC: 1052672, O_DSYNC: 4096,
    S_IFMT, S_IFREG, S_IFDIR, S_IFCHR: 0o020000, S_IFBLK: 0o060000, S_IFIFO: 0o010000, S_IFLNK: 0o120000, S_IFSOCK: 0o140000,
    S_IRWXU: 448, S_IRUSR: 256, S_IWUSR: 128, S_IXUSR: 64, S_IRWXG: 56, S_IRGRP: 32, S_IWGRP: 16, S_IXGRP: 8,
    S_IRWXO: 7, S_IROTH: 4, S_IWOTH: 2, S_IXOTH: 1,
    COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4, UV_FS_COPYFILE_EXCL: 1,
  },
  F_OK, R_OK, W_OK, X_OK,
  Stats,
  Dirent,
  existsSync,
  openSync,
  closeSync,
  readSync,
  writeSync,
  fstatSync,
  fsyncSync,
  fdatasyncSync: fsyncSync,
};
for (const [name, sync] of Object.entries(SYNC)) {
  fs[`${name}Sync`] = sync;
  fs[name] = callbackify(name, sync, NO_RESULT.has(name) ? 0 : 1);
}
fs.realpath.native = fs.realpath;
fs.exists = function exists(p, cb) {
  validateFunction(cb, 'cb');
  const r = existsSync(p);
  later(() => cb(r));
};
Object.defineProperty(fs.exists, Symbol.for('nodejs.util.promisify.custom'), {
  value: (p) => Promise.resolve(existsSync(p)), configurable: true,
});
fs.open = function open(p, flags, mode, cb) {
  if (typeof flags === 'function') [flags, mode, cb] = ['r', undefined, flags];
  else if (typeof mode === 'function') [mode, cb] = [undefined, mode];
  return callbackify('open', openSync)(p, flags, mode, cb);
};
fs.close = function close(fd, cb = () => {}) {
  return callbackify('close', closeSync, 0)(fd, cb);
};
fs.fstat = callbackify('fstat', fstatSync);
fs.fsync = callbackify('fsync', fsyncSync, 0);
fs.fdatasync = fs.fsync;
fs.read = function read(fd, buffer, offset, length, position, cb) {
  if (typeof buffer === 'function') {
    cb = buffer;
    buffer = B().alloc(16384);
    offset = 0;
    length = buffer.length;
    position = null;
  } else if (typeof offset === 'function') {
    cb = offset;
    offset = undefined;
  }
  validateFunction(cb, 'cb');
  let n;
  try {
    n = readSync(fd, buffer, offset, length, position);
  } catch (err) {
    later(() => cb(err));
    return;
  }
  later(() => cb(null, n, buffer));
};
fs.write = function write(fd, data, ...rest) {
  const cb = rest.pop();
  validateFunction(cb, 'cb');
  let n;
  try {
    n = writeSync(fd, data, ...rest);
  } catch (err) {
    later(() => cb(err));
    return;
  }
  later(() => cb(null, n, data));
};
fs.watch = fs.watchFile = fs.unwatchFile = function watch() {
  throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', 'fs.watch is not supported in corral: the package does not change');
};
fs.createReadStream = function createReadStream(p, options = undefined) {
  const { Readable } = require('./stream.js');
  const opts = getOptions(options, {});
  const s = toPathString(p);
  const hwm = opts.highWaterMark || 64 * 1024;
  let bytes = null;
  let pos = opts.start || 0;
  const end = opts.end === undefined || opts.end === Infinity ? Infinity : opts.end + 1;
  const stream = new Readable({
    highWaterMark: hwm,
    encoding: opts.encoding,
    read() {
      try {
        if (!bytes) bytes = readBytes(s);
      } catch (err) {
        this.destroy(err);
        return;
      }
      const stop = Math.min(bytes.length, end);
      if (pos >= stop) {
        this.push(null);
        return;
      }
      const n = Math.min(hwm, stop - pos);
      this.push(B().from(bytes.subarray(pos, pos + n)));
      stream.bytesRead += n;
      pos += n;
    },
  });
  stream.path = s;
  stream.bytesRead = 0;
  stream.pending = false;
  stream.close = (cb) => {
    stream.destroy();
    if (typeof cb === 'function') later(() => cb(null));
  };
  later(() => {
    if (!statRaw(s)) {
      stream.destroy(fsError('ENOENT', 'open', s));
      return;
    }
    stream.emit('open', 3);
    stream.emit('ready');
  });
  return stream;
};
fs.createWriteStream = function createWriteStream(p, options = undefined) {
  const { Writable } = require('./stream.js');
  const opts = getOptions(options, { flags: 'w' });
  const s = toPathString(p);
  let opened = false;
  const stream = new Writable({
    decodeStrings: true,
    write(chunk, encoding, cb) {
      try {
        if (!opened) {
          opened = true;
          writeCode(host().write(abs(s), new Uint8Array(0), `${opts.flags}`.startsWith('a')), s);
        }
        writeCode(host().write(abs(s), dataBytes(chunk, encoding, 'chunk'), true), s, 'write');
        stream.bytesWritten += chunk.length;
        cb();
      } catch (err) {
        cb(err);
      }
    },
    final(cb) {
      try {
        if (!opened) {
          opened = true;
          writeCode(host().write(abs(s), new Uint8Array(0), `${opts.flags}`.startsWith('a')), s);
        }
        cb();
      } catch (err) {
        cb(err);
      }
    },
  });
  stream.path = s;
  stream.bytesWritten = 0;
  stream.close = (cb) => {
    stream.end();
    if (typeof cb === 'function') stream.once('finish', () => cb(null));
  };
  return stream;
};

// fs.promises and FileHandle.
class FileHandle {
  #fd;
  constructor(fd) {
    this.#fd = fd;
  }
  get fd() { return this.#fd; }
  readFile(options) { return promiseify(readFileSync)(this.#fd, options); }
  writeFile(data, options) { return promiseify(writeFileSync)(this.#fd, data, options); }
  appendFile(data, options) { return promiseify(writeFileSync)(this.#fd, data, options); }
  read(buffer = B().alloc(16384), offset = 0, length = buffer.byteLength - offset, position = null) {
    return promiseify(() => ({ bytesRead: readSync(this.#fd, buffer, offset, length, position), buffer }))();
  }
  write(data, ...rest) {
    return promiseify(() => ({ bytesWritten: writeSync(this.#fd, data, ...rest), buffer: data }))();
  }
  stat() { return promiseify(fstatSync)(this.#fd); }
  sync() { return Promise.resolve(); }
  datasync() { return Promise.resolve(); }
  close() {
    if (!fds.has(this.#fd)) return Promise.resolve();
    return promiseify(closeSync)(this.#fd);
  }
  [Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose')]() { return this.close(); }
}

const promises = { constants: fs.constants };
for (const [name, sync] of Object.entries(SYNC)) {
  promises[name] = promiseify(NO_RESULT.has(name) ? (...a) => { sync(...a); } : sync);
}
promises.open = (p, flags, mode) => promiseify(() => new FileHandle(openSync(p, flags, mode)))();
promises.opendir = () => Promise.reject(nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', 'fs.promises.opendir is not supported in corral; use readdir'));
promises.watch = () => {
  throw nodeError(Error, 'ERR_CORRAL_UNSUPPORTED', 'fs.watch is not supported in corral: the package does not change');
};
promises.FileHandle = FileHandle;
fs.promises = promises;

module.exports = fs;
