// Stack traces as V8 writes them, from JavaScriptCore's.
//
// JavaScriptCore's `err.stack` is one frame a line, `fn@url:line:col`
// (`@url:...` for an anonymous function, `global code@...` for a script's
// top level, `fn@[native code]` for a built-in), without the
// `Name: message` line that V8 puts first. This module parses such a string
// into V8's CallSite objects (getFileName, getLineNumber, ...) and writes
// V8's form, `Error: boom\n    at f (file.js:3:9)\n    at file.js:5:1`.
// Frames of corral's own scripts (URLs `corral:...`) are dropped.
//
// Columns: JavaScriptCore puts a call's position at the end of its callee
// (`f(` at the parenthesis, `new Error(` likewise), a property read at its
// dot and a variable at its end; V8 puts them at the start of the callee's
// last name (or at `new`), at the property's name and at the variable's
// start. Given the source text (setSource), a frame's column is moved to
// V8's when the text at JavaScriptCore's position is one of those forms;
// otherwise it is kept. Files that the loader evaluated (absolute paths)
// have its wrapper in front of line 1, which V8's do not: its length is
// taken off their line 1 columns (source(url) gives the file without it).
//
// The inspect bundle and the runtime each carry a copy of this module.

'use strict';

// The loader's module wrapper (loader.js): line 1 of every file it
// evaluates starts with it.
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __corral_import_meta) {';

// Built-ins whose JavaScriptCore frame is `name@[native code]`, named as V8
// names them (receiver type and method).
const NATIVE_NAMES = {
  map: 'Array.map', filter: 'Array.filter', forEach: 'Array.forEach', reduce: 'Array.reduce',
  reduceRight: 'Array.reduceRight', some: 'Array.some', every: 'Array.every', find: 'Array.find',
  findIndex: 'Array.findIndex', findLast: 'Array.findLast', findLastIndex: 'Array.findLastIndex',
  flatMap: 'Array.flatMap', sort: 'Array.sort', from: 'Array.from',
  parse: 'JSON.parse', stringify: 'JSON.stringify', Promise: 'new Promise', then: 'Promise.then',
};

let sourceOf = null;
const sourceCache = new Map();

// fn(url) gives the text a frame's URL was evaluated from, or null.
function setSource(fn) {
  sourceOf = typeof fn === 'function' ? fn : null;
  sourceCache.clear();
}

function sourceLine(url, line) {
  if (!sourceOf || !url) return null;
  let lines = sourceCache.get(url);
  if (lines === undefined) {
    let text = null;
    try {
      text = sourceOf(url);
    } catch {
      text = null;
    }
    lines = typeof text === 'string' ? text.split('\n') : null;
    if (sourceCache.size > 64) sourceCache.clear();
    sourceCache.set(url, lines);
  }
  return lines && line >= 1 && line <= lines.length ? lines[line - 1] : null;
}

const isIdent = (c) => c !== undefined && /[\w$\u0080-\uffff]/.test(c);

// V8's column for JavaScriptCore's `col` (1-based) on `text`, the line.
function v8Column(text, col) {
  const i = col - 1;
  if (i < 0 || i > text.length) return col;
  if (text[i] === '.' || (text[i] === '?' && text[i + 1] === '.')) {
    let j = i + (text[i] === '?' ? 2 : 1);
    while (text[j] === ' ') j++;
    return isIdent(text[j]) ? j + 1 : col;
  }
  if (!isIdent(text[i - 1])) return col;
  let j = i;
  while (j > 0 && isIdent(text[j - 1])) j--;
  if (/^\d/.test(text[j])) return col;
  let k = j;
  while (k > 0 && text[k - 1] === ' ') k--;
  if (k >= 3 && k < j && text.slice(k - 3, k) === 'new' && !isIdent(text[k - 4])) return k - 2;
  return j + 1;
}

function adjust(file, line, col) {
  if (file.startsWith('/') && line === 1 && col > WRAPPER_HEAD.length) col -= WRAPPER_HEAD.length;
  const text = sourceLine(file, line);
  return text === null ? col : v8Column(text, col);
}

// One frame, with V8's CallSite methods.
class CallSite {
  #f;

  constructor(f) {
    this.#f = f;
  }

  getThis() { return undefined; }

  getTypeName() { return this.#f.top ? 'Object' : null; }

  getFunction() { return undefined; }

  getFunctionName() { return this.#f.name || null; }

  getMethodName() { return null; }

  getFileName() { return this.#f.file || undefined; }

  getScriptNameOrSourceURL() { return this.#f.file || undefined; }

  getScriptHash() { return ''; }

  getLineNumber() { return this.#f.line ?? null; }

  getColumnNumber() { return this.#f.column ?? null; }

  getEnclosingLineNumber() { return null; }

  getEnclosingColumnNumber() { return null; }

  getPosition() { return 0; }

  getEvalOrigin() { return this.#f.eval ? 'eval at <anonymous>' : undefined; }

  getPromiseIndex() { return null; }

  isToplevel() { return !this.#f.top; }

  isEval() { return !!this.#f.eval; }

  isNative() { return false; }

  isConstructor() { return this.#f.name === 'Promise' && this.#f.native; }

  isAsync() { return false; }

  isPromiseAll() { return false; }

  toString() {
    const f = this.#f;
    if (f.native) return `${NATIVE_NAMES[f.name] || f.name || '<anonymous>'} (<anonymous>)`;
    if (f.eval) return 'eval (<anonymous>)';
    const loc = f.file ? `${f.file}${f.line != null ? `:${f.line}:${f.column}` : ''}` : '<anonymous>';
    if (f.top) return `Object.<anonymous> (${loc})`;
    return f.name ? `${f.name} (${loc})` : loc;
  }
}

// The frames of a JavaScriptCore stack string, corral's own left out.
function parse(stack) {
  const sites = [];
  for (const raw of String(stack).split('\n')) {
    if (raw === '') continue;
    const at = raw.indexOf('@');
    const name = at < 0 ? raw : raw.slice(0, at);
    const loc = at < 0 ? '[native code]' : raw.slice(at + 1);
    if (loc.startsWith('corral:')) continue;
    const f = { name, file: null, line: null, column: null, top: false, eval: false, native: false };
    if (name === 'global code' || name === 'module code') {
      f.top = true;
      f.name = '';
    } else if (name === 'eval code') {
      f.eval = true;
      f.name = '';
    }
    if (loc === '[native code]') {
      f.native = true;
    } else {
      const m = /^(.*):(\d+):(\d+)$/.exec(loc);
      if (m) {
        f.file = m[1];
        f.line = Number(m[2]);
        f.column = adjust(m[1], f.line, Number(m[3]));
      } else if (loc) {
        f.file = loc;
      } else if (!f.eval) {
        f.native = true;
      }
    }
    sites.push(new CallSite(f));
  }
  return sites;
}

// True when s reads as a JavaScriptCore stack (and not V8's, or a user's).
function isJsc(s) {
  if (typeof s !== 'string' || s === '') return false;
  const lines = s.split('\n');
  return lines.every((l) => l === '' || l.includes('@') || l === '[native code]') && !/^\s/.test(s);
}

// V8's first line of a stack: Error.prototype.toString's result.
function header(err) {
  try {
    let name = err.name;
    let msg = err.message;
    name = name === undefined ? 'Error' : String(name);
    msg = msg === undefined ? '' : String(msg);
    if (!name) return msg;
    if (!msg) return name;
    return `${name}: ${msg}`;
  } catch {
    return '<error>';
  }
}

function format(err, sites) {
  let s = header(err);
  for (const site of sites) s += `\n    at ${site.toString()}`;
  return s;
}

// What err.stack would read as in V8, given JavaScriptCore's string, and
// Error.prepareStackTrace if it is set (its result, which may be any value).
function fromJsc(err, jsc, ErrorCtor) {
  const sites = parse(jsc);
  const prep = ErrorCtor ? ErrorCtor.prepareStackTrace : undefined;
  if (typeof prep === 'function') return prep(err, sites);
  return format(err, sites);
}

// err.stack for util.inspect: V8's form when it is JavaScriptCore's.
function inspectStack(err) {
  const s = err.stack;
  return isJsc(s) ? format(err, parse(s)) : s;
}

module.exports = { CallSite, parse, format, fromJsc, isJsc, inspectStack, setSource, header, WRAPPER_HEAD };
