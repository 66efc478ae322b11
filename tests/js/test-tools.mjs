#!/usr/bin/env node
// Tests for the JavaScript that corral embeds: the top-level await rewrite in
// src/worker/js/tools.js, the Node-style formatting in src/worker/js/inspect.js, and the
// bundles that scripts/build-js.mjs makes of them.
//
// Usage: node tests/js/test-tools.mjs [BUILD-DIR/js_bundles.c]
//
// With a generated C file, the test also checks that file: that it decodes to
// the same scripts as a fresh build and that each declared length is right.
// Output is TAP, ending with a line "N passed, M failed"; the exit status is
// non-zero when any test fails.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import util from 'node:util';
import vm from 'node:vm';
import { runTap } from './tap.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD_SCRIPT = path.join(ROOT, 'scripts', 'build-js.mjs');
const GENERATED_C = process.argv[2] ? path.resolve(process.argv[2]) : null;

// package.json has no "type", so Node warns that it reparses src/worker/js/*.js as
// ES modules. The warning says nothing about the code under test.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const code = rest[0] !== null && typeof rest[0] === 'object' ? rest[0].code : rest[1];
  if (code === 'MODULE_TYPELESS_PACKAGE_JSON') return;
  emitWarning.call(this, warning, ...rest);
};
const tools = await import(pathToFileURL(path.join(ROOT, 'src', 'worker', 'js', 'tools.js')).href);
const inspectLib = await import(pathToFileURL(path.join(ROOT, 'src', 'worker', 'js', 'inspect.js')).href);
process.emitWarning = emitWarning;

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// A context with only the ECMAScript built-ins, like the engine's: V8 adds a
// console to every context, which is taken away here.
function bareContext() {
  const context = vm.createContext({});
  vm.runInContext('delete globalThis.console', context);
  return context;
}

// Compares a value from another realm with an expected one by structure.
function sameValue(actual, expected, what) {
  if (expected !== null && typeof expected === 'object') {
    assert.equal(JSON.stringify(actual), JSON.stringify(expected), what);
  } else {
    assert.ok(Object.is(actual, expected), `${what}: got ${util.inspect(actual)}, expected ${util.inspect(expected)}`);
  }
}

// Rewrites `code`, which must not compile as a classic script on its own,
// runs the rewrite in `context` and returns the awaited completion value.
async function runRewritten(code, context = bareContext(), rewrite = tools.rewriteTopLevelAwait) {
  assert.throws(() => new vm.Script(code), SyntaxError, 'the original must not compile as a script');
  const rewritten = rewrite(code);
  assert.equal(typeof rewritten, 'string', `no rewrite for ${JSON.stringify(code)}`);
  assert.equal(rewritten.split('\n').length, code.split('\n').length + 1, 'line count');
  const value = await vm.runInContext(rewritten, context, { filename: 'snippet.js' });
  return { value, context, rewritten };
}

// Declares a case: `code` resolves to `expected`, and afterwards each name in
// `globals` reads as the given value in the same global scope.
function tla(name, code, expected, globals = {}, setup = '') {
  test(`tla: ${name}`, async () => {
    const context = bareContext();
    if (setup) vm.runInContext(setup, context);
    const { value } = await runRewritten(code, context);
    sameValue(value, expected, 'completion value');
    for (const [g, v] of Object.entries(globals)) {
      sameValue(vm.runInContext(g, context), v, `global ${g}`);
    }
  });
}

function noRewrite(name, code) {
  test(`tla: ${name} gives null`, () => {
    assert.equal(tools.rewriteTopLevelAwait(code), null);
  });
}

// Top-level await.

tla('const with await', 'const x = await 1; x + 1', 2, { x: 1 });
tla('destructuring let', 'let {a, b:[c]} = await Promise.resolve({a:1,b:[2]}); a + c', 3, { a: 1, c: 2, 'typeof b': 'undefined' });
tla('for await over an async generator',
  'async function* gen() { yield 1; yield 2; yield 3; }\nvar s = 0;\nfor await (const v of gen()) s += v;\ns',
  6, { s: 6, 'typeof gen': 'function', 'typeof v': 'undefined' });
tla('function declarations are hoisted', 'const r = f(); await 0; function f() { return 7 }\nr', 7,
  { r: 7, 'f()': 7, 'typeof f': 'function' });
tla('class declarations become globals', 'class C { m() { return 5 } }\nawait 0\nnew C().m()', 5,
  { 'new C().m()': 5, 'C.name': 'C' });
tla('multiple declarators and a let without initializer', 'let p = 1, q; q = await p; [p, q]', [1, 1], { p: 1, q: 1 });
tla('var without initializer keeps the old value', 'var old; await 0; old', 5, { old: 5 }, 'var old = 5;');
tla('let without initializer is undefined', 'let u; await 0; typeof u', 'undefined', { 'typeof u': 'undefined' });
tla('var in a for statement', 'for (var i = 0; i < 3; i++) await i;\ni', 3, { i: 3 });
tla('var in for-of and in a block', 'for (var k of [1, 2]) await k;\n{ var inner = k * 10 }\ninner', 20, { k: 2, inner: 20 });
tla('declarations ended by line breaks', 'let z\n[1, 2].forEach((n) => { z = n })\nvar y\n(await 0)', 0, { z: 2 });
tla('a last statement that is not an expression gives undefined', 'await 1; if (true) { 5 }', undefined);
tla('trailing empty statements are skipped', 'await 1;;;', 1);
tla('an object literal result', 'await 0; ({ a: 1 })', { a: 1 });
tla('a sequence expression result', 'await 0; 1, 2', 2);
tla('a use strict directive stays a directive',
  "'use strict'\nawait 0\nfunction h() { return this }\nh() === undefined", true, { 'typeof h': 'function' });
tla('top-level this is the global object', 'await 0; this === globalThis', true);
tla('await in a computed class key', "class K { [await 'm']() { return 1 } }\nnew K().m()", 1);
tla('a hashbang line', '#!/usr/bin/env corral\nawait 0; 9', 9);
tla('a trailing line comment', 'await 1 // done', 1);
tla('a later script reads the declarations', 'const later = await Promise.resolve("v")', undefined,
  { 'later + "w"': 'vw' });
tla('an await in a nested function does not stop an outer one', 'const g = async () => await 2; await g()', 2,
  { 'typeof g': 'function' });

test('tla: the same snippet runs twice in one global scope', async () => {
  const context = bareContext();
  await runRewritten('const twice = await 1; twice', context);
  const { value } = await runRewritten('const twice = await 2; twice', context);
  assert.equal(value, 2);
});

test('tla: a rejection is the thrown error', async () => {
  await assert.rejects(runRewritten('await 0; throw new RangeError("r")'), (e) => e.name === 'RangeError' && e.message === 'r');
});

test('tla: a throw on line 3 is reported on line 3', async () => {
  const code = 'await 0;\nlet y = 1;\nthrow new Error("boom")';
  let err = null;
  try {
    await runRewritten(code);
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'the promise must reject');
  assert.match(err.stack, /snippet\.js:3:\d+/);
});

test('tla: lines stay put after multi-line declarations and classes', async () => {
  const code = [
    'const {',
    '  a,',
    '} = await Promise.resolve({ a: 1 });',
    'class D {',
    '}',
    'function fn() { return a }',
    'null.boom;',
  ].join('\n');
  let err = null;
  try {
    await runRewritten(code);
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'the promise must reject');
  assert.match(err.stack, /snippet\.js:7:\d+/);
});

test('tla: nothing is added before the first line ends', () => {
  const code = 'await 0\nconst w = 1\nclass E {}\nw';
  const rewritten = tools.rewriteTopLevelAwait(code);
  const lines = rewritten.split('\n');
  assert.match(lines[0], /await 0$/);
  assert.equal(lines[3], 'return (w)');
  assert.equal(lines[4], '})()');
});

noRewrite('code without await', '1 + 1');
noRewrite('await only inside an async function', 'async function f() { await 1 }');
noRewrite('await only inside an arrow function', 'const f = async () => { await 1 }');
noRewrite('await only inside a method', 'const o = { async m() { await 1 } }');
noRewrite('await only inside a class field', 'class K { static async m() { await 1 } }');
noRewrite('a syntax error that is not about await', 'await 1; let = ;');
noRewrite('an unterminated expression', 'await (1');
noRewrite('a top-level return', 'await 1; return 5');
noRewrite('a value that is not a string', 42);

test('tools: version is a string', () => {
  assert.equal(typeof tools.version, 'string');
});

// Formatting, compared with Node's own util at test time.

function sameAsNode(name, fn) {
  test(`inspect: ${name}`, () => {
    const [ours, node] = fn();
    assert.equal(ours, node);
  });
}

sameAsNode("format('%s=%d', 'a', 1)", () => [inspectLib.format('%s=%d', 'a', 1), util.format('%s=%d', 'a', 1)]);
sameAsNode('format with every directive', () => {
  const args = ['%s %d %i %f %j %o %O %c %%', 'str', 42.5, 42.5, '1.5', { j: 1 }, { o: [1] }, { O: { p: 2 } }, 'color: red'];
  return [inspectLib.format(...args), util.format(...args)];
});
sameAsNode('format with extra and non-string arguments', () => {
  const args = [1, { a: 1 }, 'two', [3], null, undefined, 5n, Symbol('s')];
  return [inspectLib.format(...args), util.format(...args)];
});
sameAsNode('a Map of nested values', () => {
  const v = new Map([[1, { a: [1, 2] }]]);
  return [inspectLib.inspect(v), util.inspect(v)];
});
sameAsNode('nested objects past the default depth', () => {
  const v = { a: { b: { c: { d: { e: 1 } } } }, s: new Set(['x']), d: new Date(0), re: /x/g, n: null, u: undefined };
  return [inspectLib.inspect(v), util.inspect(v)];
});
sameAsNode('arrays: long, sparse and with extra properties', () => {
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const extra = [1, 2];
  extra.name = 'x';
  const v = { long: Array.from({ length: 150 }, (_, i) => i), sparse, extra, strings: ['a'.repeat(30), 'b'.repeat(30), 'c'.repeat(30)] };
  return [inspectLib.inspect(v), util.inspect(v)];
});
sameAsNode('class instances, classes and functions', () => {
  class Base {
    constructor() {
      this.x = 1;
    }
    get g() {
      return 2;
    }
  }
  class Derived extends Base {
    #hidden = 3;
    static s = 4;
  }
  const v = [new Base(), new Derived(), Base, Derived, function named() {}, async () => {}, function* gen() {}, Object.create(null)];
  return [inspectLib.inspect(v), util.inspect(v)];
});
sameAsNode('errors, with a cause and extra properties', () => {
  const err = new TypeError('bad', { cause: new Error('inner') });
  err.code = 'E_BAD';
  return [inspectLib.inspect(err), util.inspect(err)];
});
sameAsNode('an AggregateError', () => {
  const err = new AggregateError([new Error('one')], 'many');
  return [inspectLib.inspect(err), util.inspect(err)];
});
sameAsNode('circular references, boxed primitives and typed arrays', () => {
  const v = { name: 'c', u8: new Uint8Array([1, 2]), f64: new Float64Array([1.5]), boxed: [new String('s'), Object(1n)], big: 10n, neg: -0 };
  v.self = v;
  return [inspectLib.inspect(v), util.inspect(v)];
});

// node-inspect-extracted follows a later Node than 20 in a few forms: symbol
// keys lose their brackets and the byteLength of an ArrayBuffer gains them.
// These are pinned here, so that a change of either shows.
test('inspect: the forms that differ from Node 20', () => {
  assert.equal(inspectLib.inspect({ [Symbol('k')]: 1 }), '{ Symbol(k): 1 }');
  assert.equal(inspectLib.inspect(new ArrayBuffer(2)), 'ArrayBuffer { [Uint8Contents]: <00 00>, [byteLength]: 2 }');
});
sameAsNode('options: depth, compact, breakLength, sorted, getters', () => {
  const v = { b: { c: { d: 1 } }, a: [1, 2, 3], get g() { return 'got' } };
  const opts = [{ depth: 0 }, { compact: false }, { breakLength: Infinity }, { sorted: true }, { getters: true }, { showHidden: true }];
  return [opts.map((o) => inspectLib.inspect(v, o)).join('\n'), opts.map((o) => util.inspect(v, o)).join('\n')];
});
sameAsNode('strings and other primitives', () => {
  const vs = ['it\'s "q"', 'line\nbreak', 1.5, -0, 10n, true, null, undefined, Symbol('s'), 'x'.repeat(20000)];
  return [vs.map((v) => inspectLib.inspect(v)).join('|'), vs.map((v) => util.inspect(v)).join('|')];
});
sameAsNode('formatResult is util.inspect', () => {
  const vs = ['str', 1, [1, 'a'], { a: { b: { c: { d: 1 } } } }, undefined];
  return [vs.map((v) => inspectLib.formatResult(v)).join('|'), vs.map((v) => util.inspect(v)).join('|')];
});
sameAsNode('a custom inspect function', () => {
  const v = { [util.inspect.custom]: () => 'custom!' };
  return [inspectLib.inspect(v), util.inspect(v)];
});

// The build and its bundles.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-js-'));
const builtC = path.join(tmp, 'out', 'js_bundles.c');
const emitDir = path.join(tmp, 'emit');
let buildError = null;
try {
  execFileSync(process.execPath, [BUILD_SCRIPT, builtC, ROOT, '--emit-js', emitDir, '--depfile', path.join(tmp, 'js.d')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (e) {
  buildError = e;
}
const bundle = (name) => fs.readFileSync(path.join(emitDir, `${name}.js`), 'utf8');

// Decodes the C string literals of a file that build-js.mjs wrote, giving
// each name's bytes and declared length.
function decodeGenerated(file) {
  const text = fs.readFileSync(file, 'latin1');
  const out = new Map();
  const decl = /const char corral_js_(\w+)\[\] =((?:\s*"(?:[^"\\\n]|\\.)*")+);/g;
  for (const m of text.matchAll(decl)) {
    const bytes = [];
    for (const piece of m[2].matchAll(/"((?:[^"\\\n]|\\.)*)"/g)) {
      const s = piece[1];
      for (let i = 0; i < s.length; i++) {
        if (s[i] !== '\\') {
          bytes.push(s.charCodeAt(i));
          continue;
        }
        const c = s[++i];
        if (c >= '0' && c <= '7') {
          let oct = c;
          while (oct.length < 3 && s[i + 1] >= '0' && s[i + 1] <= '7') oct += s[++i];
          bytes.push(parseInt(oct, 8));
        } else {
          const simple = { n: 10, t: 9, r: 13, '\\': 92, '"': 34, "'": 39, '?': 63, a: 7, b: 8, f: 12, v: 11 }[c];
          assert.notEqual(simple, undefined, `unexpected escape \\${c}`);
          bytes.push(simple);
        }
      }
    }
    const len = new RegExp(`const unsigned long corral_js_${m[1]}_len = (\\d+);`).exec(text);
    out.set(m[1], { bytes: Buffer.from(bytes), declaredLength: len ? Number(len[1]) : null });
  }
  return out;
}

test('build: build-js.mjs succeeds', () => {
  assert.equal(buildError, null, buildError && String(buildError.stderr));
  assert.ok(fs.existsSync(builtC));
});

test('build: the C literals decode to the emitted scripts, with the right lengths', () => {
  const decoded = decodeGenerated(builtC);
  assert.deepEqual([...decoded.keys()].sort(), ['inspect', 'rewrite', 'runtime', 'runtime_globals', 'session', 'stack', 'tools', 'typescript']);
  for (const [name, { bytes, declaredLength }] of decoded) {
    assert.equal(declaredLength, bytes.length, `${name} length`);
    const emitted = path.join(emitDir, `${name}.js`);
    if (fs.existsSync(emitted))
      assert.ok(bytes.equals(fs.readFileSync(emitted)), `${name} bytes`);
  }
  assert.ok(/(^|,)URL(,|$)/.test(decoded.get('runtime_globals').bytes.toString()), 'the globals list names URL');
  assert.ok(!/\?\?/.test(fs.readFileSync(builtC, 'latin1')), 'no trigraph can form');
});

test('build: the scripts follow the wrapper contract', () => {
  for (const name of ['tools', 'rewrite', 'inspect', 'runtime', 'session']) {
    const s = bundle(name);
    assert.ok(s.startsWith('(function(){var module={exports:{}},exports=module.exports;'), name);
    assert.ok(s.endsWith(';return module.exports;})()'), name);
  }
  /* The tools bundle holds require(...) text that sucrase writes into its
   * output; that it never calls require itself is the bare-context test's job. */
  assert.ok(!/require\s*\(\s*["'`]/.test(bundle('inspect')), 'inspect requires a module');
  assert.ok(!/require\s*\(\s*["'`]/.test(bundle('session')), 'session requires a module');
});

test('build: the tools bundle works where there are no Node globals', async () => {
  const context = bareContext();
  const m = vm.runInContext(bundle('tools'), context);
  assert.deepEqual(Object.keys(m).sort(), ['locateSyntaxError', 'rewriteSession', 'rewriteTopLevelAwait', 'transpile', 'transpileCacheSize', 'version']);
  const t1 = m.transpile('const x: number = 1; export default x', 'a.ts', { typescript: true });
  assert.equal(m.transpile('const x: number = 1; export default x', 'a.ts', { typescript: true }), t1);
  assert.equal(m.transpileCacheSize(), 1);
  assert.equal(JSON.stringify(m.locateSyntaxError('let a = 1;\nlet b = ;')), JSON.stringify({ message: 'Unexpected token', line: 2, column: 9 }));
  assert.equal(m.locateSyntaxError('1 + 1'), null);
  assert.equal(vm.runInContext('typeof process + typeof require + typeof Buffer', context), 'undefinedundefinedundefined');
  const { value, context: runContext } = await runRewritten('const {p, q: [r]} = await {p: 1, q: [2]}; p + r', bareContext(),
    (code) => m.rewriteTopLevelAwait(code));
  assert.equal(value, 3);
  assert.equal(vm.runInContext('r', runContext), 2);
  assert.equal(m.rewriteTopLevelAwait('async () => { await 1 }'), null);
  assert.equal(m.rewriteSession('let s = 1; s'), tools.rewriteSession('let s = 1; s'));
});

test('build: the session bundle works where there are no Node globals', () => {
  const context = bareContext();
  const m = vm.runInContext(bundle('session'), context);
  assert.deepEqual(Object.keys(m).sort(), ['init', 'restore', 'snapshot']);
  m.init(vm.runInContext('globalThis', context));
  vm.runInContext('var kept = new Map([[1, {a: [1n]}]]); var fn = () => 1;', context);
  const json = m.snapshot(1000);
  assert.equal(json, '{"v":1,"vars":[{"name":"fn","type":"function","persisted":false,"reason":"a function"},'
    + '{"name":"kept","type":"Map","persisted":true,"value":["m",0,[[1,["o",1,[["a",["a",2,[["i","1"]]]]]]]]]}]}');
  const other = bareContext();
  const m2 = vm.runInContext(bundle('session'), other);
  m2.init(vm.runInContext('globalThis', other));
  assert.equal(m2.restore(json), 2);
  assert.equal(vm.runInContext('kept.get(1).a[0]', other), 1n);
  assert.equal(vm.runInContext('typeof process + typeof require + typeof Buffer', other), 'undefinedundefinedundefined');
});

test('build: the inspect bundle works where there are no Node globals', () => {
  const context = bareContext();
  context.m = vm.runInContext(bundle('inspect'), context);
  const cases = [
    ["m.format('%s=%d %j', 'a', 1, {b: 2})", util.format('%s=%d %j', 'a', 1, { b: 2 })],
    ['m.inspect(new Map([[1, {a: [1, 2]}]]))', util.inspect(new Map([[1, { a: [1, 2] }]]))],
    ["m.inspect({href: 'h', a: {b: {c: {d: 1}}}, s: new Set([1])})", util.inspect({ href: 'h', a: { b: { c: { d: 1 } } }, s: new Set([1]) })],
    ["m.inspect(new (class URL { constructor() { this.href = 'h' } })())", "URL { href: 'h' }"],
    ["m.formatResult('s')", "'s'"],
  ];
  for (const [expr, expected] of cases) assert.equal(vm.runInContext(expr, context), expected, expr);
});

test('build: the output is not rewritten when nothing changed', () => {
  const past = new Date('2000-01-01T00:00:00Z');
  fs.utimesSync(builtC, past, past);
  execFileSync(process.execPath, [BUILD_SCRIPT, builtC, ROOT], { stdio: 'ignore' });
  assert.equal(fs.statSync(builtC).mtimeMs, past.getTime());
});

test('build: bad arguments fail with a message', () => {
  let err = null;
  try {
    execFileSync(process.execPath, [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    err = e;
  }
  assert.ok(err && err.status !== 0, 'non-zero exit');
  assert.match(String(err.stderr), /usage:/);
});

if (GENERATED_C !== null) {
  test(`build: ${GENERATED_C} matches a fresh build`, () => {
    const given = decodeGenerated(GENERATED_C);
    const fresh = decodeGenerated(builtC);
    assert.deepEqual([...given.keys()].sort(), [...fresh.keys()].sort());
    for (const [name, { bytes, declaredLength }] of given) {
      assert.equal(declaredLength, bytes.length, `${name} length`);
      assert.ok(bytes.equals(fresh.get(name).bytes), `${name} differs from a fresh build`);
    }
  });
}

const failed = await runTap(tests);
fs.rmSync(tmp, { recursive: true, force: true });
process.exitCode = failed > 0 ? 1 : 0;
