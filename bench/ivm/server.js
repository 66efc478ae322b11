'use strict';
// Comparison point for bench/bench-http.sh: a node:http service that answers
// corral's `POST /v1/execute {"code": "..."}` with isolated-vm.
//
//   node --no-node-snapshot bench/ivm/server.js PORT [--isolate-per-request] [--sync]
//
// Default: one shared Isolate (memoryLimit 128 MB) and a NEW Context per
// request, released afterwards. --isolate-per-request: a new Isolate per
// request, disposed afterwards. console.log/info/debug go to "stdout",
// console.warn/error to "stderr", through an ivm.Callback set on each context.
// The user code runs with a 5 s timeout; its completion value is awaited when
// it is a promise and copied out (structured clone) as "result".
// --sync uses the *Sync methods on the main thread instead of the async ones
// (isolated-vm's thread pool); the async ones are the default because they let
// the event loop parse the next requests while an isolate runs.
//
// Answers: 200 {"status":"ok"|"error"|"timeout"|"memory_limit","result",
// "stdout","stderr","error","usage":{"wall_ms"}}, 400 on a bad body,
// GET /readyz and /healthz 200, else 404.

const http = require('node:http');
const ivm = require('isolated-vm');

const args = process.argv.slice(2);
const port = Number(args.find((a) => /^\d+$/.test(a)));
const perRequest = args.includes('--isolate-per-request');
const sync = args.includes('--sync');
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node --no-node-snapshot server.js PORT [--isolate-per-request] [--sync]');
  process.exit(2);
}

const MEMORY_LIMIT_MB = 128;
const TIMEOUT_MS = 5000;
const MAX_BODY = 1 << 20;

// Installs console on the new context's global from the injected $log callback.
const PRELUDE = `(() => {
  const log = $log; delete globalThis.$log;
  const fmt = (a) => a.map((v) => {
    if (typeof v === 'string') return v;
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); }
  }).join(' ');
  const out = (...a) => log(1, fmt(a)), err = (...a) => log(2, fmt(a));
  globalThis.console = { log: out, info: out, debug: out, warn: err, error: err };
})()`;

let shared = null; // { isolate, prelude } in the default mode

function newIsolate() {
  const isolate = new ivm.Isolate({ memoryLimit: MEMORY_LIMIT_MB });
  return { isolate, prelude: isolate.compileScriptSync(PRELUDE) };
}

function getIsolate() {
  if (perRequest) return newIsolate();
  if (!shared || shared.isolate.isDisposed) shared = newIsolate(); // after a memory-limit kill
  return shared;
}

function classify(e, isolate) {
  const message = e && e.message ? String(e.message) : String(e);
  let status = 'error';
  if (/timed out/i.test(message)) status = 'timeout';
  else if (isolate.isDisposed || /memory limit/i.test(message)) status = 'memory_limit';
  return { status, error: { name: (e && e.name) || 'Error', message, stack: (e && e.stack) || '' } };
}

async function execute(code) {
  const t0 = process.hrtime.bigint();
  const stdout = [], stderr = [];
  const box = getIsolate();
  const { isolate, prelude } = box;
  let context = null;
  const out = { status: 'ok', result: null, stdout: '', stderr: '', error: null };
  try {
    context = sync ? isolate.createContextSync() : await isolate.createContext();
    const log = new ivm.Callback((fd, s) => { (fd === 2 ? stderr : stdout).push(s + '\n'); });
    const opts = { timeout: TIMEOUT_MS, promise: true, copy: true };
    if (sync) {
      context.global.setSync('$log', log);
      prelude.runSync(context);
      const script = isolate.compileScriptSync(code);
      out.result = script.runSync(context, { timeout: TIMEOUT_MS, copy: true });
      script.release();
    } else {
      await context.global.set('$log', log);
      await prelude.run(context);
      const script = await isolate.compileScript(code);
      out.result = await script.run(context, opts);
      script.release();
    }
    if (out.result === undefined) out.result = null;
  } catch (e) {
    Object.assign(out, classify(e, isolate));
  } finally {
    if (context) { try { context.release(); } catch { /* isolate gone */ } }
    if (perRequest && !isolate.isDisposed) isolate.dispose();
  }
  out.stdout = stdout.join('');
  out.stderr = stderr.join('');
  out.usage = { wall_ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  return out;
}

function send(res, code, obj) {
  let body;
  try { body = JSON.stringify(obj); } catch (e) {
    obj.result = { $inspect: String(obj.result) };
    body = JSON.stringify(obj);
  }
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && (url === '/readyz' || url === '/healthz')) {
    return send(res, 200, { ok: true, mode: perRequest ? 'isolate-per-request' : 'context-per-request' });
  }
  if (req.method !== 'POST' || url !== '/v1/execute') {
    return send(res, 404, { error: { code: 'not_found', message: 'no such route' } });
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) { send(res, 413, { error: { code: 'too_large', message: 'body too large' } }); req.destroy(); }
    else chunks.push(c);
  });
  req.on('end', async () => {
    if (res.writableEnded) return;
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch {
      return send(res, 400, { error: { code: 'bad_request', message: 'body is not JSON' } });
    }
    if (!body || typeof body.code !== 'string') {
      return send(res, 400, { error: { code: 'bad_request', message: 'code must be a string', field: 'code' } });
    }
    try {
      send(res, 200, await execute(body.code));
    } catch (e) {
      send(res, 500, { status: 'internal', error: { name: 'Error', message: String(e) } });
    }
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  console.error(`ivm server on 127.0.0.1:${port} (${perRequest ? 'isolate' : 'context'} per request, ${sync ? 'sync' : 'async'} API)`);
});
// Stop: close the listener and the idle keep-alive connections, dispose the
// isolate, then exit (exiting with a live isolate can crash in its teardown).
function stop() {
  server.close();
  server.closeAllConnections();
  setTimeout(() => {
    if (shared && !shared.isolate.isDisposed) shared.isolate.dispose();
    process.exit(0);
  }, 50);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
