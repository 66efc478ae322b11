#!/usr/bin/env node
// Tests for sessions: the rewrite of each snippet (rewriteSession in
// src/worker/js/tools.js) and the saving and restoring of the bindings it leaves on
// the global object (src/worker/js/session.js). A session is simulated as the
// engine runs one: a vm context holds its global scope, each snippet goes
// through the rewrite, the session bundle is evaluated in the context before
// any user code, and a "restart" is a fresh context into which the last
// snapshot is restored.
//
// Usage: node tests/js/test-session.mjs [FILTER]
// Output is TAP, ending with a line "N passed, M failed"; the exit status is
// non-zero when any test fails.

import assert from 'node:assert/strict';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { createSim } from './runtime-sim.mjs';
import { runTap } from './tap.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const filter = process.argv[2] || '';

// package.json has no "type", so Node warns that it reparses src/worker/js/*.js as
// ES modules. The warning says nothing about the code under test.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const code = rest[0] !== null && typeof rest[0] === 'object' ? rest[0].code : rest[1];
  if (code === 'MODULE_TYPELESS_PACKAGE_JSON') return;
  emitWarning.call(this, warning, ...rest);
};
const tools = await import(pathToFileURL(path.join(ROOT, 'src', 'worker', 'js', 'tools.js')).href);
process.emitWarning = emitWarning;

// The session bundle, made as scripts/build-js.mjs makes it: a minified
// CommonJS bundle wrapped in a script whose completion value is its exports.
const esbuild = createRequire(path.join(ROOT, 'package.json'))('esbuild');
const built = esbuild.buildSync({
  entryPoints: [path.join(ROOT, 'src', 'worker', 'js', 'session.js')],
  bundle: true,
  platform: 'neutral',
  format: 'cjs',
  target: 'es2022',
  minify: true,
  charset: 'ascii',
  write: false,
  logLevel: 'silent',
});
const SESSION_JS = `(function(){var module={exports:{}},exports=module.exports;${built.outputFiles[0].text.trimEnd()};return module.exports;})()`;

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// A context with only the ECMAScript built-ins, like the engine's.
function bareContext() {
  const context = vm.createContext({});
  vm.runInContext('delete globalThis.console', context);
  return context;
}

// One life of a session's context: `setup` stands for the runtime's globals,
// defined before the session bundle and init(). `run` sends a snippet
// through rewriteSession (or runs it as it is when the rewrite is null, as
// the engine does) and returns its completion value, awaited when the
// rewrite wrapped it.
function session(setup = '') {
  const context = bareContext();
  if (setup) vm.runInContext(setup, context);
  const m = vm.runInContext(SESSION_JS, context, { filename: 'session.js' });
  m.init(vm.runInContext('globalThis', context));
  const s = {
    context,
    m,
    rewritten: null,
    run(code) {
      const rw = tools.rewriteSession(code);
      s.rewritten = rw;
      const v = vm.runInContext(rw === null ? code : rw, context, { filename: 'snippet.js' });
      return rw !== null && !rw.startsWith('/**/') ? v.then((x) => x) : v;
    },
    eval: (code) => vm.runInContext(code, context),
    snapshot: (max = 1e7) => m.snapshot(max),
    vars: (max) => JSON.parse(m.snapshot(max)).vars,
    restore: (json) => m.restore(json),
  };
  return s;
}

// Snapshot of `a`, restored into a fresh session.
function restart(a, setup = '') {
  const json = a.snapshot();
  const b = session(setup);
  b.restored = b.restore(json);
  b.json = json;
  return b;
}

function byName(vars) {
  const out = {};
  for (const v of vars) out[v.name] = v;
  return out;
}

// --- rewriteSession: session semantics in one global scope -----------------

test('rewrite: let, const, var, function, class and destructuring persist', async () => {
  const s = session();
  await s.run('let a = 1; const b = 2; var c = 3');
  await s.run('function f() { return a + b + c }\nclass K { get v() { return f() } }');
  await s.run('let {p, q: [r, ...rest], ...others} = {p: 1, q: [2, 3, 4], z: 5}');
  assert.equal(await s.run('new K().v + p + r + rest.length + others.z'), 6 + 1 + 2 + 2 + 5);
  for (const n of ['a', 'b', 'c', 'f', 'K', 'p', 'r', 'rest', 'others']) {
    assert.ok(s.eval(`Object.getOwnPropertyDescriptor(globalThis, ${JSON.stringify(n)}) !== undefined`), `${n} is a global property`);
  }
});

test('rewrite: the same declarations run again in the same scope', async () => {
  const s = session();
  for (let i = 0; i < 2; i++) {
    await s.run(`let x = ${i}; const y = ${i}; var z = ${i}; class C { n() { return ${i} } } function f() { return ${i} }`);
  }
  assert.equal(await s.run('[x, y, z, new C().n(), f()].join()'), '1,1,1,1,1');
  assert.equal(await s.run('let f = 7; f'), 7, 'a let over a function');
  assert.equal(await s.run('function f() { return 8 }\nf()'), 8, 'a function over a let');
  assert.equal(await s.run('const C = 9; C'), 9, 'a const over a class');
});

test('rewrite: block-scoped declarations stay local', async () => {
  const s = session();
  await s.run('{ let inner = 1; const k = 2; class B {} }\nfor (let i = 0; i < 2; i++) {}\nfor (const j of [1]) {}\nif (true) { let w = 1 }');
  assert.equal(s.eval('typeof inner + typeof k + typeof B + typeof i + typeof j + typeof w'), 'undefined'.repeat(6));
  await s.run('{ var escapes = 1 }\nfor (var v = 0; v < 2; v++) {}\nfunction g() { var local = 1 }');
  assert.equal(s.eval('[escapes, v, typeof local].join()'), '1,2,undefined');
});

test('rewrite: top-level await with declarations', async () => {
  const s = session();
  assert.equal(await s.run('const t = await Promise.resolve(7); let u = t + 1; u'), 8);
  assert.equal(await s.run('t + u'), 15);
  assert.equal(await s.run('let t = await 1; function h() { return t }\nh()'), 1);
  assert.equal(s.eval('h()'), 1);
  assert.equal(tools.rewriteSession('const t = await 1; t'), tools.rewriteTopLevelAwait('const t = await 1; t'));
});

test('rewrite: completion values', async () => {
  const s = session();
  const cases = [
    ['let x = 1; x + 1', 2],
    ['let x = 1', undefined],
    ['var y = 2', undefined],
    ['class C {}', undefined],
    ['function f() {}', undefined],
    ['1; 2', 2],
    ['3;;', 3],
    ['if (true) { 5 }', 5],
    ['x', 1],
    ['"use strict"; 4', 4],
    ['let obj = {a: 1}; obj', { a: 1 }],
  ];
  for (const [code, expected] of cases) {
    const v = await s.run(code);
    if (expected !== null && typeof expected === 'object') assert.equal(JSON.stringify(v), JSON.stringify(expected), code);
    else assert.equal(v, expected, code);
  }
});

test('rewrite: code that does not parse gives null', () => {
  for (const code of ['let = ;', 'x +', 'let a = 1; let a = 2;', 'return 1', 'import x from "y"', 42]) {
    assert.equal(tools.rewriteSession(code), null, String(code));
  }
});

test('rewrite: an error on line 3 is reported on line 3', async () => {
  for (const code of [
    'let a = 1;\nlet b = 2;\nnull.boom',
    'const {\n  c } = {c: 1}; class D {\n} null.boom',
    '"use strict"\nvar v\nnull.boom',
    '#!/usr/bin/env corral\nlet h = 1\nnull.boom',
    'let w = await 1;\nlet x = 2;\nnull.boom',
  ]) {
    const s = session();
    let err = null;
    try {
      await s.run(code);
    } catch (e) {
      err = e;
    }
    assert.ok(err, `${code} must throw`);
    assert.match(err.stack, /snippet\.js:3:\d+/, code);
    assert.equal(s.rewritten.split('\n').length, code.split('\n').length + (s.rewritten.startsWith('/**/') ? 0 : 1), code);
  }
});

test('rewrite: directive prologues and hashbangs', async () => {
  const s = session();
  await assert.rejects(async () => s.run("'use strict'\nlet d = 1\nundeclared = 2"), (e) => e.name === 'ReferenceError');
  assert.equal(await s.run('"use strict"; function g() { return this }\ng()'), undefined);
  assert.equal(await s.run('#!/usr/bin/env corral\nlet hb = 4; hb'), 4);
  assert.equal(await s.run('#!/usr/bin/env corral\nawait 0; hb + 1'), 5);
});

test('rewrite: the synchronous form starts with /**/ and the asynchronous one never does', () => {
  for (const code of ['1', '(async () => { await 1 })()', 'var x', "'use strict'", '#!x\n1']) {
    assert.ok(tools.rewriteSession(code).startsWith('/**/'), code);
  }
  for (const code of ['await 1', 'let x = await 1', 'for await (const v of []) ;', 'function f() {}\nawait f()']) {
    const rw = tools.rewriteSession(code);
    assert.ok(rw.startsWith('(async () => {') || rw.startsWith('var '), code);
  }
});

test('rewrite: an async arrow on the first line is not top-level await', async () => {
  const s = session();
  const v = s.run('(async () => { await 1; return 2 })()');
  assert.equal(s.eval('Promise.prototype') === Object.getPrototypeOf(v), true, 'the completion value is the promise itself');
  assert.equal(await v, 2);
});

// --- snapshot and restore: what is stored ------------------------------------

// Each value expression is stored in context A, restored into context B and
// checked there by `check` (an expression over `v` that must be true); the
// snapshot taken in B must equal A's, and the binding's type is `type`.
function roundTrip(name, expr, check, type) {
  test(`store: ${name}`, () => {
    const a = session();
    a.eval(`var v = ${expr};`);
    const entry = byName(a.vars()).v;
    assert.equal(entry.persisted, true, `persisted: ${JSON.stringify(entry)}`);
    assert.equal(entry.type, type);
    const b = restart(a);
    assert.equal(b.restored, 1);
    assert.equal(b.eval(`(() => { ${check.includes('return') ? check : `return ${check}`} })()`), true, check);
    assert.equal(b.snapshot(), a.snapshot(), 'the restored binding stores the same');
  });
}

roundTrip('undefined', 'undefined', 'v === undefined', 'undefined');
roundTrip('null', 'null', 'v === null', 'null');
roundTrip('booleans', 'false', 'v === false', 'boolean');
roundTrip('-0', '-0', 'Object.is(v, -0)', 'number');
roundTrip('NaN', 'NaN', 'Number.isNaN(v)', 'number');
roundTrip('Infinity', '-Infinity', 'v === -Infinity', 'number');
roundTrip('numbers', '[0, 1.5, -2e-300, 2 ** 53 + 2, 1e21, Number.MIN_VALUE, Infinity]',
  'v.join() === [0, 1.5, -2e-300, 2 ** 53 + 2, 1e21, Number.MIN_VALUE, Infinity].join()', 'Array');
roundTrip('BigInt', '-123456789012345678901234567890n', 'v === -123456789012345678901234567890n', 'bigint');
roundTrip('strings', '["", "h\\u00e9llo", "\\ud83d\\ude00", "\\ud800 lone", "\\u0000\\n\\"\\\\"]',
  'v.join("|") === ["", "h\\u00e9llo", "\\ud83d\\ude00", "\\ud800 lone", "\\u0000\\n\\"\\\\"].join("|")', 'Array');
roundTrip('a plain object', '{a: 1, b: {c: [1, "x"]}, "k e y": null}',
  'Object.getPrototypeOf(v) === Object.prototype && v.b.c[1] === "x" && v["k e y"] === null && Object.keys(v).join() === "a,b,k e y"',
  'object');
roundTrip('a null-prototype object', 'Object.assign(Object.create(null), {a: 1})',
  'Object.getPrototypeOf(v) === null && v.a === 1', 'object');
roundTrip('"__proto__" keys', 'JSON.parse(\'{"__proto__": {"x": 1}, "a": {"__proto__": null}}\')',
  'Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).join() === "__proto__,a" && v.__proto__.x === 1 && Object.getOwnPropertyDescriptor(v.a, "__proto__").value === null',
  'object');
roundTrip('integer-like keys keep their order', '({b: 1, 2: 2, a: 3, 1: 4})', 'Object.keys(v).join() === "1,2,b,a"', 'object');
roundTrip('arrays with holes', '[1, , 3, , ]', 'v.length === 4 && !(1 in v) && !(3 in v) && v[2] === 3 && Array.isArray(v)', 'Array');
roundTrip('a sparse array', '(() => { const a = []; a[1e6] = 1; a[5] = "x"; return a; })()',
  'v.length === 1e6 + 1 && v[1e6] === 1 && v[5] === "x" && Object.keys(v).length === 2', 'Array');
roundTrip('array properties', 'Object.assign([1, 2], {name: "n", "-1": 0})',
  'v.length === 2 && v.name === "n" && v["-1"] === 0 && v[1] === 2', 'Array');
roundTrip('a Map with object keys', '(() => { const k = {id: 1}; return new Map([[k, k], [NaN, "nan"], [-0, "zero"], ["s", new Map()]]); })()',
  'const [k] = v.keys(); return Object.getPrototypeOf(v) === Map.prototype && v.get(k) === k && v.get(NaN) === "nan" && v.get(0) === "zero" && v.get("s") instanceof Map',
  'Map');
roundTrip('a Set', 'new Set([1, "1", {a: 1}, undefined])',
  'const i = [...v]; return v instanceof Set && v.size === 4 && i[2].a === 1 && v.has(undefined)', 'Set');
roundTrip('Dates', '[new Date(86400000), new Date(NaN), new Date(-1)]',
  'v[0] instanceof Date && v[0].getTime() === 86400000 && Number.isNaN(v[1].getTime()) && v[2].getTime() === -1', 'Array');
roundTrip('a RegExp with flags and lastIndex', '(() => { const r = /a(?<n>b)+\\//dgimsuy; r.lastIndex = 3; return r; })()',
  'v instanceof RegExp && v.source === "a(?<n>b)+\\\\/" && v.flags === "dgimsuy" && v.lastIndex === 3', 'RegExp');
roundTrip('an ArrayBuffer', 'new Uint8Array([0, 1, 254, 255, 128, 7, 9]).buffer',
  'v instanceof ArrayBuffer && new Uint8Array(v).join() === "0,1,254,255,128,7,9"', 'ArrayBuffer');
roundTrip('a resizable ArrayBuffer', 'new ArrayBuffer(3, {maxByteLength: 10})',
  'v.resizable === true && v.maxByteLength === 10 && v.byteLength === 3', 'ArrayBuffer');
roundTrip('every typed array kind',
  '["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"].map((n) => new globalThis[n]([1, -2, 3.5, 300])).concat([new BigInt64Array([-1n, 2n ** 63n - 1n]), new BigUint64Array([2n ** 64n - 1n])])',
  'return v.length === 11 && v.every((t, i) => Object.getPrototypeOf(t) === globalThis[["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"][i]].prototype) && v[0].join() === "1,-2,3,44" && v[2].join() === "1,0,4,255" && v[8].join() === "1,-2,3.5,300" && v[9][1] === 2n ** 63n - 1n && v[10][0] === 2n ** 64n - 1n',
  'Array');
roundTrip('typed arrays and a DataView on one buffer',
  '(() => { const b = new ArrayBuffer(16); const u8 = new Uint8Array(b, 4, 8); const f = new Float64Array(b, 8, 1); f[0] = 1.5; return {u8, f, dv: new DataView(b, 2, 4), b}; })()',
  'v.u8[4] = 9; const shared = new Uint8Array(v.b)[8] === 9; v.u8[4] = 0; return shared && v.u8.buffer === v.f.buffer && v.dv.buffer === v.b && v.u8.byteOffset === 4 && v.u8.length === 8 && v.f[0] === 1.5 && v.dv.byteOffset === 2 && v.dv.byteLength === 4',
  'object');
roundTrip('errors', '(() => { const e = new TypeError("bad", {cause: new Error("inner")}); e.code = "E_BAD"; return e; })()',
  'v instanceof TypeError && v.message === "bad" && v.cause.message === "inner" && v.code === "E_BAD" && v.stack.includes("bad") && !Object.keys(v).includes("message") && Object.keys(v).join() === "code"',
  'TypeError');
roundTrip('an AggregateError and a renamed error', '[new AggregateError([new RangeError("one")], "many"), Object.assign(new Error("x"), {name: "Custom"})]',
  'v[0] instanceof AggregateError && v[0].errors[0] instanceof RangeError && v[0].message === "many" && v[1].name === "Custom" && v[1] instanceof Error',
  'Array');
roundTrip('boxed primitives', '[new Number(-0), new String("s"), new Boolean(false), Object(3n)]',
  'typeof v[0] === "object" && Object.is(v[0].valueOf(), -0) && v[1] instanceof String && v[1].valueOf() === "s" && v[2].valueOf() === false && v[3].valueOf() === 3n',
  'Array');
roundTrip('a cycle', '(() => { const o = {a: [1]}; o.self = o; o.a.push(o); return o; })()',
  'v.self === v && v.a[1] === v', 'object');
roundTrip('cycles through a Map, a Set and an error', '(() => { const m = new Map(); m.set(m, m); const s = new Set(); s.add(s); const e = new Error("e"); e.cause = e; return [m, s, e]; })()',
  'v[0].get(v[0]) === v[0] && v[1].has(v[1]) && v[2].cause === v[2]', 'Array');
roundTrip('shared references', '(() => { const s = {n: 1}; return {a: s, b: [s], c: new Map([[s, s]])}; })()',
  'v.a === v.b[0] && v.c.get(v.a) === v.a', 'object');
roundTrip('nested getters are read', '({get g() { return {deep: 1}; }})', 'v.g.deep === 1 && Object.getOwnPropertyDescriptor(v, "g").value !== undefined', 'object');
roundTrip('1,000 levels of nesting', '(() => { const o = {}; let p = o; for (let i = 1; i < 1000; i++) p = p.n = {}; return o; })()',
  'let d = 1; for (let p = v; p.n; p = p.n) d++; return d === 1000', 'object');

roundTrip('strings with a NUL or lone surrogates', '["a\\u0000b", "\\ud800", "x\\udc00y", "\\udc00\\ud800", "\\ud83d\\ude00\\ud83d", "\\u0000"]',
  'v[0] === "a\\u0000b" && v[1] === "\\ud800" && v[2] === "x\\udc00y" && v[3] === "\\udc00\\ud800" && v[4] === "\\ud83d\\ude00\\ud83d" && v[5] === "\\u0000"',
  'Array');
roundTrip('keys and a RegExp source with a NUL or a lone surrogate',
  '({"k\\u0000": 1, "\\ud800": 2, m: new Map([["\\udfff", 3]]), r: new RegExp("\\ud800|\\u0000")})',
  'v["k\\u0000"] === 1 && v["\\ud800"] === 2 && v.m.get("\\udfff") === 3 && v.r.source === new RegExp("\\ud800|\\u0000").source',
  'object');
roundTrip('integers past 2^53', '[2 ** 64, -(2 ** 63), 1e20, 2 ** 53, 123456789012345680000, 1e21, 2 ** 53 - 1]',
  'v.join() === [2 ** 64, -(2 ** 63), 1e20, 2 ** 53, 123456789012345680000, 1e21, 2 ** 53 - 1].join()', 'Array');

// What a strict JSON parser in C refuses: "\u0000", a lone surrogate's
// escape, an integer that does not fit in 64 bits.
function strictJSONProblems(json) {
  const problems = [];
  // An escape is a backslash that an even number of backslashes precede.
  for (const m of json.matchAll(/(?<!\\)(?:\\\\)*\\u(0000|d[89a-f][0-9a-f]{2})/gi)) problems.push(`\\u${m[1]}`);
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(json)) problems.push('a raw lone surrogate');
  for (const m of json.matchAll(/(?<![\w".])-?\d{19,}(?![\d.eE])/g)) problems.push(`the integer ${m[0]}`);
  return problems;
}

test('store: the snapshot has nothing a strict JSON parser refuses', () => {
  const a = session();
  a.eval(`var s = ["\\u0000", "a\\ud800", "\\udc00"]; var o = {"\\u0000": 1, "k\\udbff": {}}; var n = [2 ** 64, -1e19];
    var e = new Error("bad \\u0000 \\ud800"); var f = {[String.fromCharCode(0)]: () => 1}; class X\\u0061 {}; var r = /\\0/;
    globalThis["name\\u0000"] = 1; globalThis["\\ud800"] = 2;`);
  const json = a.snapshot();
  assert.deepEqual(strictJSONProblems(json), []);
  const doc = JSON.parse(json);
  assert.equal(doc.omitted, 2, 'the two awkward names are omitted');
  assert.equal(byName(doc.vars).f.reason, 'f["\\u0000"] is a function');
  assert.deepEqual(strictJSONProblems('["\\u0000", "\\\\u0000", "\\\\\\ud800", 12345678901234567890]'),
    ['\\u0000', '\\ud800', 'the integer 12345678901234567890'], 'the checker itself');
  const b = restart(a);
  assert.equal(b.snapshot(), json.replace(',"omitted":2', ''));
  assert.equal(b.eval('s[0] === "\\u0000" && s[1] === "a\\ud800" && o["\\u0000"] === 1 && e.message === "bad \\u0000 \\ud800" && n[0] === 2 ** 64'), true);
});

test('store: shared references between bindings stay shared', () => {
  const a = session();
  a.eval('var shared = {n: 1}; var holder = {s: shared}; var list = [shared, holder]; var fn = () => shared;');
  const b = restart(a);
  assert.equal(b.eval('holder.s === shared && list[0] === shared && list[1] === holder'), true);
});

test('store: a binding that fails gives back its object ids', () => {
  const a = session();
  // "bad" comes first and meets `obj` before failing; "good" must not refer
  // to an id that the failed binding took.
  a.eval('var obj = {n: 1}; var bad = [obj, () => 1]; var good = [obj, obj];');
  const vars = byName(a.vars());
  assert.equal(vars.bad.persisted, false);
  assert.equal(vars.bad.reason, 'bad[1] is a function');
  const b = restart(a);
  assert.equal(b.eval('good[0] === good[1] && good[0] === obj && obj.n === 1'), true);
});

test('store: entries are sorted by name and string-keyed only', () => {
  const a = session();
  a.eval('var b = 1, a = 2, B = 3; globalThis[Symbol("s")] = 4; globalThis["é"] = 5; globalThis[""] = 6;');
  assert.deepEqual(a.vars().map((v) => v.name), ['', 'B', 'a', 'b', 'é']);
  const b = restart(a);
  assert.equal(b.eval('globalThis[""] === 6 && globalThis["é"] === 5'), true);
});

test('store: the snapshot format', () => {
  const a = session();
  a.eval('var n = 1; var f = function () {};');
  assert.equal(a.snapshot(),
    '{"v":1,"vars":[{"name":"f","type":"function","persisted":false,"reason":"a function"},' +
    '{"name":"n","type":"number","persisted":true,"value":1}]}');
});

// --- what is not stored ------------------------------------------------------

function notStored(name, code, binding, type, reason) {
  test(`not stored: ${name}`, () => {
    const a = session();
    a.eval(code);
    const v = byName(a.vars())[binding];
    assert.ok(v, `${binding} is listed`);
    assert.equal(v.persisted, false);
    assert.equal(v.type, type);
    if (reason instanceof RegExp) assert.match(v.reason, reason);
    else assert.equal(v.reason, reason);
    assert.equal(Object.hasOwn(v, 'value'), false);
  });
}

notStored('a function', 'var f = function () {};', 'f', 'function', 'a function');
notStored('an async arrow function', 'var f = async () => 1;', 'f', 'function', 'a function');
notStored('a class', 'var K = class { m() {} };', 'K', 'class', 'a class');
notStored('a symbol', 'var s = Symbol("x");', 's', 'symbol', 'a symbol');
notStored('a Promise', 'var p = Promise.resolve(1);', 'p', 'Promise', 'a Promise');
notStored('a WeakMap', 'var w = new WeakMap();', 'w', 'WeakMap', 'a WeakMap');
notStored('a WeakSet', 'var w = new WeakSet();', 'w', 'WeakSet', 'a WeakSet');
notStored('a WeakRef', 'var w = new WeakRef({});', 'w', 'WeakRef', 'a WeakRef');
notStored('a Symbol object', 'var s = Object(Symbol());', 's', 'Symbol', 'a Symbol object');
notStored('an instance of a user class', 'class Point { constructor() { this.x = 1 } norm() {} }\nvar p = new Point();',
  'p', 'Point', 'an instance of Point (a class with methods)');
notStored('an instance of a class without methods', 'var p = new (class Bare { constructor() { this.x = 1 } })();',
  'p', 'Bare', 'an instance of Bare (a class)');
notStored('an instance of a constructor function', 'function Old() {}\nvar p = new Old();', 'p', 'Old', 'an instance of Old');
notStored('a subclass of Map', 'var m = new (class MyMap extends Map {})();', 'm', 'MyMap', 'an instance of MyMap (a class)');
notStored('an object with another prototype', 'var o = Object.create({a: 1});', 'o', 'object',
  'an object whose prototype is not Object.prototype');
notStored('a generator', 'var g = (function* () {})();', 'g', 'Generator', 'a Generator object');
notStored('a fake Map', 'var m = Object.create(Map.prototype);', 'm', 'object',
  'an object that inherits from Map.prototype but is not a Map');
notStored('the global object', 'var g = globalThis;', 'g', 'object', 'the global object');
notStored('a function inside', 'var cfg = {handlers: [1, 2, function () {}]};', 'cfg', 'object', 'cfg.handlers[2] is a function');
notStored('a symbol in a Map value', 'var m = new Map([["k", {s: Symbol()}]]);', 'm', 'Map', 'm.get("k").s is a symbol');
notStored('a class instance as a Map key', 'var m = new Map([[1, 1], [new (class A { f() {} })(), 2]]);', 'm', 'Map',
  'm.keys()[1] is an instance of A (a class with methods)');
notStored('a promise in a Set', 'var s = new Set([1, Promise.resolve()]);', 's', 'Set', 's.values()[1] is a Promise');
notStored('an odd key in the path', 'var o = {"a b": {c: [() => 1]}};', 'o', 'object', 'o["a b"].c[0] is a function');
notStored('an error cause', 'var e = new Error("x", {cause: () => 1});', 'e', 'Error', 'e.cause is a function');
notStored('a global accessor, which is never called',
  'Object.defineProperty(globalThis, "acc", {get() { throw new Error("called") }, configurable: true});',
  'acc', 'accessor', 'an accessor property');
notStored('a throwing nested getter', 'var g = {a: {get b() { throw new RangeError("nope") }}};', 'g', 'object',
  'reading g.a.b threw RangeError: nope');
notStored('a getter that throws a primitive', 'var g = [{get x() { throw "str" }}];', 'g', 'Array', 'reading g[0].x threw "str"');
notStored('a Proxy whose trap throws', 'var p = {inner: new Proxy({}, {ownKeys() { throw new TypeError("trap") }})};', 'p', 'object',
  'reading p.inner threw TypeError: trap');
notStored('a revoked Proxy', 'var r = Proxy.revocable({}, {}); r.revoke(); var p = r.proxy;', 'p', 'object',
  /^reading p threw TypeError: /);
notStored('100,000 levels of nesting', 'var deep = {}; for (let i = 0, p = deep; i < 100000; i++) p = p.n = {};',
  'deep', 'object', 'nested more than 1000 levels deep');
notStored('1,001 levels of nesting', 'var deep = {}; for (let i = 1, p = deep; i < 1001; i++) p = p.n = {};',
  'deep', 'object', 'nested more than 1000 levels deep');
notStored('100,000 levels of arrays', 'var deep = []; for (let i = 0, p = deep; i < 100000; i++) p = p[0] = [];',
  'deep', 'Array', 'nested more than 1000 levels deep');

test('not stored: a throwing getter does not stop the other bindings', () => {
  const a = session();
  a.eval('var a1 = 1; var bad = {get x() { throw new Error("no") }}; var z = "z";');
  const vars = byName(a.vars());
  assert.equal(vars.a1.persisted, true);
  assert.equal(vars.z.persisted, true);
  assert.equal(vars.bad.persisted, false);
});

// --- size ----------------------------------------------------------------------

test('size: a value over the cap is left out with its size', () => {
  const a = session();
  a.eval('var big = "x".repeat(1000); var small = 1;');
  const json = a.snapshot(600);
  assert.ok(Buffer.byteLength(json) <= 600);
  const vars = byName(JSON.parse(json).vars);
  assert.equal(vars.small.persisted, true);
  assert.equal(vars.big.persisted, false);
  assert.equal(vars.big.type, 'string');
  assert.match(vars.big.reason, /^too large to store \(more than \d+ bytes; the session state cap is 600\)$/);
});

test('size: a value that fits alone but not with the others says so', () => {
  const a = session();
  a.eval('var a = "a".repeat(300); var b = "b".repeat(300);');
  const vars = byName(JSON.parse(a.snapshot(700)).vars);
  assert.equal(vars.a.persisted, true);
  assert.equal(vars.b.persisted, false);
  assert.match(vars.b.reason, /^too large to store \((more than )?\d+ bytes; the session state cap is 700, and other bindings take \d+ of it\)$/);
});

test('size: the exact size is given when the encoding finished', () => {
  const a = session();
  a.eval('var s = "é".repeat(100);');
  // 200 bytes of UTF-8 and 2 quotes: the encoding finishes (its UTF-16
  // count is 102) but the entry is over the cap.
  const vars = byName(JSON.parse(a.snapshot(180)).vars);
  assert.equal(vars.s.reason, 'too large to store (202 bytes; the session state cap is 180)');
});

test('size: the snapshot never exceeds the cap, counting UTF-8', () => {
  const a = session();
  a.eval('for (let i = 0; i < 50; i++) globalThis["v" + i] = i % 3 ? "é😀".repeat(i) : () => i;');
  for (const cap of [60, 100, 300, 1000, 3000, 10000]) {
    const json = a.snapshot(cap);
    assert.ok(Buffer.byteLength(json) <= cap, `${Buffer.byteLength(json)} > ${cap}`);
    const doc = JSON.parse(json);
    assert.equal(doc.vars.length + (doc.omitted || 0), 50, `cap ${cap}`);
  }
  const all = JSON.parse(a.snapshot(1e9));
  assert.equal(all.omitted, undefined);
  assert.equal(all.vars.filter((v) => v.persisted).length, 33);
});

test('size: no cap when maxBytes is not a positive number', () => {
  const a = session();
  a.eval('var s = "x".repeat(100000);');
  for (const cap of [undefined, 0, -1, NaN, Infinity]) assert.equal(byName(JSON.parse(a.snapshot(cap)).vars).s.persisted, true, String(cap));
});

test('size: a large ArrayBuffer is refused before it is encoded', () => {
  const a = session();
  a.eval('var big = new ArrayBuffer(64 << 20);');
  const t0 = performance.now();
  const vars = byName(a.vars(1 << 20));
  assert.ok(performance.now() - t0 < 50, 'quick');
  assert.match(vars.big.reason, /^too large to store/);
});

// --- restore -------------------------------------------------------------------

test('restore: placeholders throw a ReferenceError that says why', () => {
  const a = session();
  a.eval('class Point { norm() {} }\nvar p = new Point(); var f = () => 1;');
  const b = restart(a);
  assert.equal(b.restored, 2);
  assert.throws(() => b.eval('p.x'), (e) => e.name === 'ReferenceError' && e.message ===
    "p could not be restored after the session's worker was restarted: an instance of Point (a class with methods). Run the code that defines it again.");
  assert.throws(() => b.eval('f()'), (e) => e.message ===
    "f could not be restored after the session's worker was restarted: a function. Run the code that defines it again.");
  assert.throws(() => b.eval('typeof f'), (e) => e.name === 'ReferenceError', 'typeof reads it too');
});

test('restore: an unassigned placeholder is carried over with its type and reason', () => {
  const a = session();
  a.eval('var cfg = {h: [() => 1]}; var n = 1;');
  const b = restart(a);
  assert.equal(b.snapshot(), a.snapshot());
  const c = restart(b);
  assert.equal(c.snapshot(), a.snapshot());
  assert.equal(byName(c.vars()).cfg.reason, 'cfg.h[0] is a function');
});

// A function declaration over a placeholder (`function f5() {}`) works in
// JavaScriptCore and in V8's own global scope, but a Node vm context's global
// reads the property first, so it is not tested here.
test('restore: a placeholder can be defined again, and then it is stored', async () => {
  const a = session();
  a.eval('var f1 = () => 1, f2 = () => 2, f3 = () => 3, f4 = () => 4, f6 = () => 6;');
  const b = restart(a);
  await b.run('f1 = 10');
  await b.run('var f2 = 20');
  await b.run('let f3 = 30');
  await b.run('const f4 = await 40');
  await b.run('class f6 { static v = 60 }');
  assert.equal(await b.run('f1 + f2 + f3 + f4 + f6.v'), 160);
  const vars = byName(b.vars());
  for (const n of ['f1', 'f2', 'f3', 'f4']) assert.equal(vars[n].persisted, true, n);
  assert.equal(vars.f6.type, 'class');
  const c = restart(b);
  assert.equal(c.eval('f1 + f2 + f3 + f4'), 100);
});

test('restore: a placeholder can be deleted', () => {
  const a = session();
  a.eval('var f = () => 1;');
  const b = restart(a);
  assert.equal(b.eval('delete globalThis.f'), true);
  assert.equal(b.eval('typeof f'), 'undefined');
  assert.deepEqual(b.vars(), []);
});

test('restore: values have the prototypes of the new context', () => {
  const a = session();
  a.eval('var all = [{}, [], new Map(), new Set(), new Date(0), /x/, new ArrayBuffer(1), new Uint8Array(1), new DataView(new ArrayBuffer(1)), new Error(), new Number(1)];');
  const b = restart(a);
  assert.equal(b.eval('[Object, Array, Map, Set, Date, RegExp, ArrayBuffer, Uint8Array, DataView, Error, Number].every((C, i) => Object.getPrototypeOf(all[i]) === C.prototype)'), true);
  assert.equal(b.eval('all instanceof Array'), true);
});

test('restore: bindings are writable, enumerable, configurable data properties', () => {
  const a = session();
  a.eval('var x = 1;');
  const b = restart(a);
  assert.equal(b.eval('JSON.stringify(Object.getOwnPropertyDescriptor(globalThis, "x"))'),
    '{"value":1,"writable":true,"enumerable":true,"configurable":true}');
});

test('restore: restored names are user bindings, even over a runtime global', () => {
  const a = session();
  a.eval('var both = 1;');
  const b = restart(a, 'globalThis.both = "runtime";');
  assert.equal(b.eval('both'), 1);
  b.eval('both = 2');
  assert.equal(byName(b.vars()).both.value, 2);
});

test('restore: malformed state is a TypeError and defines nothing', () => {
  const good = '{"name":"ok","type":"number","persisted":true,"value":1}';
  const cases = [
    [42, /not a string/],
    ['not json', /not JSON/],
    ['[]', /not an object/],
    ['{"v":2,"vars":[]}', /v: not 1/],
    ['{"v":1}', /vars: not an array/],
    [`{"v":1,"vars":[${good},7]}`, /vars\[1\]: not an object/],
    [`{"v":1,"vars":[${good},{"type":"x","persisted":true,"value":1}]}`, /vars\[1\]: no name/],
    [`{"v":1,"vars":[${good},${good}]}`, /the name "ok" again/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":"yes","value":1}]}', /persisted is not a boolean/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true}]}', /no value/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":false}]}', /no reason/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["q"]}]}', /vars\[0\] \("z"\): an unknown tag "q"/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["@",3]}]}', /unknown object 3/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["a",0,[["o",0,[]]]]}]}', /repeated object id 0/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["B",0,"abc"]}]}', /bad base64/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["B",0,"ab!="]}]}', /bad base64/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["t",0,"Uint8Array",["B",1,"AAAA"],2,5]}]}', /a bad Uint8Array/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["t",0,"Nope",["B",1,"AAAA"],0,1]}]}', /malformed "t"/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["r",0,"(","g",0]}]}', /a bad RegExp/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["i","1.5"]}]}', /a bad BigInt/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["n","1"]}]}', /a bad number/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":{"a":1}}]}', /not an encoding/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["o",0,[["a"]]]}]}', /not \[key, value\]/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["A",0,1,[["5",1]]]}]}', /past its length/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["e",0,"Error",[["foo",1]],[]]}]}', /bad error property/],
    ['{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["x",0,["u"]]}]}', /boxed value/],
  ];
  for (const [input, re] of cases) {
    const s = session();
    assert.throws(() => s.restore(input), (e) => e.name === 'TypeError' && re.test(e.message) && e.message.startsWith('session state: '),
      `${input} → ${(() => { try { s.restore(input); return 'no throw'; } catch (e) { return e.message; } })()}`);
    assert.equal(s.eval('typeof ok + typeof z'), 'undefinedundefined', `nothing defined for ${input}`);
  }
});

test('restore: an empty state and a state with omitted entries', () => {
  const s = session();
  assert.equal(s.restore('{"v":1,"vars":[]}'), 0);
  assert.equal(s.restore('{"v":1,"vars":[{"name":"x","type":"number","persisted":true,"value":1}],"omitted":3}'), 1);
});

test('restore and snapshot before init are TypeErrors', () => {
  const context = bareContext();
  const m = vm.runInContext(SESSION_JS, context);
  assert.throws(() => m.snapshot(1), /before init/);
  assert.throws(() => m.restore('{}'), /before init/);
  assert.throws(() => m.init(1), /global object/);
});

// --- the baseline ----------------------------------------------------------------

test('baseline: runtime globals are not listed, user globals are', () => {
  const a = session('globalThis.runtimeThing = 1; globalThis.lazy = 2;');
  a.eval('globalThis.foo = 1; runtimeThing = 5; var bar = 2; Object.defineProperty(globalThis, "hidden", {value: 3, configurable: true});');
  assert.deepEqual(a.vars().map((v) => v.name), ['bar', 'foo', 'hidden']);
  const b = restart(a);
  assert.equal(b.eval('hidden + foo + bar'), 6);
  assert.equal(b.eval('typeof runtimeThing'), 'undefined');
});

// With corral's runtime (tests/js/runtime-sim.mjs: its globals are lazy
// accessors until first use, as the C side makes them).
test('baseline: the runtime\'s globals, before and after it loads, are not listed', () => {
  const sim = createSim();
  const m = vm.runInContext(SESSION_JS, sim.ctx);
  m.init(sim.g);
  assert.equal(m.snapshot(1e6), '{"v":1,"vars":[]}');
  sim.runtime();
  assert.equal(sim.loaded(), true);
  assert.equal(m.snapshot(1e6), '{"v":1,"vars":[]}');
  vm.runInContext(`var u = new URL('http://x/'); var b = Buffer.from('hi'); var h = new Headers(); var path = require('path');
    var sc = structuredClone({m: new Map([[1, new Uint8Array(2)]])}); var enc = new TextEncoder().encode('é');`, sim.ctx);
  assert.deepEqual(JSON.parse(m.snapshot(1e6)).vars.map((v) => [v.name, v.type, v.persisted ? 'stored' : v.reason]), [
    ['b', 'Buffer', 'a Buffer object'],
    ['enc', 'Uint8Array', 'stored'],
    ['h', 'Headers', 'a Headers object'],
    ['path', 'object', 'path.resolve is a function'],
    ['sc', 'object', 'stored'],
    ['u', 'URL', 'a URL object'],
  ]);
});

test('baseline: the built-ins of the context are never listed', () => {
  const a = session();
  assert.deepEqual(a.vars(), []);
  a.eval('Math.extra = 1; Object.prototype.polluted = 1; delete globalThis.Reflect;');
  assert.deepEqual(a.vars(), []);
});

// --- builtins that user code changes ---------------------------------------------

// The descriptors have a null prototype: after the "value" and "get"
// accessors on Object.prototype, an ordinary one would no longer work.
const POISON = [
  'Object.keys = () => []; Object.getOwnPropertyNames = () => [];',
  'Reflect.ownKeys = () => []; Reflect.getOwnPropertyDescriptor = () => undefined; Reflect.apply = () => 0;',
  'Map.prototype.forEach = function () {}; Map.prototype.get = function () { return 1 }; Map.prototype.set = function () { throw 1 };',
  'Map.prototype.has = () => true; Map.prototype.entries = function* () {}; Map.prototype[Symbol.iterator] = function* () {};',
  'Set.prototype.forEach = function () {}; Set.prototype.add = function () { throw 1 }; Set.prototype.values = function* () {};',
  'JSON.stringify = () => "\\"x\\""; JSON.parse = () => ({});',
  'Array.prototype[Symbol.iterator] = function* () { yield "poison" }; Array.prototype.push = function () { throw 1 };',
  'Array.prototype.sort = function () { return this.reverse() }; Array.isArray = () => false;',
  'Object.defineProperty(Object.prototype, "value", {__proto__: null, set() { throw 1 }, get() { return 42 }, configurable: true});',
  'Object.defineProperty(Object.prototype, "get", {__proto__: null, get() { return function () { return 0 } }, configurable: true});',
  'Object.defineProperty(Object.prototype, "set", {__proto__: null, get() { return function () { throw 9 } }, configurable: true});',
  'Object.defineProperty(Object.prototype, "enumerable", {__proto__: null, get() { return false }, configurable: true});',
  'Object.defineProperty(Object.prototype, "0", {__proto__: null, set() { throw 2 }, get() { return "p0" }, configurable: true});',
  'Object.defineProperty(Object.prototype, "1", {__proto__: null, set() { throw 2 }, configurable: true});',
  'Object.defineProperty(Array.prototype, "0", {__proto__: null, set() { throw 3 }, configurable: true});',
  'Object.defineProperty(Object.prototype, "__proto__", {__proto__: null, set() { throw 4 }, configurable: true});',
  'Object.prototype.type = "poison"; Object.prototype.reason = "poison"; Object.prototype.persisted = true;',
  'Function.prototype.call = function () { throw 4 }; Function.prototype.apply = function () { throw 5 };',
  'Function.prototype.bind = function () { throw 6 }; Function.prototype.toString = () => "class {}";',
  'String.prototype.slice = () => ""; String.prototype.charCodeAt = () => 0; String.prototype.startsWith = () => true;',
  'RegExp.prototype.exec = () => null; RegExp.prototype.test = () => true; RegExp.prototype[Symbol.match] = () => null;',
  'Date.prototype.getTime = () => 0; Number.prototype.toString = () => "n"; BigInt.prototype.toString = () => "b";',
  'Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), "length", {__proto__: null, get() { return 0 }});',
  'Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), "buffer", {__proto__: null, get() { return new ArrayBuffer(1) }});',
  'Object.defineProperty(ArrayBuffer.prototype, "byteLength", {__proto__: null, get() { return 0 }});',
  'Object.defineProperty(Map.prototype, "size", {__proto__: null, get() { return 0 }});',
  'Reflect.defineProperty = () => false; Reflect.getPrototypeOf = () => null;',
  'Object.defineProperty = null; Object.getPrototypeOf = () => null;',
  'Map = function () {}; Set = null; Error = null; TypeError = null; ReferenceError = null; Uint8Array = null; Date = null;',
  'Symbol = null; Object = null; Array = null; JSON = null; Reflect = null; BigInt = null; RegExp = null; String = null;',
].join('\n');

const STATE = `var keep = {a: [1, , {b: new Map([[1, new Set(["s"])]])}], d: new Date(5), t: new Uint8Array([1, 2]), r: /x/g,
  e: new RangeError("r"), n: -0, big: 2n, o: Object.create(null), ["__proto__"]: 1, box: new Number(1), dv: new DataView(new ArrayBuffer(2))};
keep.self = keep; var f = () => 1; var cls = class {}; var inst = new (class I { m() {} })();
var thrower = (() => { const e = new RangeError("t"); return {get x() { throw e }}; })(); var big = "x".repeat(200);`;

// A Node vm context's global object answers getOwnPropertyDescriptor through
// an interceptor that builds its descriptor as an ordinary object, which a
// "get" or "value" accessor on Object.prototype breaks (V8 aborts). So the
// whole list runs against a stand-in global object (an ordinary object in
// the context, given to init), and the list without those lines against the
// real one.
const POISON_FOR_VM_GLOBAL = POISON.split('\n')
  .filter((l) => !/Object\.prototype, "(get|set|value|enumerable)"/.test(l)).join('\n');
const STATE_NAMES = '{keep, f, cls, inst, thrower, big}';

// A session whose global object, for the session bundle, is `H`, an
// ordinary object of the context; `state` runs first and its bindings are
// copied to H.
function standIn(state = '') {
  const context = bareContext();
  const m = vm.runInContext(SESSION_JS, context);
  const H = vm.runInContext('globalThis.H = {}', context);
  m.init(H);
  if (state) vm.runInContext(`${state}\nObject.assign(H, ${STATE_NAMES});`, context);
  return { m, H, eval: (code) => vm.runInContext(code, context) };
}

test('poison: a snapshot after user code replaces builtins is the same', () => {
  const a = session();
  a.eval(STATE);
  const before = a.snapshot(2000);
  assert.match(before, /"persisted":true/);
  a.eval(POISON_FOR_VM_GLOBAL);
  assert.equal(a.snapshot(2000), before);
});

test('poison: every replaced builtin and Object.prototype accessor, on a stand-in global', () => {
  const a = standIn(STATE);
  const before = a.m.snapshot(2000);
  assert.deepEqual(JSON.parse(before).vars.map((v) => [v.name, v.persisted]),
    [['big', true], ['cls', false], ['f', false], ['inst', false], ['keep', true], ['thrower', false]]);
  a.eval(POISON);
  assert.equal(a.m.snapshot(2000), before);
  const b = standIn();
  b.eval(POISON);
  assert.equal(b.m.restore(before), 6);
  assert.equal(b.eval('H.keep.self === H.keep && H.keep.t[1] === 2 && H.keep.__proto__ === 1'), true);
  assert.equal(b.m.snapshot(2000), before, 'the restored state stores the same');
  assert.throws(() => b.eval('H.f'), (e) => /^f could not be restored/.test(e.message));
  b.eval('H.f = 3');
  assert.equal(b.eval('H.f'), 3);
  assert.equal(b.m.snapshot(2000), before.replace('"f","type":"function","persisted":false,"reason":"a function"',
    '"f","type":"number","persisted":true,"value":3'));
});

test('poison: restore works after user code replaces builtins', () => {
  const a = session();
  a.eval(STATE);
  const json = a.snapshot();
  const b = session();
  b.eval(POISON_FOR_VM_GLOBAL);
  const n = b.restore(json);
  assert.equal(n, 6);
  assert.equal(b.eval('keep.self === keep && keep.t[1] === 2 && keep.__proto__ === 1 && typeof big'), 'string');
  assert.equal(b.snapshot(), json, 'the restored state stores the same');
  assert.throws(() => b.eval('f'), (e) => /could not be restored/.test(e.message));
  b.eval('f = 3');
  assert.equal(b.eval('f'), 3);
});

test('poison: a bad restore input still gives a TypeError', () => {
  const b = standIn();
  b.eval(POISON);
  let err = null;
  try {
    b.m.restore('{"v":1,"vars":[{"name":"z","type":"x","persisted":true,"value":["q"]}]}');
  } catch (e) {
    err = e;
  }
  assert.ok(err && err.message.startsWith('session state: '), String(err));
  assert.equal(err.name, 'TypeError');
});

// --- speed -----------------------------------------------------------------------

test('speed: a snapshot of 100 small mixed bindings', () => {
  const a = session();
  const kinds = ['1', '"str"', '{a: 1, b: [1, 2, 3]}', '[1, "x", null]', 'new Date(5)', 'true', '{x: {y: {z: 1}}}',
    'new Map([[1, 2]])', '-0', '() => 1'];
  a.eval(Array.from({ length: 100 }, (_, i) => `var v${i} = ${kinds[i % kinds.length]};`).join('\n'));
  for (let i = 0; i < 300; i++) a.snapshot(1e6);
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) a.snapshot(1e6);
  const ms = (performance.now() - t0) / n;
  console.log(`# snapshot of 100 bindings: ${ms.toFixed(3)} ms (${a.snapshot(1e6).length} bytes)`);
  assert.ok(ms < 5, `${ms} ms`);
  const json = a.snapshot(1e6);
  const t1 = performance.now();
  for (let i = 0; i < 200; i++) session().restore(json);
  console.log(`# fresh context + init + restore of 100 bindings: ${((performance.now() - t1) / 200).toFixed(3)} ms`);
});

// ---------------------------------------------------------------------------------

const failed = await runTap(tests.filter((t) => t.name.includes(filter)));
process.exitCode = failed > 0 ? 1 : 0;
