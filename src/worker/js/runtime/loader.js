// CommonJS for the package an execution runs in, after Node's algorithm
// (https://nodejs.org/api/modules.html#all-together), over the host's view
// of the package (host.fs; "/" is the package root).
//
// - Builtins first (node:NAME must be one); then relative and absolute paths
//   as files (exact, then with .js .json .ts .tsx .mjs .cjs .mts .cts .jsx),
//   then as directories (package.json "main", then index.*); then bare names
//   in node_modules directories from the requiring file's directory up to
//   "/", honouring package.json "exports" (conditions require, node,
//   default, import).
// - A TypeScript-style import of "./x.js" finds "./x.ts" when there is no
//   "./x.js".
// - .ts/.tsx/.mts/.cts files, .mjs files, .js files of a package whose
//   package.json says "type": "module", and .js files that use import/export
//   syntax, dynamic import() or import.meta are compiled to CommonJS by
//   host.transpile (sucrase, in the engine's tools context), cached by the
//   hash of their content for the life of the context.
// - Each file is evaluated by host.evaluate as a script defining the usual
//   wrapper function, with its sandbox path as the script's URL; line
//   numbers are the file's own.
// - Cycles give the partial exports of a module still loading, as in Node.
// - require.cache is this context's module cache, keyed by path.

'use strict';

const state = require('./state.js');
const builtins = require('./builtins.js');
const path = require('./node/path.js');
const { nodeError, invalidArgType, invalidArgValue } = require('./errors.js');

const EXTENSIONS = ['.js', '.json', '.ts', '.tsx', '.mjs', '.cjs', '.mts', '.cts', '.jsx'];
const TS_FOR_JS = { '.js': ['.ts', '.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'], '.jsx': ['.tsx'] };
const CONDITIONS = ['require', 'node', 'default', 'import'];

const cache = Object.create(null);
const packageJsonCache = new Map();
const transpiled = new Map();
let mainModule = null;

function fs() {
  const f = state.host && state.host.fs;
  if (!f) throw new Error('corral: this context has no package file system');
  return f;
}

function statType(p) {
  const st = fs().stat(p);
  return st ? st.type : null;
}

function isFile(p) {
  return statType(p) === 'file';
}

function readText(p) {
  const bytes = fs().read(p);
  if (bytes === null || bytes === undefined) return null;
  let s = state.host.utf8Decode(bytes, false);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s;
}

function readPackageJson(dir) {
  const file = path.join(dir, 'package.json');
  if (packageJsonCache.has(file)) return packageJsonCache.get(file);
  let pkg = null;
  if (isFile(file)) {
    const text = readText(file);
    try {
      pkg = JSON.parse(text);
    } catch (e) {
      const err = new Error(`Invalid package config ${file}: ${e.message}`);
      err.code = 'ERR_INVALID_PACKAGE_CONFIG';
      throw err;
    }
    if (pkg === null || typeof pkg !== 'object') pkg = {};
  }
  packageJsonCache.set(file, pkg);
  return pkg;
}

// The "type" of the nearest package.json above `file`.
function packageType(file) {
  let dir = path.dirname(file);
  for (;;) {
    const pkg = readPackageJson(dir);
    if (pkg) return pkg.type === 'module' ? 'module' : 'commonjs';
    if (dir === '/') return 'commonjs';
    dir = path.dirname(dir);
  }
}

function tryFile(p) {
  if (isFile(p)) return p;
  for (const ext of EXTENSIONS) if (isFile(p + ext)) return p + ext;
  const ext = path.extname(p);
  const alts = TS_FOR_JS[ext];
  if (alts) {
    const stem = p.slice(0, -ext.length);
    for (const alt of alts) if (isFile(stem + alt)) return stem + alt;
  }
  return null;
}

function tryIndex(dir) {
  for (const ext of EXTENSIONS) {
    const p = path.join(dir, `index${ext}`);
    if (isFile(p)) return p;
  }
  return null;
}

function tryDirectory(dir) {
  if (statType(dir) !== 'dir') return null;
  const pkg = readPackageJson(dir);
  if (pkg && typeof pkg.main === 'string' && pkg.main) {
    const m = path.resolve(dir, pkg.main);
    const found = tryFile(m) || (statType(m) === 'dir' ? tryIndex(m) : null);
    if (found) return found;
  }
  return tryIndex(dir);
}

function resolveTarget(target, pkgDir, star) {
  if (typeof target === 'string') {
    const t = star === undefined ? target : target.split('*').join(star);
    if (!t.startsWith('./')) return null;
    return path.resolve(pkgDir, t);
  }
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = resolveTarget(t, pkgDir, star);
      if (r) return r;
    }
    return null;
  }
  if (target !== null && typeof target === 'object') {
    for (const c of CONDITIONS) {
      if (Object.prototype.hasOwnProperty.call(target, c)) {
        const r = resolveTarget(target[c], pkgDir, star);
        if (r) return r;
      }
    }
  }
  return null;
}

// package.json "exports" for `subpath` ('.' or './x'); undefined when the
// package has no "exports", null when the subpath is not exported.
function resolveExports(pkgDir, pkg, subpath) {
  let exp = pkg.exports;
  if (exp === undefined || exp === null) return undefined;
  const isSubpathMap = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
  if (!isSubpathMap) exp = { '.': exp };
  if (Object.prototype.hasOwnProperty.call(exp, subpath)) return resolveTarget(exp[subpath], pkgDir);
  let best = null;
  for (const key of Object.keys(exp)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      if (!best || prefix.length > best.prefix.length) best = { key, prefix, star: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  if (best) return resolveTarget(exp[best.key], pkgDir, best.star);
  return null;
}

function nodeModulePaths(from) {
  const out = [];
  let dir = path.resolve('/', from);
  for (;;) {
    if (path.basename(dir) !== 'node_modules') out.push(path.join(dir, 'node_modules'));
    if (dir === '/') break;
    dir = path.dirname(dir);
  }
  return out;
}

function notFound(request, parent) {
  const stack = [];
  for (let m = parent; m; m = m.parent) if (m.filename) stack.push(m.filename);
  let msg = `Cannot find module '${request}'`;
  if (stack.length) msg += `\nRequire stack:\n- ${stack.join('\n- ')}`;
  const err = new Error(msg);
  err.code = 'MODULE_NOT_FOUND';
  err.requireStack = stack;
  return err;
}

function resolveFilename(request, parent) {
  const fromDir = parent && parent.filename ? path.dirname(parent.filename) : parent ? parent.path : '/';
  if (request === '.' || request === '..' || request.startsWith('./') || request.startsWith('../') || request.startsWith('/')) {
    const base = path.resolve(fromDir, request);
    const found = (request.endsWith('/') ? null : tryFile(base)) || tryDirectory(base);
    if (found) return found;
    throw notFound(request, parent);
  }
  const parts = request.split('/');
  const pkgName = request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const sub = request.slice(pkgName.length);
  for (const dir of nodeModulePaths(fromDir)) {
    const pkgDir = path.join(dir, pkgName);
    if (statType(pkgDir) !== 'dir') continue;
    const pkg = readPackageJson(pkgDir);
    if (pkg) {
      const r = resolveExports(pkgDir, pkg, `.${sub}`);
      if (r === null) {
        const err = new Error(`Package subpath '.${sub}' is not defined by "exports" in ${pkgDir}/package.json`);
        err.code = 'ERR_PACKAGE_PATH_NOT_EXPORTED';
        throw err;
      }
      if (r !== undefined) {
        if (isFile(r)) return r;
        throw notFound(request, parent);
      }
    }
    const base = path.join(dir, request);
    const found = (request.endsWith('/') ? null : tryFile(base)) || tryDirectory(base);
    if (found) return found;
  }
  throw notFound(request, parent);
}

// --- compiling ---------------------------------------------------------

const ESM_SYNTAX = /(?:^|[\n;{}])[ \t]*(?:import[ \t]*(?:[\w$*{]|["'])|export[ \t]*(?:[{*]|default\b|const\b|let\b|var\b|function\b|class\b|async\b|type\b|interface\b|enum\b))/;
const DYNAMIC_IMPORT = /\bimport\s*(?:\(|\.meta\b)/;

function hashKey(text) {
  const bytes = state.host.utf8Encode(text);
  const d = new Uint8Array(state.host.digest('SHA-1', bytes));
  let s = '';
  for (let i = 0; i < d.length; i++) s += (d[i] < 16 ? '0' : '') + d[i].toString(16);
  return s;
}

function transpile(source, filename, typescript) {
  const host = state.host;
  if (!host || typeof host.transpile !== 'function') {
    throw new SyntaxError(`${filename}: ES module and TypeScript files need host.transpile, which this context does not have`);
  }
  const key = `${typescript ? 'ts' : 'js'}:${/\.[jt]sx$/.test(filename) ? 'x' : ''}:${hashKey(source)}`;
  const hit = transpiled.get(key);
  if (hit !== undefined) return hit;
  const code = host.transpile(source, filename, { typescript });
  transpiled.set(key, code);
  return code;
}

// What the lexer finds in a file (host.moduleSyntax: tokens, so an
// "import(" in a comment or a string is no reason to transpile a bundle):
// 1 import/export statements, 2 import() or import.meta; without the host
// function, or where the lexer could not follow the file, the patterns.
function moduleSyntax(source) {
  const host = state.host;
  const bits = host && typeof host.moduleSyntax === 'function' ? host.moduleSyntax(source) : 4;
  if (!(bits & 4)) return bits;
  return (ESM_SYNTAX.test(source) ? 1 : 0) | (DYNAMIC_IMPORT.test(source) ? 2 : 0);
}

function needsTranspile(filename, source) {
  const ext = path.extname(filename);
  if (ext === '.ts' || ext === '.tsx' || ext === '.mts' || ext === '.cts') return 'ts';
  if (ext === '.mjs' || ext === '.jsx') return 'js';
  // Cheap first: a file without the words needs no lexing.
  if (!source.includes('import') && !source.includes('export')) {
    return ext !== '.cjs' && packageType(filename) === 'module' ? 'js' : null;
  }
  const bits = moduleSyntax(source);
  if (ext === '.cjs') return bits & 2 ? 'js' : null;
  if (bits) return 'js';
  if (packageType(filename) === 'module') return 'js';
  return null;
}

const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __corral_import_meta) {';

function evaluate(source, filename) {
  const host = state.host;
  if (host && typeof host.evaluate === 'function') return host.evaluate(source, filename);
  throw new Error('corral: this context cannot evaluate module files (host.evaluate is missing)');
}

function compile(module, filename) {
  const ext = path.extname(filename);
  const text = readText(filename);
  if (text === null) throw notFound(filename, module.parent);
  if (ext === '.json') {
    try {
      module.exports = JSON.parse(text);
    } catch (e) {
      e.message = `${filename}: ${e.message}`;
      throw e;
    }
    return;
  }
  let source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
  const kind = needsTranspile(filename, source);
  if (kind) {
    source = transpile(source, filename, kind === 'ts');
    if (source.includes('import.meta')) source = source.replace(/\bimport\.meta\b/g, '__corral_import_meta');
  }
  const fn = evaluate(`${WRAPPER_HEAD}${source}\n})`, filename);
  const dirname = path.dirname(filename);
  const require = makeRequire(module);
  const meta = {
    url: `file://${encodeURI(filename)}`,
    filename,
    dirname,
    resolve: (specifier) => `file://${encodeURI(require.resolve(specifier))}`,
  };
  fn.call(module.exports, module.exports, require, module, filename, dirname, meta);
}

// --- modules -----------------------------------------------------------

class Module {
  constructor(id = '', parent = undefined) {
    this.id = id;
    this.path = id === '.' ? '/' : path.dirname(id || '/');
    this.exports = {};
    this.filename = null;
    this.loaded = false;
    this.children = [];
    this.paths = nodeModulePaths(this.path);
    Object.defineProperty(this, 'parent', { value: parent, writable: true, configurable: true, enumerable: false });
    if (parent && parent.children) parent.children.push(this);
  }

  require(id) {
    return makeRequire(this)(id);
  }
}

Module._cache = cache;
Module._extensions = { '.js': true, '.json': true, '.ts': true, '.mjs': true, '.cjs': true };
Module.builtinModules = builtins.builtinModules;
Module.isBuiltin = (name) => {
  try {
    return builtins.builtinName(`${name}`) !== null;
  } catch {
    return false;
  }
};
Module.createRequire = (filename) => {
  let f = filename;
  if (f !== null && typeof f === 'object' && typeof f.href === 'string') f = f.href;
  if (typeof f !== 'string') throw invalidArgType('filename', ['string', 'URL'], filename);
  if (f.startsWith('file://')) f = decodeURIComponent(new (require('./web/url.js').URL)(f).pathname);
  if (!f.startsWith('/')) throw invalidArgValue('filename', filename, 'must be a file URL object, file URL string, or absolute path string');
  const m = new Module(f, null);
  m.filename = f;
  m.paths = nodeModulePaths(path.dirname(f));
  return makeRequire(m);
};
Module.wrap = (script) => `${WRAPPER_HEAD}${script}\n})`;
Module.Module = Module;
builtins.provide('module', Module);

function loadModule(request, parent) {
  const name = builtins.builtinName(request);
  if (name !== null) return builtins.load(name);
  const filename = resolveFilename(request, parent);
  const cached = cache[filename];
  if (cached) {
    if (parent && parent.children && !parent.children.includes(cached)) parent.children.push(cached);
    return cached.exports;
  }
  const module = new Module(filename, parent);
  module.filename = filename;
  cache[filename] = module;
  let threw = true;
  try {
    compile(module, filename);
    threw = false;
  } finally {
    if (threw) {
      delete cache[filename];
      if (parent && parent.children) {
        const i = parent.children.indexOf(module);
        if (i >= 0) parent.children.splice(i, 1);
      }
    }
  }
  module.loaded = true;
  return module.exports;
}

function makeRequire(module) {
  const require = function require(id) {
    if (typeof id !== 'string') throw invalidArgType('id', 'string', id);
    if (id === '') throw invalidArgValue('id', id, 'must be a non-empty string');
    return loadModule(id, module);
  };
  require.resolve = function resolve(request, options) {
    if (typeof request !== 'string') throw invalidArgType('request', 'string', request);
    const name = builtins.builtinName(request);
    if (name !== null) return request;
    if (options && Array.isArray(options.paths)) {
      for (const p of options.paths) {
        try {
          const m = new Module(path.join(path.resolve('/', p), 'index.js'), null);
          m.filename = m.id;
          return resolveFilename(request, m);
        } catch (e) {
          if (e.code !== 'MODULE_NOT_FOUND') throw e;
        }
      }
      throw notFound(request, module);
    }
    return resolveFilename(request, module);
  };
  require.resolve.paths = function paths(request) {
    if (builtins.builtinName(request) !== null) return null;
    return nodeModulePaths(module.filename ? path.dirname(module.filename) : module.path);
  };
  require.main = mainModule;
  require.cache = cache;
  require.extensions = Module._extensions;
  return require;
}

// The main module of code mode: /main.js in the package root.
function main() {
  if (!mainModule) {
    mainModule = new Module('.', null);
    mainModule.filename = '/main.js';
    mainModule.paths = nodeModulePaths('/');
    cache['/main.js'] = mainModule;
  }
  return mainModule;
}

// A require() for the file `filename` of the package (function mode).
function requireFor(filename) {
  return Module.createRequire(filename);
}

// Loads the package file `filename` as the main module (function mode).
function runMain(filename) {
  const m = main();
  m.id = '.';
  m.filename = filename;
  m.path = path.dirname(filename);
  m.paths = nodeModulePaths(m.path);
  delete cache['/main.js'];
  cache[filename] = m;
  compile(m, filename);
  m.loaded = true;
  return m.exports;
}

module.exports = { Module, main, makeRequire, requireFor, runMain, resolveFilename, loadModule, nodeModulePaths, cache };
