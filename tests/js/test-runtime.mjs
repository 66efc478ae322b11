#!/usr/bin/env node
// Unit tests of the runtime bundle (src/worker/js/runtime, built by
// scripts/build-js.mjs) in a vm context without Node's globals, on a mock
// host (tests/js/runtime-sim.mjs), plus the transpiler of the tools bundle.
// What only the engine can show (JavaScriptCore itself, the C host) is in
// tests/e2e/30-compat.py and the C side's tests.
//
// Usage: node tests/js/test-runtime.mjs [FILTER]
// Prints TAP and a last line "N passed, M failed"; exits 1 on a failure.

import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';
import { createSim, loadBundles, tools } from './runtime-sim.mjs';
import { runTap } from './tap.mjs';

const filter = process.argv[2] || '';
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// Runs code in a fresh simulated context; returns the run's result and the
// simulator. Fails on any read of a browser/other-runtime global.
async function run(code, options = {}) {
  const sim = createSim(options);
  const r = await sim.run(code);
  if (sim.reads.size) throw new Error(`the runtime read foreign globals: ${[...sim.reads].join(', ')}`);
  if (r.error && !options.allowError) throw r.error;
  return { ...r, sim };
}

// The value of an expression, evaluated after `setup` (no top-level await).
async function value(expr, options = {}) {
  const r = await run(`${options.setup || ''}\n;(${expr})`, options);
  return r.value;
}

const json = (v) => JSON.parse(JSON.stringify(v));

// --- the build -------------------------------------------------------------

test('the C file lists exactly the globals of globals.js, and install defines each', async () => {
  const b = loadBundles();
  const sim = createSim();
  const rt = sim.runtime();
  assert.deepEqual([...rt.globals], b.globals);
  assert.ok(b.globals.length >= 40);
  assert.match(b.c, /const char corral_js_runtime\[\]/);
  assert.match(b.c, /const unsigned long corral_js_runtime_globals_len = \d+;/);
  for (const name of b.globals) {
    const d = Object.getOwnPropertyDescriptor(sim.g, name);
    assert.ok(d, `${name} is defined`);
    assert.equal(d.enumerable, false, `${name} is not enumerable`);
    assert.equal(d.configurable, true, `${name} is configurable`);
  }
});

test('the runtime exports install, globals, version, requireFor, runMain, builtin', async () => {
  const rt = createSim().runtime();
  for (const k of ['install', 'globals', 'version', 'requireFor', 'runMain', 'builtin']) assert.ok(k in rt, k);
  assert.equal(typeof rt.builtin('path').join, 'function');
  assert.equal(rt.builtin('node:path'), rt.builtin('path'));
});

// --- lazy loading and install() ---------------------------------------------

test('host globals alone do not load the runtime', async () => {
  const { sim } = await run("typeof setTimeout + typeof console.log + typeof queueMicrotask; console.log({a: 1})");
  assert.equal(sim.loaded(), false);
});

test('the first runtime global loads the runtime once; later reads do not reload it', async () => {
  const { sim, value: v } = await run("[typeof URL, typeof Buffer, typeof process, typeof fetch, typeof require]");
  assert.deepEqual(json(v), ['function', 'function', 'object', 'function', 'function']);
  assert.equal(sim.loads(), 1);
});

test('install defines accessors that become data properties: writable, configurable, not enumerable', async () => {
  const v = await value(`(() => { void atob; const out = {};
    const before = Object.getOwnPropertyDescriptor(globalThis, 'process');
    out.accessorFirst = [typeof before.get, typeof before.set, before.enumerable, before.configurable];
    for (const n of ['atob', 'process', 'structuredClone', 'global']) {
      void globalThis[n];
      const d = Object.getOwnPropertyDescriptor(globalThis, n);
      out[n] = [('value' in d), d.writable, d.enumerable, d.configurable];
    }
    void URL; const u = Object.getOwnPropertyDescriptor(globalThis, 'URL');
    out.URL = [('value' in u), u.writable, u.enumerable, u.configurable];
    return out; })()`);
  const got = json(v);
  assert.deepEqual(got.accessorFirst, ['function', 'function', false, true]);
  delete got.accessorFirst;
  for (const [k, d] of Object.entries(got)) assert.deepEqual(d, [true, true, false, true], k);
});

test('a global assigned before the runtime loads keeps the assigned value', async () => {
  const v = await value("(URL = 'mine', [typeof Buffer, URL, typeof URLSearchParams])");
  assert.deepEqual(json(v), ['function', 'mine', 'function']);
});

test('a lazy global can be overwritten before its first read', async () => {
  const v = await value("(void atob, fetch = 1, ReadableStream = 2, [fetch, ReadableStream, typeof Response])");
  assert.deepEqual(json(v), [1, 2, 'function']);
});

test('install is idempotent and refuses a second global object', async () => {
  const sim = createSim();
  const rt = sim.runtime();
  rt.install(sim.g, sim.host);
  assert.throws(() => rt.install({}, sim.host), /already installed/);
});

test('install() itself is cheap', async () => {
  const b = loadBundles();
  const times = [];
  for (let i = 0; i < 20; i++) {
    const sim = createSim();
    const rt = vm.runInContext(b.runtime, sim.ctx);
    const t0 = performance.now();
    rt.install(sim.g, sim.host);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[10];
  console.log(`# install() on an empty context (V8, node vm): median ${(median * 1000).toFixed(0)} µs`);
  assert.ok(median < 5, `install took ${median} ms`);
});

// --- require and builtins ----------------------------------------------------

const FORBIDDEN = ['child_process', 'cluster', 'worker_threads', 'dgram', 'inspector', 'v8', 'vm', 'repl', 'trace_events',
  'wasi', 'readline'];

test('every forbidden builtin throws ERR_CORRAL_FORBIDDEN_MODULE naming the module', async () => {
  const v = await value(`${JSON.stringify(FORBIDDEN)}.flatMap((n) => [n, 'node:' + n]).map((n) => {
    try { require(n); return n + ': loaded'; } catch (e) { return [n, e.code, e.message, e instanceof Error]; } })`);
  for (const [name, code, message, isError] of json(v)) {
    assert.equal(code, 'ERR_CORRAL_FORBIDDEN_MODULE', name);
    assert.equal(isError, true);
    const bare = name.replace(/^node:/, '');
    assert.ok(message.startsWith(`Cannot load '${bare}': corral runs code in a sandbox without processes, sockets or a host file system`), message);
  }
});

test('Node builtins corral lacks are refused the same way; unknown names are MODULE_NOT_FOUND', async () => {
  const v = await value(`['domain', 'constants', 'node:test', 'nope', 'node:nope'].map((n) => {
    try { require(n); return 'loaded'; } catch (e) { return [e.code, e.message]; } })`);
  const [domain, constants, ntest, nope, nodeNope] = json(v);
  assert.deepEqual(domain, ['ERR_CORRAL_FORBIDDEN_MODULE', "Cannot load 'domain': corral does not provide this Node built-in module"]);
  assert.equal(constants[0], 'ERR_CORRAL_FORBIDDEN_MODULE');
  assert.equal(ntest[0], 'ERR_CORRAL_FORBIDDEN_MODULE');
  assert.deepEqual(nope, ['MODULE_NOT_FOUND', "Cannot find module 'nope'\nRequire stack:\n- /main.js"]);
  assert.deepEqual(nodeNope, ['ERR_UNKNOWN_BUILTIN_MODULE', 'No such built-in module: node:nope']);
});

test('supported builtins load, with and without node:', async () => {
  const names = ['assert', 'assert/strict', 'buffer', 'console', 'crypto', 'events', 'fs', 'fs/promises', 'module', 'os', 'path',
    'path/posix', 'perf_hooks', 'process', 'punycode', 'querystring', 'stream', 'stream/promises', 'stream/web', 'string_decoder',
    'timers', 'timers/promises', 'tty', 'url', 'util', 'util/types'];
  const v = await value(`${JSON.stringify(names)}.map((n) => [typeof require(n), require('node:' + n) === require(n)])`);
  for (const [i, [t, same]] of json(v).entries()) {
    assert.ok(t === 'object' || t === 'function', names[i]);
    assert.equal(same, true, names[i]);
  }
});

const PACKAGE = {
  '/package.json': JSON.stringify({ name: 'app', version: '1.0.0' }),
  '/lib/a.js': "exports.name = 'a'; exports.b = require('./b').name; exports.here = [__filename, __dirname, module.id];",
  '/lib/b.js': "const a = require('./a'); exports.name = 'b'; exports.sawA = JSON.stringify(a);",
  '/lib/data.json': '{"x": [1, 2, 3]}',
  '/lib/bad.json': '{"x": ',
  '/lib/throws.js': "throw new Error('module failed');",
  '/node_modules/dep/package.json': JSON.stringify({ name: 'dep', main: './dist/index.js' }),
  '/node_modules/dep/dist/index.js': "module.exports = { dep: true, sub: require('sub') };",
  '/node_modules/dep/node_modules/sub/index.js': "module.exports = 'nested sub';",
  '/node_modules/exp/package.json': JSON.stringify({ name: 'exp', exports: { '.': { import: './esm.mjs', require: './cjs.cjs' }, './feature/*': './features/*.js' } }),
  '/node_modules/exp/cjs.cjs': "module.exports = 'exp cjs';",
  '/node_modules/exp/features/one.js': "module.exports = 'feature one';",
  '/src/util.ts': 'export enum Color { Red, Green = 5, Blue }\nexport interface Shape { area(): number }\n'
    + 'export function largest<T extends Shape>(xs: T[]): T { return xs.reduce((a, b) => (a.area() >= b.area() ? a : b)); }\n'
    + 'export class Square implements Shape { constructor(private side: number) {} area(): number { return this.side ** 2; } }\n'
    + 'export type Pair<A, B> = [A, B];\nexport const meta = import.meta.url;\n',
  '/src/main.ts': "import { Color, largest, Square, meta } from './util';\nimport type { Pair } from './util';\n"
    + "const p: Pair<string, number> = ['x', 1];\nexport default { color: Color.Blue, name: Color[5], big: largest([new Square(2), new Square(3)]).area(), p, meta };\n",
  '/src/esm.js': "import def, { helper } from './helper.mjs';\nexport const out = [def, helper()];\nexport async function later() { const m = await import('./helper.mjs'); return m.helper(); }\n",
  '/src/helper.mjs': "export default 'default export';\nexport function helper() { return 'helped'; }\n",
  '/src/broken.ts': 'const x: number = ;\n',
  '/src/throws-late.ts': "interface I { a: number }\n\nfunction f(): never {\n  throw new Error('line 4');\n}\nexport const v = f();\n",
};

test('CommonJS: relative files, cycles, module fields, JSON, package main, nested node_modules', async () => {
  const v = await value(`(() => {
    const a = require('./lib/a');
    return [a, require('./lib/b').sawA, require('./lib/data.json').x, require('dep'), require('/lib/a.js') === a,
      require.resolve('./lib/a'), Object.keys(require.cache).sort()];
  })()`, { files: PACKAGE });
  const [a, sawA, data, dep, same, resolved, cacheKeys] = json(v);
  assert.deepEqual(a, { name: 'a', b: 'b', here: ['/lib/a.js', '/lib', '/lib/a.js'] });
  assert.equal(sawA, '{"name":"a"}');
  assert.deepEqual(data, [1, 2, 3]);
  assert.deepEqual(dep, { dep: true, sub: 'nested sub' });
  assert.equal(same, true);
  assert.equal(resolved, '/lib/a.js');
  assert.deepEqual(cacheKeys, ['/lib/a.js', '/lib/b.js', '/lib/data.json', '/main.js', '/node_modules/dep/dist/index.js',
    '/node_modules/dep/node_modules/sub/index.js']);
});

test('package.json exports: conditions and subpath patterns; unexported subpaths refused', async () => {
  const v = await value(`[require('exp'), require('exp/feature/one'), (() => { try { require('exp/other'); } catch (e) { return [e.code, e.message]; } })()]`, { files: PACKAGE });
  const [exp, one, other] = json(v);
  assert.equal(exp, 'exp cjs');
  assert.equal(one, 'feature one');
  assert.deepEqual(other, ['ERR_PACKAGE_PATH_NOT_EXPORTED', `Package subpath './other' is not defined by "exports" in /node_modules/exp/package.json`]);
});

test('errors name the module and the requiring file, with sandbox paths only', async () => {
  const v = await value(`[
    (() => { try { require('./lib/missing'); } catch (e) { return [e.code, e.message, e.requireStack]; } })(),
    (() => { try { require('./lib/bad.json'); } catch (e) { return [e.name, e.message.startsWith('/lib/bad.json: ')]; } })(),
    (() => { try { require('./lib/throws'); } catch (e) { return [e.message, '/lib/throws.js' in require.cache]; } })(),
  ]`, { files: PACKAGE });
  const [missing, badJson, throws] = json(v);
  assert.deepEqual(missing, ['MODULE_NOT_FOUND', "Cannot find module './lib/missing'\nRequire stack:\n- /main.js", ['/main.js']]);
  assert.deepEqual(badJson, ['SyntaxError', true]);
  assert.deepEqual(throws, ['module failed', false]);
});

test('TypeScript with types, enums, interfaces, generics and import type runs; import.meta.url works', async () => {
  const v = await value("require('./src/main.ts').default", { files: PACKAGE });
  assert.deepEqual(json(v), { color: 6, name: 'Green', big: 9, p: ['x', 1], meta: 'file:///src/util.ts' });
});

test('ES modules between package files, with import() of a package file', async () => {
  const r = await run("const m = require('./src/esm.js'); console.log(m.out); m.later().then((v) => console.log(v));", { files: PACKAGE });
  assert.equal(r.stdout, "[ 'default export', 'helped' ]\nhelped\n");
});

test('a TypeScript syntax error is a SyntaxError naming the file and the line', async () => {
  const v = await value("(() => { try { require('./src/broken.ts'); } catch (e) { return [e.name, e.message, e.line]; } })()", { files: PACKAGE });
  const [name, message, line] = json(v);
  assert.equal(name, 'SyntaxError');
  assert.match(message, /^\/src\/broken\.ts: .*\(1:\d+\)/);
  assert.equal(line, 1);
});

test('transpiled code keeps its line numbers', async () => {
  const v = await value("(() => { try { require('./src/throws-late.ts'); } catch (e) { return e.stack; } })()", { files: PACKAGE });
  assert.match(v, /\/src\/throws-late\.ts:4:/);
});

test('transpiled modules are cached by content: the host transpiles each source once per context', async () => {
  const sim = createSim({ files: { ...PACKAGE, '/src/copy.ts': PACKAGE['/src/util.ts'] } });
  let calls = 0;
  const orig = sim.host.transpile;
  sim.host.transpile = function (...a) {
    calls++;
    return orig.apply(this, a);
  };
  const r = await sim.run("require('./src/util.ts'); require('./src/copy.ts'); delete require.cache['/src/util.ts']; require('./src/util.ts'); 1");
  assert.equal(r.error, null);
  assert.equal(calls, 1);
});

test('createRequire and module.builtinModules', async () => {
  const v = await value("[require('module').createRequire('/lib/x.js')('./a').name, require('module').builtinModules.includes('child_process'), require('module').isBuiltin('fs'), require('module').isBuiltin('left-pad')]", { files: PACKAGE });
  assert.deepEqual(json(v), ['a', true, true, false]);
});

test('requireFor and runMain (function mode)', async () => {
  const sim = createSim({ files: PACKAGE });
  const rt = sim.runtime();
  assert.equal(rt.requireFor('/lib/x.js')('./a').name, 'a');
  const main = rt.runMain('/src/main.ts');
  assert.equal(main.default.big, 9);
});

// --- fs ------------------------------------------------------------------------

test('fs reads the package and writes only /tmp', async () => {
  const v = await value(`(() => {
    const fs = require('fs');
    const err = (f) => { try { f(); return 'no error'; } catch (e) { return [e.code, e.errno, e.syscall, e.path, e.message]; } };
    fs.writeFileSync('/tmp/t.txt', 'x');
    return [fs.readFileSync('/lib/data.json', 'utf8'), fs.readdirSync('/').sort(), fs.readdirSync('lib').length,
      err(() => fs.writeFileSync('/lib/new.js', 'x')), err(() => fs.mkdirSync('/out')), err(() => fs.unlinkSync('/lib/a.js')),
      err(() => fs.readFileSync('/nope/x')), fs.readFileSync('/tmp/t.txt', 'utf8'), fs.statSync('/lib/a.js').isFile(),
      err(() => fs.accessSync('/lib/a.js', fs.constants.W_OK))];
  })()`, { files: PACKAGE });
  const [data, root, nlib, rofsWrite, rofsMkdir, rofsUnlink, enoent, tmp, isFile, access] = json(v);
  assert.equal(data, '{"x": [1, 2, 3]}');
  assert.deepEqual(root, ['lib', 'node_modules', 'package.json', 'src', 'tmp']);
  assert.equal(nlib, 5);
  assert.deepEqual(rofsWrite, ['EROFS', -30, 'open', '/lib/new.js', "EROFS: read-only file system, open '/lib/new.js'"]);
  assert.equal(rofsMkdir[0], 'EROFS');
  assert.equal(rofsUnlink[0], 'EROFS');
  assert.deepEqual(enoent, ['ENOENT', -2, 'open', '/nope/x', "ENOENT: no such file or directory, open '/nope/x'"]);
  assert.equal(tmp, 'x');
  assert.equal(isFile, true);
  assert.equal(access[0], 'EROFS');
});

test('a full /tmp is ENOSPC', async () => {
  const v = await value("(() => { try { require('fs').writeFileSync('/tmp/big', 'x'.repeat(2000)); return 'written'; } catch (e) { return [e.code, e.syscall, e.message]; } })()", { tmpCap: 1000 });
  assert.deepEqual(json(v), ['ENOSPC', 'write', 'ENOSPC: no space left on device, write']);
});

test('fs.promises and callbacks report errors the same way', async () => {
  const r = await run("require('fs').readFile('/x', (e) => console.log(e.code, e.syscall)); require('fs/promises').readFile('/y').catch((e) => console.log(e.code, e.path));");
  assert.equal(r.stdout, 'ENOENT open\nENOENT /y\n');
});

// --- process, timers ---------------------------------------------------------

test('process: env from the host, argv empty, exit throws ProcessExit with the code', async () => {
  const r = await run("console.log(process.env.GREETING, process.argv.length, process.version, process.platform, process.cwd()); process.exit(3); console.log('not reached')",
    { env: { GREETING: 'hi' } });
  assert.equal(r.stdout, 'hi 0 v20.0.0 linux /\n');
  assert.equal(r.exitCode, 3);
  const v = await value("(() => { try { process.exit(); } catch (e) { return [e.name, e.code, e instanceof Error, e.message]; } })()");
  assert.deepEqual(json(v), ['ProcessExit', 0, true, 'process.exit(0) called']);
});

test('process.hrtime and performance.now come from the coarsened host clock', async () => {
  const v = await value('[process.hrtime()[1] % 100000, Number(process.hrtime.bigint() % 100000n), (performance.now() * 10) % 1]');
  assert.deepEqual(json(v), [0, 0, 0]);
});

test('process.stdout.write without host.write writes whole lines through the console', async () => {
  const r = await run("process.stdout.write('a'); process.stdout.write('b\\nc'); process.stderr.write('e\\n')", { noWrite: true });
  assert.equal(r.stdout, 'ab\nc\n');
  assert.equal(r.stderr, 'e\n');
});

// --- fetch -----------------------------------------------------------------------

test('fetch sends the request through host.fetch and builds the Response', async () => {
  const seen = [];
  const r = await run(`const res = await fetch('https://api.example/items?id=1', { method: 'POST', headers: { 'X-Token': 't' }, body: JSON.stringify({ a: 1 }) });
    console.log(res.status, res.statusText, res.ok, res.headers.get('content-type'), res.url);
    console.log(await res.json());`, {
    fetch: async (url, method, headers, body) => {
      seen.push({ url, method, headers, body: body && body.toString() });
      return { status: 201, statusText: 'Created', headers: [['Content-Type', 'application/json']], body: '{"ok":true}' };
    },
  });
  assert.equal(r.stdout, "201 Created true application/json https://api.example/items?id=1\n{ ok: true }\n");
  assert.deepEqual(seen, [{ url: 'https://api.example/items?id=1', method: 'POST',
    headers: ['content-type', 'text/plain;charset=UTF-8', 'X-Token', 't'].length === 4 ? seen[0].headers : null, body: '{"a":1}' }]);
  assert.deepEqual([...seen[0].headers].sort(), ['X-Token', 'content-type', 't', 'text/plain;charset=UTF-8'].sort());
});

test('a refused fetch rejects with TypeError "fetch failed" and the host\'s reason as cause', async () => {
  const r = await run("try { await fetch('http://10.0.0.1/'); } catch (e) { console.log(e.name, e.message, e.cause.message); }", {
    fetch: () => { throw 'refused: host not on the allowlist'; },
  });
  assert.equal(r.stdout, 'TypeError fetch failed refused: host not on the allowlist\n');
});

test('without host.fetch, fetch rejects with a TypeError saying it is not available', async () => {
  const r = await run("fetch('https://x/').catch((e) => console.log(e.name, e.message))");
  assert.equal(r.stdout, 'TypeError fetch is not available: this corral build has no network egress\n');
});

test('an aborted fetch rejects with the signal\'s reason', async () => {
  const r = await run("const ac = new AbortController(); const p = fetch('https://slow/', { signal: ac.signal }); ac.abort(); try { await p; } catch (e) { console.log(e.name); }", {
    fetch: () => new Promise((res) => setTimeout(() => res({ status: 200, body: 'late' }), 50)),
  });
  assert.equal(r.stdout, 'AbortError\n');
});

// --- encoding, clone, crypto ----------------------------------------------------

test('TextDecoder stream: true keeps partial sequences across every split point', async () => {
  const v = await value(`(() => {
    const text = 'a€b😀c\\u00e9';
    const bytes = new TextEncoder().encode(text);
    const bad = [];
    for (let i = 0; i <= bytes.length; i++) for (let j = i; j <= bytes.length; j++) {
      const d = new TextDecoder();
      const s = d.decode(bytes.subarray(0, i), { stream: true }) + d.decode(bytes.subarray(i, j), { stream: true }) + d.decode(bytes.subarray(j));
      if (s !== text) bad.push([i, j, s]);
    }
    const d = new TextDecoder(); const trailing = d.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + d.decode();
    return [bad, trailing];
  })()`);
  assert.deepEqual(json(v), [[], '\ufffd']);
});

test('crypto.subtle.digest and node crypto agree with Node', async () => {
  const v = await value(`Promise.all(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'].map((a) => crypto.subtle.digest(a, new TextEncoder().encode('abc'))
    .then((d) => Buffer.from(d).toString('hex')))).then((hex) => [hex, require('crypto').createHmac('sha512', 'key').update('abc').digest('hex')])`);
  const { createHash, createHmac } = await import('node:crypto');
  const [hex, hmac] = json(await v);
  assert.deepEqual(hex, ['sha1', 'sha256', 'sha384', 'sha512'].map((a) => createHash(a).update('abc').digest('hex')));
  assert.equal(hmac, createHmac('sha512', 'key').update('abc').digest('hex'));
});

test('structuredClone keeps cycles and shared references, and refuses functions', async () => {
  const v = await value(`(() => { const o = { a: 1 }; o.self = o; const c = structuredClone({ o, again: o });
    let err; try { structuredClone({ f() {} }); } catch (e) { err = [e.name, e.code, e.constructor.name]; }
    return [c.o.self === c.o, c.again === c.o, c.o !== o, err]; })()`);
  assert.deepEqual(json(v), [true, true, true, ['DataCloneError', 25, 'DOMException']]);
});

// --- tools: transpile ----------------------------------------------------------

test('tools.transpile: TypeScript to CommonJS, lines kept, types and type-only imports gone', async () => {
  const t = tools();
  const out = t.transpile("import type { T } from './t';\nimport { x } from './x';\nconst a: number = x;\nexport default a;\n", 'a.ts', { typescript: true });
  assert.equal(out.split('\n').length, 5);
  assert.ok(!out.includes("require('./t')"));
  assert.ok(out.includes("require('./x')"));
  assert.ok(!/: number/.test(out));
  const js = t.transpile('export const y = 1;', 'b.js', {});
  assert.match(js, /exports\.y = y/);
  assert.throws(() => t.transpile('let = ;', 'c.ts', { typescript: true }), (e) => e.name === 'SyntaxError' && e.line === 1 && /^c\.ts: /.test(e.message));
});

// --- hidden dependencies -----------------------------------------------------

test('exercising every module reads no browser or other-runtime global', async () => {
  await run(`for (const n of ['assert', 'buffer', 'crypto', 'events', 'fs', 'os', 'path', 'perf_hooks', 'querystring', 'stream', 'string_decoder', 'timers', 'url', 'util'])
    require(n);
    new URL('http://x'); new Headers(); new Response('x').text(); new ReadableStream(); structuredClone(new Map());
    require('util').inspect(new URL('http://x')); require('assert').deepStrictEqual({ a: 1 }, { a: 1 }); require('stream').Readable.from([1]).resume();
    Buffer.from('x').toString('base64'); new TextDecoderStream(); new Blob(['x']).stream(); require('util').types.isPromise(1);
    require('zlib').gunzipSync(require('zlib').gzipSync('x')); new CompressionStream('gzip');`);
});

test('zlib over host.zlib: round trips in 64-byte windows, Node\'s errors and limits', async () => {
  const v = await value(`(() => {
    const zlib = require('zlib');
    const text = 'abc '.repeat(1000);
    const trips = ['deflate', 'gzip', 'deflateRaw', 'brotliCompress'].map((c) => {
      const d = { deflate: 'inflate', gzip: 'gunzip', deflateRaw: 'inflateRaw', brotliCompress: 'brotliDecompress' }[c];
      return zlib[d + 'Sync'](zlib[c + 'Sync'](text, { chunkSize: 64 }), { chunkSize: 64 }).toString() === text;
    });
    let err;
    try { zlib.inflateSync(Buffer.from('xx')); } catch (e) { err = [e.message, e.code, e.errno]; }
    let big;
    try { zlib.gunzipSync(zlib.gzipSync(text), { maxOutputLength: 10 }); } catch (e) { big = [e.name, e.code]; }
    return { trips, err, big };
  })()`);
  const r = json(v);
  assert.deepEqual(r.trips, [true, true, true, true]);
  assert.deepEqual(r.err, ['incorrect header check', 'Z_DATA_ERROR', -3]);
  assert.deepEqual(r.big, ['RangeError', 'ERR_BUFFER_TOO_LARGE']);
});

// --- run ---------------------------------------------------------------------

const failed = await runTap(tests.filter((t) => !filter || t.name.includes(filter)));
process.exit(failed ? 1 : 0);
