#!/usr/bin/env node
// Builds the JavaScript that corral embeds in its binary. Each entry of
// ENTRIES below, a module in src/worker/js/, is bundled with esbuild and wrapped as a
// script whose completion value is the module's exports object; the scripts
// are written as C string constants into one generated C file.
//
// Usage: node scripts/build-js.mjs OUTPUT.c SOURCE-ROOT [--emit-js DIR] [--depfile FILE]
//
//   --emit-js DIR   also write each wrapped script as DIR/NAME.js
//   --depfile FILE  also write a Makefile-style list of every input file
//
// The output file is only rewritten when its content changes. Any error ends
// the build with a message on stderr and exit status 1.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The inspect bundle reads the free variable URL (only to show file paths in
// coloured stacks). A class that looks the global up when it is used, not
// when the bundle is evaluated: reading globalThis.URL early would load the
// runtime (see RUNTIME_GLOBALS below) in every context that prints an object.
const LAZY_URL = 'var URL=class URL{constructor(i,b){var G=globalThis.URL;'
  + "if(typeof G!=='function'||G===URL)throw new TypeError('URL is not available');return new G(i,b)}};";

// npm modules of the runtime that read a free `process`: they get the
// runtime's own process object, from inside the bundle.
const RUNTIME_PROCESS = 'var process=require("corral:process");';

// A mock of the host object the C side passes to the runtime's install(),
// for the smoke run: enough for install() itself, which reads nothing.
const SMOKE_HOST = `({randomFill(u){return u},digest(){return new ArrayBuffer(32)},now(){return 0},timeOrigin:0,
  utf8Encode(s){return new Uint8Array(0)},utf8Decode(){return ''},transpile(s){return s},env:{},
  fs:{read(){return null},stat(){return null},list(){return null},write(){return 'EROFS'},remove(){return 'EROFS'},mkdir(){return 'EROFS'}}})`;

// sucrase's keyword table is a 9,000-element Int32Array literal whose items
// are expressions; JavaScriptCore spends ~100 ms and ~160 MB compiling it.
// The same table as a literal of plain numbers, computed here from sucrase's
// own CommonJS build, costs ~2 ms.
function sucraseWordTree(root) {
  const req = createRequire(path.join(root, 'package.json'));
  const { READ_WORD_TREE } = req('sucrase/dist/parser/tokenizer/readWordTree.js');
  return `export const READ_WORD_TREE = new Int32Array([${Array.from(READ_WORD_TREE).join(',')}]);\n`;
}

// node-inspect-extracted 3.3.3 (minified), edited for corral where it
// differs from Node 20, with LAZY_URL in front:
// - an error's `stack` is read through stack.js (inspectStack), so that
//   JavaScriptCore's frames print in V8's form, as Node prints them;
// - getPrefix shows the tag of a subclass whose name contains it, as
//   Node 20 does (`MyMap(1) [Map] {`; later Nodes print `MyMap(1) {`).
// Each edit must match exactly once, or the build fails.
function inspectExtracted(root) {
  const file = path.join(root, 'node_modules/node-inspect-extracted/dist/inspect.js');
  let src = fs.readFileSync(file, 'utf8');
  const edit = (what, from, to) => {
    const n = src.split(from).length - 1;
    if (n !== 1) throw new BuildError(`node-inspect-extracted: the ${what} edit matches ${n} times (expected once): was the package updated?`);
    src = src.replace(from, to);
  };
  edit('stack', 'try{n=e.stack}catch{}', 'try{n=__corralStack(e)}catch{}');
  edit('getPrefix', 'if(""!==e){const n=t.indexOf(e);if(-1===n)o+=`[${e}] `;else{const r=n+e.length;r!==t.length&&t[r]===t[r].toLowerCase()&&(o+=`[${e}] `)}}',
    'if(""!==e&&t!==e)o+=`[${e}] `;');
  return `${LAZY_URL}var __corralStack=require("corral:stack").inspectStack;${src}`;
}
const INSPECT_EXTRACTED = { 'node_modules/node-inspect-extracted/dist/inspect.js': inspectExtracted };
const STACK_ALIAS = { request: 'corral:stack', file: 'src/worker/js/runtime/stack.js' };

// The embedded modules. `entry` is the module's file under src/worker/js/ (default
// NAME.js). `exports` lists the names each must export; the build checks them
// by running the wrapped script. `smoke` is an expression, run on the exports
// object `m` in a context that has only the ECMAScript built-ins, that must
// return true. `preludes` maps a file of a dependency to code put in front of
// it, inside the bundle, to stand in for a global the engine lacks.
// `buildOptions` adds to esbuild's options for this entry. `replacements`
// maps a file of a dependency to a function (root) => the source that stands
// in for it. `aliases`
// maps an import (as written, optionally only when imported from files under
// a given directory) to a file of the tree that replaces it. `globals` names
// a module whose exports (an array of names) are also written into the C file
// as the string corral_js_NAME_globals, "name,name,...".
const ENTRIES = [
  {
    name: 'rewrite',
    exports: ['rewriteTopLevelAwait', 'rewriteSession', 'locateSyntaxError'],
    smoke: `m.rewriteSession('let x = 1; x') === '/**/var x;void ( (x = 1)); x'
      && m.rewriteTopLevelAwait('x') === null
      && m.locateSyntaxError('let = ;') !== null && m.locateSyntaxError('1') === null`,
  },
  {
    name: 'tools',
    exports: ['rewriteTopLevelAwait', 'rewriteSession', 'transpile', 'version'],
    // Module names that sucrase writes into the code it generates.
    generatedRequires: ['flow-enums-runtime', 'react-hot-loader'],
    // sucrase's dependencies test `typeof Buffer` and fall back without it.
    probes: ['Buffer'],
    replacements: {
      'node_modules/sucrase/dist/esm/parser/tokenizer/readWordTree.js': sucraseWordTree,
    },
    smoke: `typeof m.version === 'string'
      && m.rewriteTopLevelAwait('let x = await 1; x') !== null
      && m.rewriteTopLevelAwait('x') === null
      && m.rewriteSession('let x = 1; x') === '/**/var x;void ( (x = 1)); x'
      && m.rewriteSession('let x = await 1') === m.rewriteTopLevelAwait('let x = await 1')
      && m.rewriteSession('let = ;') === null
      && /require\\(/.test(m.transpile('import x from "y"; export const a: number = x;', 'a.ts', {typescript: true}))
      && (() => { try { m.transpile('let a = ;', 'b.ts', {typescript: true}); return false; }
                  catch (e) { return e instanceof SyntaxError && e.line === 1; } })()`,
  },
  {
    // TypeScript's transpileModule, loaded by the tools context on first
    // need (see src/worker/js/typescript.js).
    name: 'typescript',
    exports: ['transpile', 'version'],
    // The package's Node-only `sys`, never run here: it tests for a Node
    // `process` and `require` first.
    generatedRequires: ['', 'crypto', 'fs', 'inspector', 'os', 'path', 'perf_hooks', 'source-map-support'],
    buildOptions: { external: ['crypto', 'fs', 'inspector', 'os', 'path', 'perf_hooks', 'source-map-support'] },
    probes: ['process', 'require', 'module', 'window', 'self', 'global', 'navigator', 'document'],
    smoke: `/Geo\\.pi = 1/.test(m.transpile('namespace Geo { export const pi = 1 }', 'a.ts'))
      && (() => { try { m.transpile('let a = ;', 'b.ts'); return false; }
                  catch (e) { return e instanceof SyntaxError && e.line === 1; } })()`,
  },
  {
    name: 'inspect',
    exports: ['format', 'inspect', 'formatResult'],
    smoke: `m.format('%s=%d %o', 'a', 1, {b: [new Map([[1, new Set([2])]])]}) !== ''
      && m.inspect(new Error('e')) !== ''
      && m.inspect({href: 'x', [Symbol('s')]: new Date(0)}, {showHidden: true}) !== ''
      && m.formatResult('s') === "'s'"`,
    // The extracted util.inspect reads the free variable URL to recognise
    // URL objects. An engine without URL gets a class that nothing is an
    // instance of (LAZY_URL, in inspectExtracted).
    replacements: INSPECT_EXTRACTED,
    aliases: [STACK_ALIAS],
  },
  {
    name: 'stack',
    exports: ['errorStack', 'makeCapture', 'prepare', 'setSource', 'v8Stack'],
    // Function names are visible to user code (Error.captureStackTrace.name).
    buildOptions: { keepNames: true },
    smoke: `m.errorStack({name: 'Error', message: 'boom'}, 'f@main.js:3:9\\nglobal code@main.js:5:1\\nx@corral:runtime:1:1', null)
        === 'Error: boom\\n    at f (main.js:3:9)\\n    at Object.<anonymous> (main.js:5:1)'
      && typeof m.makeCapture(function E() {}, function () {}) === 'function'`,
  },
  {
    name: 'session',
    exports: ['init', 'snapshot', 'restore'],
    smoke: `(() => {
        m.init(globalThis);
        globalThis.sx = { a: [1, , new Map([[{}, -0]])], d: new Date(0), u8: new Uint8Array([1, 2, 3]) };
        globalThis.sx.self = globalThis.sx;
        globalThis.sf = class {};
        const snap = JSON.parse(m.snapshot(1e6));
        const [sf, sx] = snap.vars;
        if (snap.v !== 1 || snap.vars.length !== 2 || sf.type !== 'class' || sf.persisted || !sx.persisted) return false;
        delete globalThis.sx;
        delete globalThis.sf;
        if (m.restore(JSON.stringify(snap)) !== 2) return false;
        const x = globalThis.sx;
        try { globalThis.sf; return false; } catch (e) { if (!(e instanceof ReferenceError)) return false; }
        return x.self === x && !(1 in x.a) && Object.is([...x.a[2].values()][0], -0) && x.d.getTime() === 0
          && x.u8.join() === '1,2,3' && m.snapshot(1e6) === JSON.stringify(snap);
      })()`,
  },
  {
    name: 'runtime',
    entry: 'runtime/index.js',
    // Class and function names are visible to user code (util.inspect,
    // err.name, fn.name), so minification keeps them.
    buildOptions: { keepNames: true },
    globals: 'runtime/globals.js',
    exports: ['install', 'globals', 'version', 'requireFor', 'runMain', 'builtin', 'setEnv'],
    smoke: `Array.isArray(m.globals) && m.globals.length > 0 && (() => {
        const g = {};
        m.install(g, ${SMOKE_HOST});
        return m.globals.every((n) => Object.getOwnPropertyDescriptor(g, n) !== undefined)
          && g.global === g && typeof g.structuredClone === 'function' && g.__filename === '/main.js';
      })()`,
    replacements: INSPECT_EXTRACTED,
    preludes: {
      'node_modules/assert/build/assert.js': RUNTIME_PROCESS,
      'node_modules/path-browserify/index.js': "var process={cwd:function(){return '/'}};",
      // whatwg-url-minimum decodes its IDNA tables with the global atob,
      // which user code may have replaced.
      'node_modules/whatwg-url-minimum/dist/whatwg-url-minimum.js': 'var atob=require("corral:base64").atob;',
    },
    aliases: [
      STACK_ALIAS,
      { request: 'corral:process', file: 'src/worker/js/runtime/node/process_object.js' },
      { request: 'corral:base64', file: 'src/worker/js/runtime/web/base64.js' },
      { request: 'process/', file: 'src/worker/js/runtime/node/process_object.js' },
      { request: 'process', file: 'src/worker/js/runtime/node/process_object.js', from: 'node_modules/readable-stream' },
      { request: 'abort-controller', file: 'src/worker/js/runtime/node/abort_controller.js' },
      { request: 'util/', file: 'src/worker/js/runtime/node/shims/util_lazy_inspect.js', from: 'node_modules/assert' },
      { request: 'util', file: 'src/worker/js/runtime/node/shims/util_lazy_inspect.js', from: 'node_modules/assert' },
      { request: 'qs', file: 'src/worker/js/runtime/node/querystring.js', from: 'node_modules/url' },
      // npm assert's polyfill dependencies (get-intrinsic and friends cost
      // ~4 ms of start-up per context) replaced by the engine's built-ins.
      { request: 'object.assign/polyfill', file: 'src/worker/js/runtime/node/shims/object_assign_polyfill.js', from: 'node_modules/assert' },
      { request: 'object-is/polyfill', file: 'src/worker/js/runtime/node/shims/object_is_polyfill.js', from: 'node_modules/assert' },
      { request: 'object-is', file: 'src/worker/js/runtime/node/shims/object_is.js', from: 'node_modules/assert' },
      { request: 'is-nan', file: 'src/worker/js/runtime/node/shims/is_nan.js', from: 'node_modules/assert' },
      { request: 'call-bind/callBound', file: 'src/worker/js/runtime/node/shims/call_bound.js', from: 'node_modules/assert' },
    ],
  },
];

// Names that exist only in Node or in browsers. The smoke run turns each into
// a global that records any read of it, so that a bundle which uses one at
// run time fails the build.
const FOREIGN_GLOBALS = [
  'process', 'require', 'module', 'exports', 'global', 'Buffer', '__dirname',
  '__filename', 'setImmediate', 'window', 'document', 'self', 'navigator',
];

const BUILD_OPTIONS = {
  bundle: true,
  platform: 'neutral',
  format: 'cjs',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  charset: 'ascii',
  write: false,
  metafile: true,
  logLevel: 'silent',
};

class BuildError extends Error {}

function usage() {
  return 'usage: node scripts/build-js.mjs OUTPUT.c SOURCE-ROOT [--emit-js DIR] [--depfile FILE]';
}

function parseArgs(argv) {
  const args = { positional: [], emitJs: null, depfile: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--emit-js' || a === '--depfile') {
      if (i + 1 >= argv.length) throw new BuildError(`${a} needs a value\n${usage()}`);
      args[a === '--emit-js' ? 'emitJs' : 'depfile'] = argv[++i];
    } else if (a.startsWith('--')) {
      throw new BuildError(`unknown option ${a}\n${usage()}`);
    } else {
      args.positional.push(a);
    }
  }
  if (args.positional.length !== 2) throw new BuildError(usage());
  return args;
}

function loadEsbuild(root) {
  const req = createRequire(path.join(root, 'package.json'));
  try {
    return req('esbuild');
  } catch (e) {
    throw new BuildError(`cannot load esbuild from ${root}/node_modules (run scripts/deps.sh or npm ci): ${e.message}`);
  }
}

function formatMessages(messages) {
  return messages
    .map((m) => {
      const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
      return `${where}${m.text}`;
    })
    .join('\n');
}

// An esbuild plugin that puts each prelude in front of the file it names.
function preludePlugin(root, preludes) {
  const byPath = new Map(Object.entries(preludes || {}).map(([p, code]) => [path.resolve(root, p), code]));
  return {
    name: 'corral-preludes',
    setup(build) {
      if (byPath.size === 0) return;
      build.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
        const code = byPath.get(path.resolve(args.path));
        if (code === undefined) return undefined;
        byPath.delete(path.resolve(args.path));
        return { contents: code + fs.readFileSync(args.path, 'utf8'), loader: 'js' };
      });
      build.onEnd(() => {
        if (byPath.size > 0) {
          return { errors: [...byPath.keys()].map((p) => ({ text: `prelude target was not bundled: ${p}` })) };
        }
        return undefined;
      });
    },
  };
}

// An esbuild plugin that loads generated sources in place of some files.
function replacementPlugin(root, replacements) {
  const byPath = new Map(Object.entries(replacements || {}).map(([p, fn]) => [path.resolve(root, p), fn]));
  return {
    name: 'corral-replacements',
    setup(build) {
      if (byPath.size === 0) return;
      build.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
        const fn = byPath.get(path.resolve(args.path));
        if (fn === undefined) return undefined;
        return { contents: fn(root), loader: 'js' };
      });
    },
  };
}

// An esbuild plugin that resolves each alias of an entry to its file.
function aliasPlugin(root, aliases) {
  const list = (aliases || []).map((a) => ({ ...a, file: path.resolve(root, a.file), from: a.from ? path.resolve(root, a.from) : null }));
  return {
    name: 'corral-aliases',
    setup(build) {
      if (list.length === 0) return;
      build.onResolve({ filter: /.*/ }, (args) => {
        for (const a of list) {
          if (args.path !== a.request) continue;
          if (a.from && !(args.importer === a.from || args.importer.startsWith(a.from + path.sep))) continue;
          return { path: a.file };
        }
        return undefined;
      });
    },
  };
}

// Fails when the bundle still loads a module at run time: the engine has no
// require() and no Node built-in modules.
function checkRequires(name, text, allowed = []) {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const re = /require\s*\(\s*(["'`])([^"'`]*)\1\s*\)/g;
  for (const m of text.matchAll(re)) {
    // Code that generates code (sucrase writes `require('${path}')` into
    // its output) is not a call.
    if (m[2].includes('${') || allowed.includes(m[2])) continue;
    const what = builtins.has(m[2]) || m[2].startsWith('node:') ? 'the Node built-in module' : 'the module';
    throw new BuildError(`${name}: the bundle requires ${what} "${m[2]}" at run time, which the engine cannot provide`);
  }
}

function wrap(bundle) {
  return `(function(){var module={exports:{}},exports=module.exports;${bundle};return module.exports;})()`;
}

// Runs the wrapped script where only the ECMAScript built-ins exist, checks
// its exports and the entry's smoke expression, and fails on any read of a
// Node or browser global.
function smokeTest(entry, script) {
  const context = vm.createContext({});
  const reads = new Set();
  vm.runInContext('delete globalThis.console', context);
  for (const g of FOREIGN_GLOBALS) {
    Object.defineProperty(vm.runInContext('globalThis', context), g, {
      configurable: true,
      get() {
        reads.add(g);
        return undefined;
      },
    });
  }
  let m;
  try {
    m = vm.runInContext(script, context, { filename: `${entry.name}.js` });
  } catch (e) {
    throw new BuildError(`${entry.name}: the wrapped bundle throws when run: ${e && e.stack}`);
  }
  if (m === null || typeof m !== 'object') {
    throw new BuildError(`${entry.name}: the wrapped bundle's completion value is not an object`);
  }
  const missing = entry.exports.filter((n) => !(n in m));
  if (missing.length > 0) throw new BuildError(`${entry.name}: missing exports: ${missing.join(', ')}`);
  context.m = m;
  let ok;
  try {
    ok = vm.runInContext(entry.smoke, context);
  } catch (e) {
    throw new BuildError(`${entry.name}: the smoke test throws: ${e && e.stack}`);
  }
  if (ok !== true) throw new BuildError(`${entry.name}: the smoke test returned ${String(ok)}`);
  for (const g of entry.probes || []) reads.delete(g);
  if (reads.size > 0) {
    throw new BuildError(`${entry.name}: the bundle reads ${[...reads].join(', ')} at run time, which the engine does not have`);
  }
}

// Encodes bytes as the lines of a C string literal. Printable ASCII stays as
// it is except for the backslash, the double quote and the question mark
// (which could start a trigraph); everything else becomes a three-digit octal
// escape, which cannot run into a following digit the way a hex escape can.
function cStringLines(bytes, width = 100) {
  const lines = [];
  let line = '';
  for (const b of bytes) {
    let piece;
    if (b === 0x5c) piece = '\\\\';
    else if (b === 0x22) piece = '\\"';
    else if (b === 0x3f) piece = '\\?';
    else if (b === 0x0a) piece = '\\n';
    else if (b === 0x09) piece = '\\t';
    else if (b >= 0x20 && b < 0x7f) piece = String.fromCharCode(b);
    else piece = '\\' + b.toString(8).padStart(3, '0');
    line += piece;
    if (line.length >= width) {
      lines.push(line);
      line = '';
    }
  }
  if (line.length > 0 || lines.length === 0) lines.push(line);
  return lines.map((l) => `"${l}"`);
}

function cSource(scripts, globalLists) {
  const parts = [
    '/* Generated by scripts/build-js.mjs from src/worker/js/: do not edit. */',
    '/* Each corral_js_NAME is a script whose completion value is the exports object',
    '   of src/worker/js/NAME.js; corral_js_NAME_len is its length in bytes, without the',
    '   terminating NUL. */',
    '',
  ];
  for (const { name, bytes } of scripts) {
    parts.push(`const char corral_js_${name}[] =`);
    const lines = cStringLines(bytes);
    lines[lines.length - 1] += ';';
    for (const l of lines) parts.push(`    ${l}`);
    parts.push(`const unsigned long corral_js_${name}_len = ${bytes.length};`, '');
  }
  for (const { name, names } of globalLists) {
    const bytes = Buffer.from(names.join(','), 'utf8');
    parts.push(`/* The global names that corral_js_${name} defines (${names.length}), comma-separated. */`);
    parts.push(`const char corral_js_${name}_globals[] =`);
    const lines = cStringLines(bytes);
    lines[lines.length - 1] += ';';
    for (const l of lines) parts.push(`    ${l}`);
    parts.push(`const unsigned long corral_js_${name}_globals_len = ${bytes.length};`, '');
  }
  return parts.join('\n');
}

// The list of global names an entry defines: the array that its `globals`
// module exports (a CommonJS file with no dependencies).
function loadGlobals(root, entry, inputs) {
  const file = path.join(root, 'src', 'worker', 'js', entry.globals);
  inputs.add(file);
  const context = vm.createContext({ module: { exports: null } });
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  const names = vm.runInContext('module.exports', context);
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && /^[A-Za-z_$][\w$]*$/.test(n))) {
    throw new BuildError(`${entry.name}: ${entry.globals} must export a non-empty array of identifiers`);
  }
  if (new Set(names).size !== names.length) throw new BuildError(`${entry.name}: ${entry.globals} lists a name twice`);
  return [...names];
}

function writeIfChanged(file, content) {
  let old = null;
  try {
    old = fs.readFileSync(file);
  } catch {
    old = null;
  }
  const data = Buffer.from(content);
  if (old !== null && old.equals(data)) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function depfileText(target, inputs) {
  const esc = (p) => p.replace(/([ #$\\])/g, '\\$1');
  return `${esc(target)}: ${inputs.map(esc).join(' \\\n  ')}\n`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [output, rootArg] = args.positional;
  const root = path.resolve(rootArg);
  const esbuild = loadEsbuild(root);
  const scripts = [];
  const globalLists = [];
  const inputs = new Set([fileURLToPath(import.meta.url)]);

  for (const entry of ENTRIES) {
    const file = path.join(root, 'src', 'worker', 'js', entry.entry || `${entry.name}.js`);
    if (!fs.existsSync(file)) throw new BuildError(`${entry.name}: no such file: ${file}`);
    let result;
    try {
      result = await esbuild.build({
        ...BUILD_OPTIONS,
        ...(entry.buildOptions || {}),
        entryPoints: [file],
        absWorkingDir: root,
        plugins: [aliasPlugin(root, entry.aliases), replacementPlugin(root, entry.replacements), preludePlugin(root, entry.preludes)],
      });
    } catch (e) {
      const detail = e && Array.isArray(e.errors) ? formatMessages(e.errors) : String(e && e.stack);
      throw new BuildError(`${entry.name}: esbuild failed:\n${detail}`);
    }
    if (result.warnings.length > 0) {
      process.stderr.write(`build-js: ${entry.name}: esbuild warnings:\n${formatMessages(result.warnings)}\n`);
    }
    if (result.outputFiles.length !== 1) {
      throw new BuildError(`${entry.name}: esbuild produced ${result.outputFiles.length} files, expected 1`);
    }
    for (const input of Object.keys(result.metafile.inputs)) inputs.add(path.resolve(root, input));

    const bundle = result.outputFiles[0].text.trimEnd();
    checkRequires(entry.name, bundle, entry.generatedRequires);
    const script = wrap(bundle);
    smokeTest(entry, script);
    scripts.push({ name: entry.name, script, bytes: Buffer.from(script, 'utf8') });
    if (entry.globals) globalLists.push({ name: entry.name, names: loadGlobals(root, entry, inputs) });
  }

  writeIfChanged(output, cSource(scripts, globalLists));
  if (args.emitJs !== null) {
    fs.mkdirSync(args.emitJs, { recursive: true });
    for (const { name, script } of scripts) writeIfChanged(path.join(args.emitJs, `${name}.js`), script);
  }
  if (args.depfile !== null) writeIfChanged(args.depfile, depfileText(output, [...inputs].sort()));
}

main().catch((e) => {
  const msg = e instanceof BuildError ? e.message : (e && e.stack) || String(e);
  process.stderr.write(`build-js: error: ${msg}\n`);
  process.exit(1);
});
