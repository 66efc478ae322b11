#!/usr/bin/env node
// Unit tests of function mode's JavaScript half (src/worker/js/runtime/fn, the
// runtime bundle's invoke()): the bundle runs in a vm context without
// Node's globals on the mock host of tests/js/runtime-sim.mjs, with an
// in-memory package and a mock sink that records head/write/end and checks
// the sink's contract (head once and first, no empty chunk, end once and
// last, nothing after a rejection).
//
// Usage: node tests/js/test-fn.mjs [FILTER]
// Prints TAP and a last line "N passed, M failed"; exits 1 on a failure.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { createSim, ROOT } from './runtime-sim.mjs';
import { runTap } from './tap.mjs';

const filter = process.argv[2] || '';
const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const requireHere = createRequire(`${ROOT}/package.json`);

const tick = () => new Promise((r) => setTimeout(r, 1));

// A simulated worker context with `files` as the package. Returns
// { sim, rt, call(request) } where call() invokes the entry and resolves to
// the recorded response.
function worker(files, options = {}) {
  const sim = createSim({ files, env: options.env });
  const rt = sim.runtime();
  const realm = vm.runInContext('({ Uint8Array, JSON })', sim.ctx);
  const marks = [];
  // A hook for handlers: __mark(x) records x in the current call's events.
  Object.defineProperty(sim.g, '__mark', { value: (x) => marks.push(x), configurable: true, writable: true });

  async function call(request = {}, entry = options.entry || '/index.js') {
    const events = [];
    const violations = [];
    marks.length = 0;
    const markProxy = { push: (x) => events.push(['mark', x]) };
    Object.defineProperty(sim.g, '__mark', { value: (x) => markProxy.push(x), configurable: true, writable: true });
    let state = 'new';
    let rejected = false;
    const chunks = [];
    const sink = vm.runInContext('({})', sim.ctx);
    sink.head = (status, headers) => {
      if (options.refuseHead) throw new (vm.runInContext('TypeError', sim.ctx))('invalid header name or value');
      if (rejected) violations.push('head after rejection');
      if (state !== 'new') violations.push(`head in state ${state}`);
      if (!Array.isArray(headers) || headers.length % 2) violations.push('headers not a flat array');
      for (const h of headers) if (typeof h !== 'string') violations.push('non-string header item');
      state = 'head';
      events.push(['head', status, Array.from(headers)]);
    };
    sink.write = (u8) => {
      if (rejected) violations.push('write after rejection');
      if (state !== 'head') violations.push(`write in state ${state}`);
      if (!(u8 instanceof realm.Uint8Array) || u8.constructor !== realm.Uint8Array) violations.push('chunk not a plain Uint8Array');
      if (u8.byteLength === 0) violations.push('empty chunk');
      const b = Buffer.from(Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
      chunks.push(b);
      events.push(['write', b.toString('latin1')]);
    };
    sink.end = () => {
      if (rejected) violations.push('end after rejection');
      if (state !== 'head') violations.push(`end in state ${state}`);
      state = 'ended';
      events.push(['end']);
    };
    const { body, headers = [], ...rest } = request;
    const req = realm.JSON.parse(JSON.stringify({
      method: 'GET', url: '/', path: undefined, query: undefined, ip: '203.0.113.7', hostname: 'fn.example',
      protocol: 'http', params: {}, executionId: 'ex-1', ...rest, headers,
    }));
    if (req.path === undefined) req.path = req.url.split('?')[0];
    if (req.query === undefined) req.query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    if (body === undefined || body === null) {
      req.body = null;
    } else {
      const b = Buffer.from(body);
      req.body = new realm.Uint8Array(b.length);
      req.body.set(b);
    }
    let outcome = 'pending';
    let error = null;
    const p = rt.invoke(entry, req, sink);
    const settled = new Promise((resolve) => {
      p.then(() => {
        outcome = 'resolved';
        events.push(['resolved']);
        resolve();
      }, (e) => {
        outcome = 'rejected';
        rejected = true;
        error = e;
        events.push(['rejected']);
        resolve();
      });
    });
    // Like the engine's loop: wait while something (a timer) can still
    // settle the promise; then let late timers run and record them.
    await Promise.race([settled, (async () => {
      await sim.drain(options.drainMs || 3000);
      for (let i = 0; i < 5; i++) await tick();
    })()]);
    await sim.drain(options.drainMs || 3000);
    for (let i = 0; i < 3; i++) await tick();
    const head = events.find((e) => e[0] === 'head');
    const flat = head ? head[2] : [];
    const hdrs = {};
    for (let i = 0; i < flat.length; i += 2) {
      const k = flat[i].toLowerCase();
      hdrs[k] = k in hdrs ? [].concat(hdrs[k], flat[i + 1]) : flat[i + 1];
    }
    return {
      outcome, error, events, violations, status: head ? head[1] : null, flat, headers: hdrs,
      body: Buffer.concat(chunks), text: Buffer.concat(chunks).toString('utf8'),
      writes: events.filter((e) => e[0] === 'write').map((e) => e[1]),
      stderr: sim.lines.err.join(''), stdout: sim.lines.out.join(''),
    };
  }
  return { sim, rt, call };
}

// One call against a one-file package; fails on a sink contract violation or
// a read of a foreign global.
async function once(source, request = {}, options = {}) {
  const files = { [options.entry || '/index.js']: source, ...(options.files || {}) };
  const w = worker(files, options);
  const r = await w.call(request);
  assert.deepEqual(r.violations, [], 'sink contract');
  if (w.sim.reads.size) throw new Error(`foreign globals read: ${[...w.sim.reads].join(', ')}`);
  if (!options.allowReject && r.outcome === 'rejected') throw r.error;
  return r;
}

const echo = `module.exports = (req, res) => res.json({
  method: req.method, url: req.url, originalUrl: req.originalUrl, path: req.path, query: req.query, params: req.params,
  headers: req.headers, body: req.body === undefined ? '<undefined>' : Buffer.isBuffer(req.body) ? { buffer: req.body.toString('hex') } : req.body,
  bodyParseError: req.bodyParseError ? [req.bodyParseError.name, req.bodyParseError.status, req.bodyParseError.type] : null,
  ip: req.ip, ips: req.ips, hostname: req.hostname, protocol: req.protocol, secure: req.secure, xhr: req.xhr,
  getCT: req.get('CONTENT-type'), header: req.header('X-One'), referrer: req.get('referrer'),
  isJson: req.is('json'), isApp: req.is('application/*'), isHtml: req.is('html'), isPlusJson: req.is('+json'),
  executionId: req.executionId,
});`;

// --- handler shapes ----------------------------------------------------------

test('module.exports = function (req, res): a sync handler', async () => {
  const r = await once("module.exports = function (req, res) { res.setHeader('X-A', '1'); res.end('hello ' + req.method); };");
  assert.equal(r.outcome, 'resolved');
  assert.equal(r.status, 200);
  assert.equal(r.text, 'hello GET');
  assert.equal(r.headers['x-a'], '1');
  assert.equal(r.headers['content-length'], '9');
  assert.deepEqual(r.events.map((e) => e[0]), ['head', 'write', 'end', 'resolved']);
});

test('an async (req, res) handler that ends after awaiting', async () => {
  const r = await once(`module.exports = async (req, res) => {
    await new Promise((ok) => setTimeout(ok, 5));
    res.status(201).send({ ok: true });
  };`);
  assert.equal(r.status, 201);
  assert.deepEqual(JSON.parse(r.text), { ok: true });
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
});

test('module.exports = { fetch(request) } returning a Response', async () => {
  const r = await once(`module.exports = { async fetch(request) {
    const u = new URL(request.url);
    return new Response('hi ' + u.pathname + ' ' + u.searchParams.get('name') + ' ' + request.headers.get('x-one'),
      { status: 202, headers: { 'x-b': '2' } });
  } };`, { url: '/x?name=Ann', headers: ['host', 'fn.example:8080', 'x-one', 'uno'] });
  assert.equal(r.status, 202);
  assert.equal(r.text, 'hi /x Ann uno');
  assert.equal(r.headers['x-b'], '2');
  assert.equal(r.headers['content-type'], 'text/plain;charset=UTF-8');
  assert.equal(r.headers['content-length'], String(Buffer.byteLength('hi /x Ann uno')));
  assert.equal(r.writes.length, 1);
});

test('ES module: export default { fetch(request, env, ctx) }', async () => {
  const r = await once(`const greet = (n) => 'hello ' + n;
export default {
  async fetch(request, env, ctx) {
    const body = await request.json();
    return Response.json({ msg: greet(body.name), env: env.GREETING, url: request.url, method: request.method,
      ctx: [typeof ctx.waitUntil, typeof ctx.passThroughOnException] });
  },
};`, { method: 'POST', url: '/a/b?c=1', headers: ['host', 'h.example', 'content-type', 'application/json'], body: '{"name":"Ann"}' },
  { env: { GREETING: 'hey' } });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), {
    msg: 'hello Ann', env: 'hey', url: 'http://h.example/a/b?c=1', method: 'POST', ctx: ['function', 'function'],
  });
  assert.equal(r.headers['content-type'], 'application/json');
});

test('ES module: export default function handler(req, res), and TypeScript', async () => {
  const r = await once("import { name } from './lib/name.js';\nexport default function handler(req, res) { res.send(`hi ${name}`); }",
    {}, { files: { '/lib/name.js': "exports.name = 'esm';" } });
  assert.equal(r.text, 'hi esm');
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  const ts = await once("import type { X } from './x';\nconst n: number = 4;\nexport default async function (req: any, res: any): Promise<void> { res.json({ n }); }",
    {}, { entry: '/index.ts' });
  assert.deepEqual(JSON.parse(ts.text), { n: 4 });
});

test('the entry is resolved like require(): "/" finds package.json main; a class with fetch is a Workers entrypoint', async () => {
  const w = worker({ '/package.json': '{"main": "src/app.js"}', '/src/app.js': "module.exports = (req, res) => res.end('main');" });
  const r = await w.call({}, '/');
  assert.equal(r.text, 'main');
  const c = await once(`export default class Entry {
    constructor(ctx, env) { this.env = env; this.ok = typeof ctx.waitUntil; }
    async fetch(request) { return new Response(this.ok + ' ' + this.env.K); }
  }`, {}, { env: { K: 'v' } });
  assert.equal(c.text, 'function v');
});

test('the handler module is loaded once per context; each call gets fresh req and res', async () => {
  const w = worker({ '/index.js': "let n = 0; globalThis.loads = (globalThis.loads || 0) + 1;\nmodule.exports = (req, res) => res.json({ n: ++n, loads: globalThis.loads, path: req.path });" });
  const a = await w.call({ url: '/one' });
  const b = await w.call({ url: '/two' });
  assert.deepEqual(JSON.parse(a.text), { n: 1, loads: 1, path: '/one' });
  assert.deepEqual(JSON.parse(b.text), { n: 2, loads: 1, path: '/two' });
});

test('a module that exports neither a function nor { fetch } is a clear error', async () => {
  const cases = [
    ["module.exports = { foo: 1, bar() {} };", /exports neither a function \(req, res\) nor \{ fetch \}: it exports an object with keys foo, bar \(\/index\.js\)/],
    ['exports.x = 1; exports.y = 2;', /it exports an object with keys x, y/],
    ['// nothing', /it exports an empty object/],
    ['module.exports = 42;', /it exports a number \(42\)/],
    ['module.exports = null;', /it exports null/],
    ['export const handler = () => {};', /it exports an ES module without a default export \(named exports: handler\)/],
    ["export default 'nope';", /it exports an ES module whose default export is a string \("nope"\)/],
    ['export default { fetch: 1 };', /default export is an object with keys fetch/],
  ];
  for (const [src, re] of cases) {
    const r = await once(src, {}, { allowReject: true });
    assert.equal(r.outcome, 'rejected', src);
    assert.equal(r.error.name, 'Error');
    assert.equal(r.error.code, 'ERR_CORRAL_NO_HANDLER');
    assert.match(r.error.message, re, src);
    assert.deepEqual(r.events.map((e) => e[0]), ['rejected'], src);
  }
});

test('a module that fails to load rejects with its error; a missing entry with MODULE_NOT_FOUND', async () => {
  const r = await once("const x = 1;\nthrow new TypeError('boom at load');", {}, { allowReject: true });
  assert.equal(r.outcome, 'rejected');
  assert.equal(r.error.message, 'boom at load');
  const s = await once('module.exports = (req, res) => { res.end( };', {}, { allowReject: true });
  assert.equal(s.error.name, 'SyntaxError');
  const w = worker({ '/other.js': '' });
  const m = await w.call({}, '/index.js');
  assert.equal(m.error.code, 'MODULE_NOT_FOUND');
});

// --- errors --------------------------------------------------------------------

test('an async handler that throws rejects invoke with its error; the sink is not touched', async () => {
  const r = await once("module.exports = async (req, res) => { await null; res.status(500); throw new RangeError('async boom'); };", {}, { allowReject: true });
  assert.equal(r.outcome, 'rejected');
  assert.equal(r.error.name, 'RangeError');
  assert.equal(r.error.message, 'async boom');
  assert.deepEqual(r.events.map((e) => e[0]), ['rejected']);
});

test('a sync throw rejects; a later res.end() of that handler never reaches the sink', async () => {
  const r = await once("module.exports = (req, res) => { setTimeout(() => res.end('late'), 2); throw new Error('sync boom'); };", {}, { allowReject: true });
  assert.equal(r.error.message, 'sync boom');
  assert.deepEqual(r.events.map((e) => e[0]), ['rejected']);
});

test('an error after the head was streamed rejects without end (the C side aborts the response)', async () => {
  const r = await once("module.exports = async (req, res) => { res.write('part'); await null; throw new Error('mid-stream'); };", {}, { allowReject: true });
  assert.equal(r.error.message, 'mid-stream');
  assert.deepEqual(r.events.map((e) => e[0]), ['head', 'write', 'rejected']);
});

test('an error after the response ended is reported on stderr; invoke has resolved', async () => {
  const r = await once("module.exports = async (req, res) => { res.send('done'); await null; throw new Error('after the end'); };");
  assert.equal(r.outcome, 'resolved');
  assert.equal(r.text, 'done');
  assert.match(r.stderr, /\(corral\) an error after the response was sent:[\s\S]*after the end/);
});

test('res.send twice throws ERR_HTTP_HEADERS_SENT (reported, the first response stands)', async () => {
  const r = await once("module.exports = (req, res) => { res.send('one'); res.send('two'); };");
  assert.equal(r.outcome, 'resolved');
  assert.equal(r.text, 'one');
  assert.match(r.stderr, /Cannot set headers after they are sent to the client/);
});

test('an async handler that resolves without ending leaves invoke pending (the deadline answers)', async () => {
  const r = await once("module.exports = async (req, res) => { res.status(200); };");
  assert.equal(r.outcome, 'pending');
  assert.deepEqual(r.events, []);
});

test('res.destroy(err) rejects with err unless the response had ended', async () => {
  const r = await once("module.exports = (req, res) => { res.write('x'); setTimeout(() => res.destroy(new Error('gave up')), 2); };", {}, { allowReject: true });
  assert.equal(r.error.message, 'gave up');
  assert.deepEqual(r.events.map((e) => e[0]), ['head', 'write', 'rejected']);
  const d = await once("module.exports = (req, res) => { res.end('fine'); res.destroy(); };");
  assert.equal(d.outcome, 'resolved');
});

test('next(err) rejects; next() answers 404 as finalhandler does', async () => {
  const e = await once("module.exports = (req, res, next) => next(Object.assign(new Error('denied'), { status: 403 }));", {}, { allowReject: true });
  assert.equal(e.error.message, 'denied');
  assert.equal(e.error.status, 403);
  const n = await once("module.exports = (req, res, next) => { res.set('X-Gone', '1'); next(); };", { url: '/nope?x=1' });
  assert.equal(n.status, 404);
  assert.match(n.text, /<pre>Cannot GET \/nope<\/pre>/);
  assert.equal(n.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(n.headers['x-gone'], undefined);
  assert.equal(n.headers['x-content-type-options'], 'nosniff');
});

test('a head the C side refuses fails the invocation with its error, once', async () => {
  const r = await once("module.exports = (req, res) => { try { res.send('x'); } catch (e) { __mark(e.message); throw e; } };", {}, { allowReject: true, refuseHead: true });
  assert.equal(r.outcome, 'rejected');
  assert.equal(r.error.message, 'invalid header name or value');
  assert.deepEqual(r.events.map((e) => e[0]), ['mark', 'rejected']);
  assert.equal(r.stderr, '');
  const s = await once("module.exports = async (req, res) => { try { res.end('x'); } catch { await null; throw new Error('other'); } };", {}, { allowReject: true, refuseHead: true });
  assert.equal(s.error.message, 'invalid header name or value');
  assert.match(s.stderr, /\(corral\) an error after the invocation had failed:[\s\S]*other/);
});

test('invalid status codes and headers throw Node\'s errors', async () => {
  const r = await once("module.exports = (req, res) => res.status(99).send('x');", {}, { allowReject: true });
  assert.equal(r.error.name, 'RangeError');
  assert.equal(r.error.code, 'ERR_HTTP_INVALID_STATUS_CODE');
  assert.deepEqual(r.events.map((e) => e[0]), ['rejected']);
  const h = await once(`module.exports = (req, res) => {
    const codes = [];
    for (const f of [() => res.setHeader('bad name', 'x'), () => res.setHeader('X-A', 'a\\r\\nInjected: 1'), () => res.setHeader('X-U', undefined),
      () => res.set('Content-Type', ['a', 'b']), () => res.status(1000).end()]) {
      try { f(); codes.push('no error'); } catch (e) { codes.push(e.code || e.message); }
    }
    res.statusCode = 200;
    res.json(codes);
  };`);
  assert.deepEqual(JSON.parse(h.text), ['ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_HTTP_INVALID_HEADER_VALUE',
    'Content-Type cannot be set to an Array', 'ERR_HTTP_INVALID_STATUS_CODE']);
});

// --- req -------------------------------------------------------------------------

test('req: url, path, query, params, headers, get(), ip, hostname, protocol, xhr, is()', async () => {
  const r = await once(echo, {
    method: 'post', url: '/x/y?name=Ann&tag=a&tag=b&o[k]=v&arr[]=1&arr[]=2', params: { id: '7' }, protocol: 'https',
    headers: ['content-type', 'application/json; charset=utf-8', 'x-one', '1', 'x-dup', 'a', 'x-dup', 'b', 'set-cookie', 's1',
      'set-cookie', 's2', 'cookie', 'a=1', 'cookie', 'b=2', 'content-type', 'text/plain', 'referer', 'http://r.example/',
      'x-requested-with', 'XMLHttpRequest', 'content-length', '13'],
    body: '{"hello":"w"}',
  });
  const v = JSON.parse(r.text);
  assert.equal(v.method, 'POST');
  assert.equal(v.url, '/x/y?name=Ann&tag=a&tag=b&o[k]=v&arr[]=1&arr[]=2');
  assert.equal(v.originalUrl, v.url);
  assert.equal(v.path, '/x/y');
  assert.deepEqual(v.query, { name: 'Ann', tag: ['a', 'b'], o: { k: 'v' }, arr: ['1', '2'] });
  assert.deepEqual(v.params, { id: '7' });
  assert.deepEqual(v.headers, {
    'content-type': 'application/json; charset=utf-8', 'x-one': '1', 'x-dup': 'a, b', 'set-cookie': ['s1', 's2'],
    cookie: 'a=1; b=2', referer: 'http://r.example/', 'x-requested-with': 'XMLHttpRequest', 'content-length': '13',
  });
  assert.deepEqual(v.body, { hello: 'w' });
  assert.equal(v.bodyParseError, null);
  assert.equal(v.ip, '203.0.113.7');
  assert.deepEqual(v.ips, []);
  assert.equal(v.hostname, 'fn.example');
  assert.equal(v.protocol, 'https');
  assert.equal(v.secure, true);
  assert.equal(v.xhr, true);
  assert.equal(v.getCT, 'application/json; charset=utf-8');
  assert.equal(v.header, '1');
  assert.equal(v.referrer, 'http://r.example/');
  assert.equal(v.isJson, 'json');
  assert.equal(v.isApp, 'application/json');
  assert.equal(v.isHtml, false);
  assert.equal(v.isPlusJson, false);
  assert.equal(v.executionId, 'ex-1');
});

test('req.body: JSON, bad JSON (raw string + bodyParseError), empty JSON, urlencoded, text, binary, none', async () => {
  const w = worker({ '/index.js': echo });
  const body = async (ct, b, method = 'POST') => {
    const r = await w.call({ method, url: '/', headers: ct ? ['content-type', ct] : [], body: b });
    assert.deepEqual(r.violations, []);
    return JSON.parse(r.text);
  };
  assert.deepEqual((await body('application/json', '[1,{"a":null}]')).body, [1, { a: null }]);
  assert.deepEqual((await body('application/vnd.api+json', '{"x":1}')).body, { x: 1 });
  const bad = await body('application/json', '{"a":');
  assert.equal(bad.body, '{"a":');
  assert.deepEqual(bad.bodyParseError, ['SyntaxError', 400, 'entity.parse.failed']);
  assert.deepEqual((await body('application/json', '')).body, {});
  assert.deepEqual((await body('application/x-www-form-urlencoded', 'a=1&b=x+y&b=%7A&c[d]=e&f')).body, { a: '1', b: ['x y', 'z'], c: { d: 'e' }, f: '' });
  assert.equal((await body('text/plain; charset=utf-8', 'h\u00e9llo')).body, 'h\u00e9llo');
  assert.equal((await body('text/csv', '\ufeffa,b')).body, 'a,b');
  assert.deepEqual((await body('application/octet-stream', Buffer.from([0, 1, 255]))).body, { buffer: '0001ff' });
  assert.deepEqual((await body(null, 'raw')).body, { buffer: '726177' });
  assert.equal((await body(null, null, 'GET')).body, '<undefined>');
});

test('req.query matches npm qs (Express 4\'s default parser) on common and odd query strings', async () => {
  const qs = requireHere('qs');
  const w = worker({ '/index.js': 'module.exports = (req, res) => res.json(req.query);' });
  const cases = ['a=1', 'a=1&a=2&a=3', 'a[]=1&a[]=2', 'a[b]=1&a[c]=2', 'a[b][c][d]=1', 'a[0]=x&a[1]=y', 'a[1]=y&a[0]=x',
    'a=1&a[b]=2', 'a[b]=2&a=1', 'x=%20%2B+y', 'bad=%E0%A4%A', '=v&k=', 'flag', 'a[21]=x', 'a[b][c][d][e][f][g]=deep',
    'hasOwnProperty=1', '__proto__[x]=1&y=2', 'a[]=1&a[x]=2', 'a%5Bb%5D=1', 'a]=1', 'u=%C3%A9t%C3%A9', 'e=&e=', ''];
  for (const q of cases) {
    const r = await w.call({ url: q ? `/?${q}` : '/' });
    // strictMerge (qs >= 6.15) off: Express 4 has qs 6.13.
    const want = JSON.parse(JSON.stringify(qs.parse(q, { allowPrototypes: true, strictMerge: false })));
    assert.deepEqual(JSON.parse(r.text), want, q);
  }
  // qs 6.13 (Express 4) keeps an unbalanced bracket in the key; qs 6.17 nests it.
  assert.deepEqual(JSON.parse((await w.call({ url: '/?a[=1' })).text), { 'a[': '1' });
});

test('req as a stream: data/end replay, for await, setEncoding, pipe', async () => {
  const r = await once(`module.exports = async (req, res) => {
    const got = [];
    await new Promise((ok) => { req.on('data', (c) => got.push(Buffer.isBuffer(c), c.toString())); req.on('end', ok); });
    res.json({ got, ended: req.readableEnded });
  };`, { method: 'POST', headers: ['content-type', 'application/octet-stream'], body: 'streamed' });
  assert.deepEqual(JSON.parse(r.text), { got: [true, 'streamed'], ended: true });
  const a = await once(`module.exports = async (req, res) => {
    let s = ''; req.setEncoding('utf8'); for await (const c of req) s += c; res.end(s + '|' + typeof s);
  };`, { method: 'POST', body: 'iter' });
  assert.equal(a.text, 'iter|string');
  const p = await once('module.exports = (req, res) => { res.setHeader("X-P", "1"); req.pipe(res); };', { method: 'PUT', body: 'piped' });
  assert.equal(p.text, 'piped');
  assert.equal(p.headers['x-p'], '1');
  const e = await once("module.exports = (req, res) => { req.on('end', () => res.end('no body')); };");
  assert.equal(e.text, 'no body');
});

// --- res -------------------------------------------------------------------------

test('status chaining: res.status(201).json(), .set().status().type().send()', async () => {
  const r = await once("module.exports = (req, res) => res.status(201).set('X-A', 'a').set({ 'X-B': 2, 'X-C': ['c1', 'c2'] }).json({ made: 1 });");
  assert.equal(r.status, 201);
  assert.equal(r.text, '{"made":1}');
  assert.equal(r.headers['x-a'], 'a');
  assert.equal(r.headers['x-b'], '2');
  assert.deepEqual(r.headers['x-c'], ['c1', 'c2']);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(r.headers['content-length'], '10');
  const t = await once("module.exports = (req, res) => res.status(418).type('txt').send('teapot');");
  assert.equal(t.status, 418);
  assert.equal(t.headers['content-type'], 'text/plain; charset=utf-8');
  const s = await once("module.exports = (req, res) => res.sendStatus(403);");
  assert.equal(s.status, 403);
  assert.equal(s.text, 'Forbidden');
  assert.equal(s.headers['content-type'], 'text/plain; charset=utf-8');
});

test('headers: set/header/setHeader/get/getHeader/removeHeader/append/cookie, names as set', async () => {
  const r = await once(`module.exports = (req, res) => {
    res.header('X-Keep', 'k').setHeader('X-Drop', 'd');
    const before = [res.get('x-keep'), res.getHeader('X-DROP'), res.hasHeader('x-drop'), res.headersSent];
    res.removeHeader('x-drop');
    res.append('Link', '<a>').append('Link', '<b>');
    res.cookie('sid', 'abc def', { httpOnly: true, maxAge: 60000, sameSite: 'lax' }).cookie('obj', { a: 1 }).clearCookie('old');
    res.set('Content-Type', 'text/plain');
    res.set('X-Before', JSON.stringify(before));
    res.send('ok');
  };`);
  const before = JSON.parse(r.headers['x-before']);
  assert.deepEqual(before, ['k', 'd', true, false]);
  assert.equal(r.headers['x-drop'], undefined);
  assert.deepEqual(r.headers.link, ['<a>', '<b>']);
  const cookies = r.headers['set-cookie'];
  assert.equal(cookies.length, 3);
  assert.match(cookies[0], /^sid=abc%20def; Max-Age=60; Path=\/; Expires=\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT; HttpOnly; SameSite=Lax$/);
  assert.equal(cookies[1], 'obj=j%3A%7B%22a%22%3A1%7D; Path=/');
  assert.equal(cookies[2], 'old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.ok(r.flat.includes('X-Keep'), 'names keep their case');
});

test('res.send of a Buffer, a Uint8Array, a string, an object, an array, null, a boolean, a number', async () => {
  const w = worker({ '/index.js': `module.exports = (req, res) => {
    const v = { buffer: Buffer.from([1, 2, 3]), u8: new Uint8Array([104, 105]), string: '<b>hi</b>', object: { a: [1] },
      array: [1, 'x'], null: null, bool: true, number: 404, typed: 'x' }[req.query.v];
    if (req.query.v === 'typed') res.type('text/plain');
    res.send(v);
  };` });
  const get = (v) => w.call({ url: `/?v=${v}` });
  let r = await get('buffer');
  assert.deepEqual([...r.body], [1, 2, 3]);
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  assert.equal(r.headers['content-length'], '3');
  r = await get('u8');
  assert.equal(r.text, 'hi');
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  r = await get('string');
  assert.equal(r.text, '<b>hi</b>');
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  r = await get('object');
  assert.equal(r.text, '{"a":[1]}');
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  r = await get('array');
  assert.equal(r.text, '[1,"x"]');
  r = await get('null');
  assert.equal(r.text, '');
  assert.equal(r.headers['content-length'], '0');
  assert.equal(r.headers['content-type'], undefined);
  r = await get('bool');
  assert.equal(r.text, 'true');
  r = await get('number');
  assert.equal(r.status, 404);
  assert.equal(r.text, 'Not Found');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  r = await get('typed');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
});

test('a second end() is ignored; write() after end() is reported, not thrown', async () => {
  const r = await once(`module.exports = (req, res) => {
    res.end('once');
    res.end('twice');
    res.end();
    const w = res.write('late');
    res.setHeader === undefined;
    __mark(['after', w, res.writableEnded, res.headersSent]);
  };`);
  assert.deepEqual(r.events.map((e) => e[0]), ['head', 'write', 'end', 'mark', 'resolved']);
  assert.equal(r.text, 'once');
  assert.deepEqual(JSON.parse(JSON.stringify(r.events[3][1])), ['after', false, true, true]);
  assert.match(r.stderr, /write after end/);
});

test('res.write streams: head once on the first write, chunks in order as written, end once', async () => {
  const r = await once(`module.exports = (req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    __mark(['before', res.headersSent]);
    res.write('a');
    __mark(['after first', res.headersSent]);
    let i = 0;
    const t = setInterval(() => {
      i++;
      res.write(Buffer.from('b' + i));
      __mark('tick ' + i);
      if (i === 3) { clearInterval(t); res.write(''); res.end('z'); }
    }, 2);
  };`);
  assert.deepEqual(JSON.parse(JSON.stringify(r.events.map((e) => (e[0] === 'mark' ? e[1] : e[0] === 'write' ? `w:${e[1]}` : e[0])))), [
    ['before', false], 'head', 'w:a', ['after first', true], 'w:b1', 'tick 1', 'w:b2', 'tick 2', 'w:b3', 'tick 3', 'w:z', 'end', 'resolved',
  ]);
  assert.equal(r.headers['content-length'], undefined, 'a streamed response has no Content-Length');
  assert.equal(r.text, 'ab1b2b3z');
});

test('writeHead(status, headers) and writeHead(status, reason, flat array); flushHeaders', async () => {
  const r = await once("module.exports = (req, res) => { res.setHeader('X-A', 'a'); res.writeHead(201, { 'X-B': 'b' }).end('w'); };");
  assert.equal(r.status, 201);
  assert.equal(r.headers['x-a'], 'a');
  assert.equal(r.headers['x-b'], 'b');
  const f = await once("module.exports = (req, res) => { res.writeHead(202, 'Accepted', ['X-C', '1', 'X-C', '2']); res.end(); };");
  assert.equal(f.status, 202);
  assert.deepEqual(f.headers['x-c'], ['1', '2']);
  const h = await once(`module.exports = (req, res) => { res.statusCode = 203; res.flushHeaders(); __mark(res.headersSent);
    let err; try { res.setHeader('X', '1'); } catch (e) { err = e.code; } __mark(err); setTimeout(() => res.end('x'), 2); };`);
  assert.deepEqual(h.events.map((e) => e[0] === 'mark' ? e[1] : e[0]), ['head', true, 'ERR_HTTP_HEADERS_SENT', 'write', 'end', 'resolved']);
  assert.equal(h.status, 203);
});

test('HEAD requests and 204 responses carry no body', async () => {
  const r = await once("module.exports = (req, res) => res.send('body text');", { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '9');
  assert.deepEqual(r.writes, []);
  const n = await once("module.exports = (req, res) => res.status(204).send('ignored');");
  assert.equal(n.status, 204);
  assert.deepEqual(n.writes, []);
  assert.equal(n.headers['content-type'], undefined);
  assert.equal(n.headers['content-length'], undefined);
});

test('res.redirect: 302 by default, status first, text or HTML by Accept, back', async () => {
  const r = await once("module.exports = (req, res) => res.redirect('/to place');");
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, '/to%20place');
  assert.equal(r.text, 'Found. Redirecting to /to%20place');
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(r.headers.vary, 'Accept');
  const h = await once("module.exports = (req, res) => res.redirect(301, 'https://x.example/?a=<b>');", { headers: ['accept', 'text/html,*/*;q=0.8'] });
  assert.equal(h.status, 301);
  assert.equal(h.text, '<p>Moved Permanently. Redirecting to <a href="https://x.example/?a=%3Cb%3E">https://x.example/?a=%3Cb%3E</a></p>');
  assert.equal(h.headers['content-type'], 'text/html; charset=utf-8');
  const b = await once("module.exports = (req, res) => res.redirect('back');", { headers: ['referer', '/from'] });
  assert.equal(b.headers.location, '/from');
});

test('res.locals, res.req/req.res, res.format, req.accepts, res.sendFile', async () => {
  const r = await once(`module.exports = (req, res) => {
    res.locals.user = 'u';
    res.format({ json: () => res.json({ locals: res.locals.user, same: res.req === req && req.res === res,
      accepts: [req.accepts('html', 'json'), req.accepts(['text/plain']), req.accepts()] }) });
  };`, { headers: ['accept', 'application/json, text/plain;q=0.5'] });
  assert.deepEqual(JSON.parse(r.text), { locals: 'u', same: true, accepts: ['json', 'text/plain', ['application/json', 'text/plain']] });
  const f = await once("module.exports = (req, res) => res.sendFile('/public/a.css');", {}, { files: { '/public/a.css': 'b{}' } });
  assert.equal(f.text, 'b{}');
  assert.equal(f.headers['content-type'], 'text/css; charset=utf-8');
  const m = await once("module.exports = (req, res) => res.sendFile('nope.txt', { root: '/public' });", {}, { allowReject: true });
  assert.equal(m.error.status, 404);
  assert.equal(m.error.code, 'ENOENT');
  const up = await once("module.exports = (req, res) => res.sendFile(req.path, { root: '/public' }, (e) => res.status(e.status).end(e.message));",
    { url: '/../index.js' }, { files: { '/public/a.css': 'b{}' } });
  assert.equal(up.status, 403);
  assert.equal(up.text, 'Forbidden');
});

test('a (req, res) handler may return a Response instead', async () => {
  const r = await once("module.exports = async (req) => new Response('from a Response', { status: 201, headers: { 'X-R': '1' } });");
  assert.equal(r.status, 201);
  assert.equal(r.text, 'from a Response');
  assert.equal(r.headers['x-r'], '1');
});

// --- fetch handlers --------------------------------------------------------------

test('fetch handler: a ReadableStream body is streamed chunk by chunk, in order', async () => {
  const r = await once(`export default {
    fetch() {
      let i = 0;
      const enc = new TextEncoder();
      const body = new ReadableStream({
        pull(controller) {
          return new Promise((ok) => setTimeout(() => {
            i++;
            __mark('produce ' + i);
            if (i <= 3) controller.enqueue(enc.encode('chunk' + i + ';'));
            else controller.close();
            ok();
          }, 2));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    },
  };`);
  const seq = r.events.map((e) => (e[0] === 'mark' ? e[1] : e[0] === 'write' ? `w:${e[1]}` : e[0]));
  assert.deepEqual(seq, ['head', 'produce 1', 'w:chunk1;', 'produce 2', 'w:chunk2;', 'produce 3', 'w:chunk3;', 'produce 4', 'end', 'resolved']);
  assert.equal(r.headers['content-type'], 'text/event-stream');
  assert.equal(r.headers['content-length'], undefined);
});

test('fetch handler: set-cookie values stay apart; HEAD gets no body; a stream that errors rejects after the head', async () => {
  const c = await once(`module.exports = { fetch() { const h = new Headers(); h.append('Set-Cookie', 'a=1'); h.append('Set-Cookie', 'b=2'); h.set('X-Y', 'y');
    return new Response('x', { headers: h }); } };`);
  assert.deepEqual(c.headers['set-cookie'], ['a=1', 'b=2']);
  assert.ok(c.flat.includes('Set-Cookie') && c.flat.includes('X-Y'));
  const h = await once("module.exports = { fetch: () => new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); c.close(); } })) };", { method: 'HEAD' });
  assert.deepEqual(h.writes, []);
  assert.equal(h.outcome, 'resolved');
  const e = await once(`module.exports = { fetch: () => new Response(new ReadableStream({
    start(c) { c.enqueue(new TextEncoder().encode('first')); },
    pull(c) { return new Promise((ok, no) => setTimeout(() => no(new Error('stream broke')), 2)); } })) };`, {}, { allowReject: true });
  assert.equal(e.outcome, 'rejected');
  assert.equal(e.error.message, 'stream broke');
  assert.deepEqual(e.events.map((x) => x[0]), ['head', 'write', 'rejected']);
});

test('fetch handler: a non-Response result, a throw, and Response.error() reject', async () => {
  const a = await once("module.exports = { fetch: () => ({ hello: 1 }) };", {}, { allowReject: true });
  assert.match(a.error.message, /the fetch handler returned an object with keys hello, not a Response/);
  const b = await once("export default { async fetch() { throw new SyntaxError('fetch boom'); } };", {}, { allowReject: true });
  assert.equal(b.error.message, 'fetch boom');
  const c = await once("module.exports = { fetch: () => Response.error() };", {}, { allowReject: true });
  assert.match(c.error.message, /Response.error\(\)/);
});

test('fetch handler: ctx.waitUntil keeps invoke pending after the end until its promises settle', async () => {
  const r = await once(`module.exports = { fetch(request, env, ctx) {
    ctx.waitUntil(new Promise((ok) => setTimeout(() => { __mark('waited'); ok(); }, 5)));
    ctx.waitUntil(Promise.reject(new Error('background failure')));
    return new Response('quick');
  } };`);
  assert.deepEqual(r.events.map((e) => (e[0] === 'mark' ? e[1] : e[0])), ['head', 'write', 'end', 'waited', 'resolved']);
  assert.match(r.stderr, /background failure/);
});

test('fetch handler: the request body, headers and a POST of bytes', async () => {
  const r = await once(`module.exports = { async fetch(request) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return Response.json({ n: bytes.length, first: bytes[0], ct: request.headers.get('content-type'), m: request.method });
  } };`, { method: 'PUT', url: '/up', headers: ['content-type', 'application/octet-stream', 'bad header', 'x'], body: Buffer.from([9, 8, 7]) });
  assert.deepEqual(JSON.parse(r.text), { n: 3, first: 9, ct: 'application/octet-stream', m: 'PUT' });
});

test('fetch handler: a hostile Host header does not change the URL\'s origin', async () => {
  const r = await once("module.exports = { fetch: (q) => new Response(q.url) };", { url: '//evil.example/x', headers: ['host', 'a@evil.example/'] });
  assert.equal(r.text, 'http://fn.example//evil.example/x');
});

// --- run ---------------------------------------------------------------------

const failed = await runTap(tests.filter((t) => !filter || t.name.includes(filter)));
process.exit(failed ? 1 : 0);
