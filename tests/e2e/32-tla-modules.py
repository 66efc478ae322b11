#!/usr/bin/env python3
"""Top-level await, results that never settle, and module syntax, decided by
lexing and parsing rather than by patterns (issue 13 points 1, 2 and 14;
issue 19 point 4's correctness; bench/bench-tla.sh measures its cost).

- `await (p)`, `const x = await (p)`, `[await a, await (b)]` compile as a
  script (a call of, or an index into, a variable named `await`): they must
  still run as top-level await, in `corral run`, POST /v1/execute and
  sessions; the same code in Node (as an ES module) prints the same.
- A completion value that is a promise nothing can settle is an error.
- A module file is transpiled when it has import/export statements,
  import() or import.meta as tokens, not when a comment or string says so;
  code mode runs ES module code (import/export) as Node runs a .mjs.
- A 1.3 MB bundle, with a top-level await appended, stays within the
  default 128 MB cap (the rewrite parses its skeleton, not its bodies).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap, run_js  # noqa: E402
from server import start_or_fail  # noqa: E402

t = Tap("32-tla-modules")
NODE = subprocess.run(["sh", "-c", "command -v node"], capture_output=True, text=True).stdout.strip()


def node_mjs(code):
    """stdout of code run by Node as an ES module (None without node)."""
    if not NODE:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".mjs", delete=False) as f:
        f.write(code)
    try:
        p = subprocess.run([NODE, f.name], capture_output=True, text=True, timeout=30)
        return p.stdout
    finally:
        os.unlink(f.name)


def result(code, *flags):
    rc, r, _ = run_js(code, *flags)
    return r


# --- point 1: top-level await in every expression position -----------------
PAREN_CASES = [
    ("await (Promise.resolve(3))", 3),
    ("const x = await (Promise.resolve(4)); x", 4),
    ("JSON.stringify(await (Promise.resolve({a: 1})))", '{"a":1}'),
    ("const a = Promise.resolve(1), b = Promise.resolve(2); [await a, await (b)]", [1, 2]),
    ("const arr = [Promise.resolve('x')]; await [arr[0]][0]", "x"),
    ("let n = await (async () => 5)() + 1; n", 6),
    ("const o = {v: await (new Promise(r => setTimeout(() => r(7), 10)))}; o.v", 7),
    ("function f(p) { return p } await (f(Promise.resolve(8)))", 8),
    ("async function g() { return 9 }\nawait\n(g())", 9),
]
for code, want in PAREN_CASES:
    r = result(code)
    t.ok(r.get("status") == "ok" and r.get("result") == want, f"corral run: {code!r} is {want!r}", r)

# The same programs print the same in Node, as an ES module.
prog = ("const a = Promise.resolve(1), b = Promise.resolve(2);\n"
        "console.log(await (a), [await a, await (b)], JSON.stringify(await (Promise.resolve({k: [1]}))));\n"
        "const x = await (new Promise(r => setTimeout(() => r('late'), 5)));\n"
        "console.log(x, typeof (await (Promise.resolve(() => 1))));\n")
want = node_mjs(prog)
r = result(prog)
if want is None:
    t.skip("stdout is Node's for a program of await (...) forms", "node is not on PATH")
else:
    t.eq(r.get("stdout"), want, "stdout is Node's for a program of await (...) forms")

# `await` that really is a variable: code that does not parse as a module
# runs as the script it is.
r = result("var await = (x) => x * 2; await (21)")
t.ok(r.get("status") == "ok" and r.get("result") == 42, "a variable named await still works where it must be one", r)
# Inside functions, and as a property name, await needs no rewrite: the
# completion value is the script's own (a rewritten script's would be a
# promise's value), and `this` at the top level is module.exports.
r = result("const o = {await: 1}; o.await += 1; async function f() { await 0 } [o.await, this === module.exports]")
t.ok(r.get("status") == "ok" and r.get("result") == [2, True], "await as a property name or inside a function: no rewrite", r)

# Declarations of rewritten code are still globals of the execution.
r = result("await (0); var v = 1; let l = 2; const c = 3; function fn() { return 4 } class K {}\n"
           "[globalThis.v, globalThis.l, globalThis.c, globalThis.fn(), typeof globalThis.K]")
t.ok(r.get("result") == [1, 2, 3, 4, "function"], "a rewritten script's declarations are globals", r)

# --- point 2: a result that never settles ------------------------------------
for code in ["(async () => new Promise(() => {}))()", "new Promise(() => {})",
             "(async function () { await new Promise(() => {}) })()"]:
    r = result(code)
    err = r.get("error") or {}
    t.ok(r.get("status") == "error" and "never settled" in (err.get("message") or ""),
         f"a result that can never settle is an error: {code}", r)
r = result("await new Promise(() => {})")
t.ok(r.get("status") == "error" and "never settled" in ((r.get("error") or {}).get("message") or ""),
     "a top-level await that can never settle is an error", r)
r = result("new Promise(r => setTimeout(() => r('waited'), 50))")
t.ok(r.get("status") == "ok" and r.get("result") == "waited", "a pending timer is waited for", r)
r = result("(async () => { const res = await new Promise(r => setTimeout(r, 30, 'x')); return res + 'y' })()")
t.ok(r.get("status") == "ok" and r.get("result") == "xy", "an async function's result is awaited", r)
r = result("new Promise(r => setTimeout(r, 5000))", "--timeout", "300")
t.ok(r.get("status") == "timeout", "waiting on a timer past the deadline is a timeout, not never-settled", r)

# --- point 14: module syntax from tokens --------------------------------------
r = result("import path from 'path';\nimport { join } from 'node:path';\n"
           "export const k = 1;\n[path.join('a', 'b'), join('c', 'd'), k]")
t.ok(r.get("status") == "ok" and r.get("result") == ["a/b", "c/d", 1], "code mode runs import/export code", r)
r = result("const m = await import('path'); m.join('x', 'y')")
t.ok(r.get("status") == "ok" and r.get("result") == "x/y", "code mode: await import()", r)

LOADER = r"""
const fs = require('fs');
fs.writeFileSync('/tmp/a.js', "// a comment that says import('x')\nmodule.exports = (function () { return typeof this })() + ' ' + 'import(y)' + ` export ${1}`;");
fs.writeFileSync('/tmp/b.js', "module.exports = import('path').then(p => p.join('a', 'b'));");
fs.writeFileSync('/tmp/c.js', "export const x = 1;\nexport default function f() { return 'f' }");
fs.writeFileSync('/tmp/d.cjs', "/* export default 1 */ module.exports = (function () { return typeof this })();");
const c = require('/tmp/c.js');
[require('/tmp/a.js'), await require('/tmp/b.js'), c.x, c.default(), require('/tmp/d.cjs')]
"""
r = result(LOADER)
# Node: a.js and d.cjs are CommonJS (sloppy: `this` in a plain call is the
# global object); b.js uses import(); c.js is a module.
t.ok(r.get("status") == "ok" and r.get("result") == ["object import(y) export 1", "a/b", 1, "f", "object"],
     "the loader transpiles a file for its tokens, not for a comment or string that says import( or export", r)

# The case: a 1.3 MB file whose comment says import( ran out of the
# 128 MB cap in the transpiler before its first line.
BIG = r"""
const fs = require('fs');
let src = "// loads lazily: import('./later.js')\n";
for (let i = 0; i < 20000; i++) src += `exports.f${i} = function (a) { const o = { k: 'v${i}', n: [${i}, ${i + 1}] }; return a + o.n[0] + /x{2}/.source.length; };\n`;
fs.writeFileSync('/tmp/big.js', src);
const m = require('/tmp/big.js');
[src.length > 1.3e6, m.f7(1), Object.keys(m).length]
"""
r = result(BIG)
t.ok(r.get("status") == "ok" and r.get("result") == [True, 12, 20000],
     "a 1.3 MB module with import( in a comment loads within the 128 MB cap", r)

# --- issue 19 point 4: a big script with a top-level await --------------------
big = "".join(f"function f{i}(a) {{ const o = {{ k: 'v{i}', n: [{i}] }}; return a + o.n[0]; }}\n"
              f"var v{i} = f{i}({i});\n" for i in range(12000))
code = big + "const last = await (Promise.resolve(v11999)); [last, typeof f5, globalThis.v3]"
# The sanitizers' shadow memory is charged to the worker too.
r = result(code, *(("--memory", "384") if os.environ.get("CORRAL_SANITIZED") == "1" else ()))
t.ok(len(code) > 1_000_000 and r.get("status") == "ok" and r.get("result") == [23998, "function", 6],
     f"a {len(code) >> 10} KB script with a top-level await runs within the 128 MB cap", (r.get("status"), r.get("result"), r.get("usage"), r.get("error")))

# --- over HTTP: code mode and sessions ----------------------------------------
srv = start_or_fail(t, "a server starts", env={"ISOLATE_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"}, ready=True)
if srv:
    st, r, _ = srv.json("POST", "/v1/execute", {"code": "const x = await (Promise.resolve(40)); x + 2"})
    t.ok(st == 200 and r.get("status") == "ok" and r.get("result") == 42, "POST /v1/execute: const x = await (p)", (st, r))
    st, r, _ = srv.json("POST", "/v1/execute", {"code": "new Promise(() => {})"})
    t.ok(st == 200 and r.get("status") == "error" and "never settled" in ((r.get("error") or {}).get("message") or ""),
         "POST /v1/execute: a result that never settles is an error", (st, r))
    st, s, _ = srv.json("POST", "/v1/sessions", {})
    sid = (s or {}).get("id")
    t.ok(st in (200, 201) and sid, "a session is created", (st, s))
    if sid:
        steps = [("const p = Promise.resolve(5); const v = await (p); v", 5),
                 ("[await (Promise.resolve(v + 1)), v]", [6, 5]),
                 ("let w = await [v][0]; w * 2", 10),
                 ("JSON.stringify(await (Promise.resolve({w})))", '{"w":5}')]
        for code, want in steps:
            st, r, _ = srv.json("POST", "/v1/execute", {"code": code, "session_id": sid})
            t.ok(st == 200 and r.get("status") == "ok" and r.get("result") == want, f"session: {code!r} is {want!r}", (st, r))
        st, r, _ = srv.json("POST", "/v1/execute", {"code": "(async () => new Promise(() => {}))()", "session_id": sid})
        t.ok(st == 200 and r.get("status") == "error" and "never settled" in ((r.get("error") or {}).get("message") or ""),
             "session: a result that never settles is an error", (st, r))
    srv.stop()

t.done()
