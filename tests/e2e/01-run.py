#!/usr/bin/env python3
"""corral run: execution semantics, outcomes, exit codes, flags."""
import os
import json
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import CORRAL, Tap, run, run_js  # noqa: E402

t = Tap("01-run")

# The acceptance line.
rc, r, _ = run_js("console.log(1+1); 42")
t.eq((rc, r["status"], r.get("result"), r.get("stdout")), (0, "ok", 42, "2\n"), "hello: ok, result 42, stdout 2")
t.ok(all(k in r for k in ("id", "stderr", "output", "exit_code", "error", "usage", "truncated")), "result has every API field", r)
t.ok(r["usage"]["wall_ms"] > 0 and r["usage"]["peak_memory_bytes"] > 0, "usage is reported", r.get("usage"))

# Outcomes and exit codes.
rc, r, _ = run_js("function f(){ throw new TypeError('bad thing') }\nf()")
t.eq((rc, r["status"], r["error"]["name"], r["error"]["message"]), (1, "error", "TypeError", "bad thing"), "throw: error, exit 1")
t.ok("stdin.js:1" in r["error"]["stack"] and "at f" in r["error"]["stack"], "stack names the user's file and function", r["error"]["stack"])
rc, r, _ = run_js("let a = 1;\nlet b = ;\n")
t.eq((rc, r["status"], r["error"]["name"], r["error"].get("line")), (2, "rejected", "SyntaxError", 2), "syntax error: rejected, exit 2, line 2")
rc, r, _ = run_js("while (true) {}", "--timeout", "100")
t.eq((rc, r["status"]), (124, "timeout"), "infinite loop: timeout, exit 124")
t.ok(r["usage"]["wall_ms"] < 150, "the loop was stopped in under 150 ms of wall time", r["usage"])
rc, r, _ = run_js("function f(){ setTimeout(f, 1) } f()", "--timeout", "300")
t.eq((rc, r["status"]), (124, "timeout"), "a timer chain that never ends: timeout")
rc, r, _ = run_js("let n = 0; function f(){ n++; Promise.resolve().then(() => setTimeout(f, 0)) } f()", "--timeout", "300")
t.eq(r["status"], "timeout", "a promise + timer loop cannot reset the clock")
rc, r, _ = run_js("while (true) console.log('x'.repeat(1000))", "--max-output", "10000")
t.eq((rc, r["status"], r["truncated"]), (125, "output_limit", True), "output flood: output_limit, exit 125")
t.ok(len(r["stdout"]) <= 10000 and r["stdout"].startswith("xxx"), "what came before the cap is kept, nothing past it", len(r["stdout"]))
rc, r, _ = run_js("const a = []; while (true) a.push(new Array(1e5).fill(1))", "--memory", "64")
t.eq((rc, r["status"]), (137, "memory_limit"), "memory bomb: memory_limit, exit 137")
# The kernel charges memory in per-CPU batches (MEMCG_CHARGE_BATCH, 64
# pages), so the recorded peak may pass the limit by up to one batch.
t.ok(r["usage"]["peak_memory_bytes"] <= (64 << 20) + (256 << 10), "the peak stayed within the 64 MB cap", r["usage"])
rc, r, _ = run_js("'fine after the bomb'", "--memory", "64")
t.eq((rc, r["status"], r["result"]), (0, "ok", "fine after the bomb"), "the next run works")

# Semantics.
rc, r, _ = run_js("const v = await new Promise(r => setTimeout(() => r(21), 20)); v * 2")
t.eq((r["status"], r["result"]), ("ok", 42), "top-level await, completion value awaited")
rc, r, _ = run_js("await 1; let x = 5; const y = {a: x}; y")
t.eq(r["result"], {"a": 5}, "top-level await with declarations")
# A double release of the script error message on the top-level-await path
# corrupted the worker's heap: 20-30% of such runs crashed (SIGTRAP in
# libpas, or later at random). 20 fresh workers in a row must all be fine.
tla = [run_js("await 1; let x = 5; const y = {a: x}; y")[1] for _ in range(20)]
t.eq([r["status"] for r in tla if r["status"] != "ok"], [], "20 top-level-await runs in fresh workers: none crashes")
rc, r, _ = run_js("Promise.resolve(7)")
t.eq(r["result"], 7, "a promise completion value is awaited")
rc, r, _ = run_js("Promise.reject(new RangeError('nope'))")
t.eq((r["status"], r["error"]["name"]), ("error", "RangeError"), "a rejected result promise is an error")
rc, r, _ = run_js("Promise.reject(new Error('lost')); setTimeout(() => {}, 10); 1")
t.eq((r["status"], r["error"]["message"]), ("error", "lost"), "an unhandled rejection is an error")
rc, r, _ = run_js("setTimeout(() => { throw new Error('in timer') }, 5); 1")
t.eq((r["status"], r["error"]["message"]), ("error", "in timer"), "an exception in a timer is an error")
rc, r, _ = run_js("setTimeout(() => console.log('timeout'), 0); queueMicrotask(() => console.log('micro')); Promise.resolve().then(() => console.log('then')); console.log('sync')")
t.eq(r["stdout"], "sync\nmicro\nthen\ntimeout\n", "ordering: sync, microtasks, then timers")
rc, r, _ = run_js("const out = []; setTimeout(() => out.push(2), 20); setTimeout(() => out.push(1), 10); setTimeout(() => out.push(3), 20); await new Promise(r => setTimeout(r, 40)); out")
t.eq(r["result"], [1, 2, 3], "timers fire by deadline, then in creation order")
rc, r, _ = run_js("let n = 0; const id = setInterval(() => { if (++n === 3) clearInterval(id) }, 2); await new Promise(r => setTimeout(r, 50)); n")
t.eq(r["result"], 3, "setInterval and clearInterval")
rc, r, _ = run_js("const id = setTimeout(() => console.log('never'), 5); clearTimeout(id); 'cleared'")
t.eq((r["stdout"], r["result"]), ("", "cleared"), "clearTimeout")
rc, r, _ = run_js("console.log({a: 1, b: [1, 2, {c: 'x'}]}); console.log('%s is %d', 'n', 42); console.error('oops'); console.warn('w'); console.info(-0, null, undefined, true)")
t.eq(r["stdout"], "{ a: 1, b: [ 1, 2, { c: 'x' } ] }\nn is 42\n-0 null undefined true\n", "console.log formats like Node")
t.eq(r["stderr"], "oops\nw\n", "console.error and warn go to stderr")
t.eq(r["output"], "{ a: 1, b: [ 1, 2, { c: 'x' } ] }\nn is 42\noops\nw\n-0 null undefined true\n", "output interleaves in write order")
rc, r, _ = run_js("new Map([[1, {a: [1, 2]}]])")
t.eq(r["result"], {"$inspect": "Map(1) { 1 => { a: [ 1, 2 ] } }"}, "non-JSON results are inspected")
rc, r, _ = run_js("undefined")
t.eq(r["result"], {"$inspect": "undefined"}, "undefined result")
rc, r, _ = run_js("[typeof process.pid, typeof process.binding, typeof process.dlopen, typeof process.kill, "
                  "typeof WebAssembly, typeof SharedArrayBuffer, process.env.A, process.argv.length]", "--env", "A=b=c")
t.eq(r["result"], ["undefined", "undefined", "undefined", "undefined", "undefined", "undefined", "b=c", 0],
     "no ambient authority: process has env and argv, no pid, binding, dlopen or kill; no WebAssembly")
rc, r, _ = run_js("const out = []; for (const m of ['child_process', 'worker_threads', 'vm', 'dgram', 'cluster']) "
                  "{ try { require(m); out.push(m + ': loaded') } catch (e) { out.push(e.code) } } out")
t.eq(r["result"], ["ERR_CORRAL_FORBIDDEN_MODULE"] * 5, "processes, datagram sockets, threads and vm are refused by require")
# net and http load (bundles import them), and what would open a socket refuses (41-node-http).
rc, r, _ = run_js("const out = []; for (const f of [() => require('net').connect(80), () => require('http').createServer()]) "
                  "{ try { f(); out.push('no error') } catch (e) { out.push(e.code) } } out")
t.eq(r["result"], ["ERR_CORRAL_FORBIDDEN"] * 2, "net.connect and http.createServer refuse with ERR_CORRAL_FORBIDDEN")
rc, r, _ = run_js("try { require('fs').readFileSync('/etc/passwd', 'utf8') } catch (e) { e.code }")
t.eq(r["result"], "ENOENT", "fs sees the package, not the host: /etc/passwd does not exist")
rc, r, _ = run_js("await fetch('http://example.com/').then(() => 'fetched', e => e.name + ': ' + (e.cause && e.cause.message))")
t.ok(isinstance(r["result"], str) and r["result"].startswith("TypeError") and "refused" in r["result"],
     "fetch without an allowlist is refused (TypeError, the reason as its cause)", r["result"])
rc, r, _ = run_js("eval('1 + 1')")
t.eq((r["status"], r["error"]["name"]), ("error", "EvalError"), "eval is off by default")
rc, r, _ = run_js("new Function('return 2')()")
t.eq(r["status"], "error", "new Function is off by default")
rc, r, _ = run_js("eval('1 + 1')", "--allow-eval")
t.eq(r["result"], 2, "--allow-eval turns it on")
rc, r, _ = run_js("let s = 0; for (let i = 0; i < 1e6; i++) s += i; s", "--no-jit")
t.eq(r["result"], 499999500000, "--no-jit runs")

# TypeScript: types, enums, interfaces, generics, imports, top-level await.
with tempfile.NamedTemporaryFile("w", suffix=".ts", delete=False) as f:
    f.write("interface User { name: string; age: number }\n"
            "enum Color { Red, Green = 5, Blue }\n"
            "function first<T>(xs: T[]): T | undefined { return xs[0]; }\n"
            "import { join } from 'path';\n"
            "const u: User = { name: 'Ann', age: 3 };\n"
            "console.log(first<number>([7, 8]), Color.Green, Color[6], join('a', 'b'));\n"
            "const v = await Promise.resolve(u.age as number);\n"
            "v * 2\n")
    tsfile = f.name
rc, out, err, _ = run(["run", "--json", tsfile])
r = json.loads(out) if out.strip() else {}
t.eq((rc, r.get("result"), r.get("stdout")), (0, 6, "7 5 Blue a/b\n"), "TypeScript (interfaces, enums, generics, import, await) runs")
os.unlink(tsfile)
rc, r, _ = run_js("let x: number = ;", "--typescript")
t.eq((rc, r["status"]), (2, "rejected"), "a TypeScript syntax error is rejected")

# A fresh global per execution, and bounded memory over many executions.
with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
    f.write("if (globalThis.leak !== undefined) throw new Error('leaked ' + globalThis.leak);\n"
            "globalThis.leak = 1; var v = 1; Object.prototype.polluted = true; 'clean'")
    leak = f.name
rc, out, err, _ = run(["run", "--json", "--repeat", "3", leak])
lines = [l for l in out.splitlines() if l.strip()]
t.eq((rc, len(lines), all('"status":"ok"' in l for l in lines)), (0, 3, True), "a global set in one execution is not visible in the next")
with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
    f.write("const o = {a: [1, 2, 3], s: 'x'.repeat(1000)}; console.log(JSON.stringify(o).length); o")
    many = f.name
import json  # noqa: E402
rc, out, err, _ = run(["run", "--json", "--repeat", "1000", many], timeout=120)
rs = [json.loads(l) for l in out.splitlines() if l.strip()]
peaks = [x["usage"]["peak_memory_bytes"] for x in rs]
t.eq((rc, len(rs), {x["status"] for x in rs}), (0, 1000, {"ok"}), "1,000 sequential executions in one worker")
if len(peaks) == 1000:
    early, late = max(peaks[100:200]), max(peaks[900:])
    t.ok(late <= early * 1.5 + (8 << 20), f"RSS does not grow without bound (executions 100-200: {early >> 20} MB, 900-1000: {late >> 20} MB)")
else:
    t.ok(False, "RSS does not grow without bound", "runs failed")
os.unlink(leak)
os.unlink(many)

# Streaming: output arrives as it is written, not at the end.
p = subprocess.Popen([CORRAL, "run", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
t0 = time.monotonic()
p.stdin.write(b"console.log('first'); setTimeout(() => console.log('second'), 400)")
p.stdin.close()
first = p.stdout.readline()
t_first = time.monotonic() - t0
rest = p.stdout.read()
p.wait()
t_end = time.monotonic() - t0
t.ok(first == b"first\n" and rest == b"second\n" and t_end - t_first > 0.25,
     "stdout is streamed live (the first line arrives before the timer fires)", (first, rest, t_first, t_end))

# Usage errors.
for args, needle, desc in [
    (["run", "--timeout", "abc", "-"], "--timeout must be a whole number", "a bad --timeout"),
    (["run", "--timeout", "0", "-"], "from 1 to 300000", "a --timeout out of range"),
    (["run", "--memory", "8", "-"], "--memory", "a --memory below the minimum"),
    (["run", "--bogus", "-"], "unknown or incomplete option", "an unknown flag"),
    (["run"], "FILE", "no file"),
    (["run", "--env", "NOEQUALS", "-"], "NAME=value", "a bad --env"),
    (["run", "/nonexistent/x.js"], "cannot open '/nonexistent/x.js'", "a missing file"),
    (["frobnicate"], "unknown command", "an unknown command"),
]:
    rc, out, err, _ = run(args, stdin="1")
    t.ok(rc == 2 and needle in err, f"{desc}: exit 2 with a message naming it", (rc, err))

t.done()
