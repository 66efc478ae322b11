#!/usr/bin/env python3
"""TypeScript as tsc accepts it, code generation when the caller allows it,
and WebAssembly on request (issue 13, points 10, 12 and 11).

TypeScript: each construct sucrase cannot compile (value namespaces, enums,
parameter properties, both kinds of decorators, satisfies, accessor, using)
runs in code mode over HTTP and with `corral run x.ts`, compared with Node
running what TypeScript's own transpileModule (node_modules/typescript)
makes of it, computed here. allow_eval: the request field, the tenant
setting, a session's snippets and a function's package.json setting, with
`new Function` and the real ajv package (bundled here with esbuild) compiling
a schema; refused with an EvalError naming allow_eval without it. wasm: a
module's `add` export, a `(loop (br 0))` that ends `timeout` within the
deadline and the kill grace while a neighbour of the same tenant ends ok,
and no WebAssembly without the flag."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap, CORRAL, run  # noqa: E402
from server import Server, ServerError  # noqa: E402

t = Tap("38-ts-eval-wasm")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE_MODULES = os.path.join(ROOT, "node_modules")
TMP = tempfile.mkdtemp(prefix="corral-38-")


def node(code, cwd=TMP):
    p = subprocess.run(["node", "-e", code], capture_output=True, text=True, cwd=cwd, timeout=60,
                       env=dict(os.environ, NODE_PATH=NODE_MODULES))
    return p.returncode, p.stdout, p.stderr


def tsc_reference(src, experimental=False):
    """What Node prints for TypeScript's own transpileModule output of src
    (CommonJS, ES2022, as corral compiles it)."""
    path = os.path.join(TMP, "case.ts")
    with open(path, "w") as f:
        f.write(src)
    js = os.path.join(TMP, "case.js")
    rc, out, err = node(
        "const ts = require('typescript'), fs = require('fs');"
        f"const src = fs.readFileSync({json.dumps(path)}, 'utf8');"
        "const o = ts.transpileModule(src, {compilerOptions: {module: ts.ModuleKind.CommonJS,"
        f" target: ts.ScriptTarget.ES2022, experimentalDecorators: {str(experimental).lower()}}}}});"
        f"fs.writeFileSync({json.dumps(js)}, o.outputText);")
    if rc:
        return None
    p = subprocess.run(["node", js], capture_output=True, text=True, timeout=60)
    return p.stdout if p.returncode == 0 else None


TS_CASES = {
    "namespace": """
namespace Geo {
  export const pi = 3.14;
  export function area(r: number): number { return pi * r * r; }
  export namespace Inner { export const depth: number = 2; }
}
namespace Geo { export const merged = area(1) + Inner.depth; }
function tag(s: string) { return tag.prefix + s; }
namespace tag { export const prefix = '#'; }
console.log(Geo.area(2), Geo.Inner.depth, Geo.merged, tag('x'));
""",
    "enum and const enum": """
enum Color { Red, Green = 5, Blue, Named = 'n' }
const enum Dir { Up = 1, Down, Left = Up * 10 }
declare const enum Ambient { A = 3 }
console.log(Color.Green, Color[6], Color.Named, Dir.Down, Dir.Left, JSON.stringify(Color));
""",
    "parameter properties": """
class Point {
  constructor(public x: number, private readonly y: number, protected z = 3) {}
  sum(): number { return this.x + this.y + this.z; }
}
class P3 extends Point { constructor(public w: number) { super(w, w); } }
const p = new P3(4);
console.log(p.sum(), Object.keys(p).join(','), JSON.stringify(new Point(1, 2)));
""",
    "standard decorators": """
function logged<T extends (...a: any[]) => any>(value: T, ctx: ClassMethodDecoratorContext) {
  return function (this: any, ...args: any[]) { return `${String(ctx.name)}(${args.join()})=` + value.apply(this, args); };
}
function bound(value: any, ctx: ClassFieldDecoratorContext) { return (v: number) => v * 10; }
function sealedClass(cls: any, ctx: ClassDecoratorContext) { ctx.addInitializer(function () { (this as any).tagged = ctx.name; }); }
@sealedClass
class Calc {
  @bound base = 4;
  @logged add(a: number, b: number) { return a + b + this.base; }
}
console.log(new Calc().add(1, 2), (Calc as any).tagged);
""",
    "experimentalDecorators": """// @experimentalDecorators: true
function log(target: any, key: string, desc: PropertyDescriptor) {
  const orig = desc.value;
  desc.value = function (...a: any[]) { return `[${key}]` + orig.apply(this, a); };
}
function param(target: any, key: string, index: number) { (target.params ||= []).push(`${key}:${index}`); }
function klass<T extends { new (...a: any[]): {} }>(C: T) { return class extends C { extra = 'yes'; }; }
@klass
class Svc {
  @log greet(@param name: string) { return 'hi ' + name; }
}
console.log(new Svc().greet('ann'), (new Svc() as any).extra, (Svc.prototype as any).params);
""",
    "satisfies": """
type Cfg = Record<string, number | string>;
const cfg = { port: 8080, host: 'h' } satisfies Cfg;
const n = (cfg.port satisfies number) + 1;
console.log(n, cfg.host.toUpperCase());
""",
    "accessor": """
class Box {
  accessor size: number = 3;
  static accessor count = 0;
  grow() { this.size++; Box.count++; return this.size; }
}
const b = new Box();
b.grow(); b.grow();
console.log(b.size, Box.count, Object.keys(b).length, typeof Object.getOwnPropertyDescriptor(Box.prototype, 'size')!.get);
""",
    "using": """
const log: string[] = [];
function res(name: string) { return { [Symbol.dispose]() { log.push('dispose ' + name); } }; }
function work() {
  using a = res('a');
  using b = res('b');
  log.push('body');
  return 'ret';
}
log.push(work());
async function aw() {
  await using c = { async [Symbol.asyncDispose]() { log.push('async dispose c'); } };
  log.push('async body');
}
aw().then(() => console.log(log.join('; ')));
""",
    "module syntax and types together": """
import { strict as assert } from 'node:assert';
export namespace Api { export const version: string = 'v' + 2; }
export enum Level { Low = 1, High }
interface Shape { kind: 'sq'; side: number }
const shapes: Shape[] = [{ kind: 'sq', side: 3 }];
assert.equal(Level.High, 2);
console.log(Api.version, Level[2], shapes.map((s) => s.side ** 2).join());
""",
}

try:
    srv = Server(env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "4", "CORRAL_LOG_LEVEL": "warn",
                      "CORRAL_MAX_CODE_BYTES": str(4 << 20), "CORRAL_MAX_BODY_BYTES": str(8 << 20)},
                 ready=True).start()
except ServerError as e:
    t.ok(False, "corral serve starts", e)
    t.done()


def execute(code, **fields):
    st, obj, _ = srv.execute(code, timeout=120, **fields)
    return st, obj or {}


# --- 13.10 TypeScript ----------------------------------------------------

for name, src in TS_CASES.items():
    want = tsc_reference(src, experimental="@experimentalDecorators" in src)
    t.ok(want, f"ts {name}: Node runs TypeScript's transpileModule output", want)
    st, obj = execute(src, language="typescript")
    t.eq((st, obj.get("status"), obj.get("stdout")), (200, "ok", want), f"ts {name}: code mode over HTTP prints what Node prints")
    path = os.path.join(TMP, "prog.ts")
    with open(path, "w") as f:
        f.write(src)
    rc, out, err, _ = run(["run", path])
    t.eq((rc, out), (0, want), f"ts {name}: corral run x.ts prints what Node prints")

# Sucrase still takes plain TypeScript, and a syntax error is still a
# `rejected` with its line, through either transpiler.
st, obj = execute("const x: number = 2;\ninterface I { a: string }\nconsole.log(x * 21);", language="typescript")
t.eq((obj.get("status"), obj.get("stdout")), ("ok", "42\n"), "plain TypeScript runs as before")
for label, src in (("sucrase", "const a: number = 1;\nlet = ;\n"),
                   ("typescript", "namespace N { export const a = 1 }\nlet = ;\n")):
    st, obj = execute(src, language="typescript")
    err = obj.get("error") or {}
    t.ok(st == 200 and obj.get("status") == "rejected" and err.get("name") == "SyntaxError" and err.get("line") == 2,
         f"a TypeScript syntax error is rejected with its line ({label})", obj)
# Prose that only looks like those constructs (a JSDoc tag, "using a cache",
# an e-mail address) stays with sucrase, which keeps line numbers (TypeScript's
# output drops the type-only lines).
st, obj = execute("/** @param x the value, using a cache; mail a@b.c */\ninterface I { a: number }\ntype T = string;\n"
                  "function f(x: number) { throw new Error('boom ' + x); }\nf(1);\n", language="typescript")
t.eq(((obj.get("error") or {}).get("message"), (obj.get("error") or {}).get("line")), ("boom 1", 4),
     "comments that mention @param or using do not change the transpiler (the error is on line 4)")
# The second run of the same program is served from the worker's caches.
big = "namespace N { export const z = 1 }\n" + "\n".join(
    f"function f{i}(x: number): number {{ return x + {i} + N.z; }}" for i in range(300)) + "\nconsole.log(f299(1));\n"
_, first = execute(big, language="typescript")
_, second = execute(big, language="typescript")
t.ok(first.get("stdout") == "301\n" and second.get("stdout") == "301\n"
     and second["usage"]["wall_ms"] < max(first["usage"]["wall_ms"] / 2, 5),
     "the same TypeScript again is not transpiled again",
     (first.get("usage"), second.get("usage")))

# --- 13.12 allow_eval ----------------------------------------------------

FN_CODE = "new Function('a', 'b', 'return a * b')(6, 7)"


def refused_eval(obj):
    err = obj.get("error") or {}
    return obj.get("status") == "error" and err.get("name") == "EvalError" and "allow_eval" in err.get("message", "")


st, obj = execute(FN_CODE)
t.ok(st == 200 and refused_eval(obj), "new Function is refused by default, naming allow_eval", obj)
st, obj = execute(FN_CODE, allow_eval=True)
t.eq((st, obj.get("status"), obj.get("result")), (200, "ok", 42), "allow_eval: true lets new Function run")
st, obj = execute("eval('1 + 1')", allow_eval=False)
t.ok(refused_eval(obj), "allow_eval: false refuses eval", obj)
st, obj = execute(FN_CODE, allow_eval="yes")
t.ok(st == 400 and obj.get("error", {}).get("field") == "allow_eval", "allow_eval must be a boolean (400 naming it)", obj)
# The same worker, eval allowed then not: the setting is per context.
st, obj = execute("[typeof eval('1'), new Function('return 2')()]", allow_eval=True)
st2, obj2 = execute("eval('1')")
t.ok(obj.get("result") == ["number", 2] and refused_eval(obj2), "allowed for one execution, refused for the next", (obj, obj2))

# The real ajv, bundled with esbuild as a user would.
AJV_SRC = """const Ajv = require('ajv');
const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile({
  type: 'object',
  properties: { name: { type: 'string', minLength: 2 }, age: { type: 'integer', minimum: 0 }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['name', 'age'], additionalProperties: false,
});
for (const v of [{ name: 'Ann', age: 3, tags: ['a'] }, { name: 'A', age: -1 }, { name: 'Bo', age: 1, x: 1 }]) {
  console.log(validate(v), JSON.stringify((validate.errors || []).map((e) => [e.instancePath, e.keyword, e.message])));
}
"""
ajv_in = os.path.join(TMP, "ajv-in.js")
with open(ajv_in, "w") as f:
    f.write(AJV_SRC)
ajv_out = os.path.join(TMP, "ajv-bundle.js")
p = subprocess.run([os.path.join(NODE_MODULES, ".bin", "esbuild"), ajv_in, "--bundle", "--platform=neutral",
                    "--main-fields=main,module", "--format=cjs", f"--outfile={ajv_out}", "--log-level=warning"],
                   capture_output=True, text=True, env=dict(os.environ, NODE_PATH=NODE_MODULES), timeout=120)
t.ok(p.returncode == 0, "ajv bundles with esbuild", p.stderr)
ajv_bundle = open(ajv_out).read() if p.returncode == 0 else "throw new Error('no bundle')"
want = subprocess.run(["node", ajv_out], capture_output=True, text=True, timeout=60).stdout
t.ok(want.count("\n") == 3, "Node runs the ajv bundle", want)
st, obj = execute(ajv_bundle, allow_eval=True)
t.eq((obj.get("status"), obj.get("stdout")), ("ok", want), "ajv compiles and validates with allow_eval, as in Node")
st, obj = execute(ajv_bundle)
t.ok(refused_eval(obj), "ajv without allow_eval: an EvalError naming allow_eval", obj.get("error"))

# The tenant setting: the default for every execution; the request wins.
st, sobj, _ = srv.json("PUT", "/v1/settings", {"allow_eval": True})
t.ok(st == 200 and sobj.get("allow_eval") is True, "PUT /v1/settings {allow_eval: true}", sobj)
st, gobj, _ = srv.json("GET", "/v1/settings")
t.ok(st == 200 and gobj.get("allow_eval") is True, "GET /v1/settings shows allow_eval", gobj)
st, obj = execute(ajv_bundle)
t.eq((obj.get("status"), obj.get("stdout")), ("ok", want), "with the tenant setting, ajv runs without the request field")
st, obj = execute(FN_CODE, allow_eval=False)
t.ok(refused_eval(obj), "the request's allow_eval: false overrides the tenant's true", obj)
st, bad, _ = srv.json("PUT", "/v1/settings", {"allow_eval": "on"})
t.ok(st == 400 and bad.get("error", {}).get("field") == "allow_eval", "a bad allow_eval setting is a 400 naming it", bad)
st, sobj, _ = srv.json("PUT", "/v1/settings", {"allow_eval": None})
st, obj = execute(FN_CODE)
t.ok(refused_eval(obj), "with the setting back to null, eval is off again", obj)

# Sessions: decided per snippet. A function made while eval was allowed
# stays callable; new code generation in a later snippet is refused.
st, sess, _ = srv.json("POST", "/v1/sessions", {"ttl_s": 600})
sid = (sess or {}).get("id")
t.ok(st == 201 and sid, "a session is created", sess)
st, obj = execute("var mul = new Function('a', 'b', 'return a * b'); mul(3, 4)", session_id=sid, allow_eval=True)
t.eq((obj.get("status"), obj.get("result")), ("ok", 12), "a session snippet with allow_eval uses new Function")
st, obj = execute("mul(5, 6)", session_id=sid)
t.eq((obj.get("status"), obj.get("result")), ("ok", 30), "the function it made works in the next snippet")
st, obj = execute("new Function('return 1')()", session_id=sid)
t.ok(refused_eval(obj), "a session snippet without allow_eval is refused code generation", obj)
st, obj = execute("eval('mul(1, 2)')", session_id=sid, allow_eval=True)
t.eq((obj.get("status"), obj.get("result")), ("ok", 2), "and allowed again per snippet")
st, obj, _ = srv.json("POST", "/v1/sessions", {"allow_eval": True})
t.ok(st == 400 and obj.get("error", {}).get("code") == "unknown_field", "allow_eval is per snippet, not a session field", obj)


def deploy(name, files):
    st, _, raw = srv.request("PUT", f"/v1/functions/{name}", json.dumps({"files": files}).encode(),
                             {"Content-Type": "application/json"})
    try:
        return st, json.loads(raw)
    except ValueError:
        return st, None


HANDLER = ("module.exports = (req, res) => {\n  try { res.json({ v: new Function('x', 'return x + 1')(41) }); }\n"
           "  catch (e) { res.status(200).json({ name: e.name, message: e.message }); }\n};\n")
st, obj = deploy("evalfn", {"index.js": HANDLER, "package.json": json.dumps({"corral": {"allow_eval": True}})})
t.ok(st == 201, "a function whose package.json says corral.allow_eval deploys", obj)
st, _, raw = srv.request("GET", "/fn/evalfn/")
t.eq((st, raw), (200, b'{"v":42}'), "its handler may use new Function")
st, obj = deploy("noevalfn", {"index.js": HANDLER, "package.json": "{}"})
st, _, raw = srv.request("GET", "/fn/noevalfn/")
t.ok(st == 200 and b"EvalError" in raw and b"allow_eval" in raw, "without the setting its handler gets an EvalError", raw)
# A TypeScript function entry with a namespace and an enum (TypeScript's
# transpiler, through the module loader).
TS_FN = ("namespace Greeting { export const word: string = 'hello'; }\nenum Code { Ok = 200 }\n"
         "export default function (req: any, res: any) { res.status(Code.Ok).json({ w: Greeting.word }); }\n")
st, obj = deploy("tsfn", {"index.ts": TS_FN})
st2, _, raw = srv.request("GET", "/fn/tsfn/")
t.eq((st, st2, raw), (201, 200, b'{"w":"hello"}'), "a TypeScript function with a namespace and an enum answers")
st, obj = deploy("badevalfn", {"index.js": HANDLER, "package.json": json.dumps({"corral": {"allow_eval": 1}})})
msg = (obj or {}).get("error", {}).get("message", "")
t.ok(st == 400 and "allow_eval" in msg and "package.json" in msg, "a bad corral.allow_eval is refused at deploy, naming it", obj)
st, obj = deploy("badkeyfn", {"index.js": HANDLER, "package.json": json.dumps({"corral": {"alow_eval": True}})})
t.ok(st == 400 and "alow_eval" in (obj or {}).get("error", {}).get("message", ""), "an unknown corral setting is refused", obj)

# --- 13.11 WebAssembly ---------------------------------------------------

# (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
ADD = ("new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,"
       "10,9,1,7,0,32,0,32,1,106,11])")
# (module (func (export "loop") (loop (br 0))))
LOOP = "new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,8,1,4,108,111,111,112,0,0,10,9,1,7,0,3,64,12,0,11,11])"

st, obj = execute("typeof WebAssembly")
t.eq((obj.get("status"), obj.get("result")), ("ok", "undefined"), "no WebAssembly without the flag")
st, obj = execute("typeof WebAssembly", wasm=False)
t.eq(obj.get("result"), "undefined", "nor with wasm: false")
st, obj = execute(f"new WebAssembly.Instance(new WebAssembly.Module({ADD})).exports.add(2, 3)", wasm=True)
t.eq((obj.get("status"), obj.get("result")), ("ok", 5), "wasm: true compiles a module from bytes and calls its add export")
st, obj = execute(f"const {{ instance }} = await WebAssembly.instantiate({ADD}); instance.exports.add(40, 2)", wasm=True)
t.eq((obj.get("status"), obj.get("result")), ("ok", 42), "WebAssembly.instantiate works too")
st, obj = execute("new Function('return 1')()", wasm=True)
t.ok(refused_eval(obj), "codegen from strings stays off with wasm: true", obj)
st, obj = execute("1", wasm="yes")
t.ok(st == 400 and obj.get("error", {}).get("field") == "wasm", "wasm must be a boolean (400 naming it)", obj)
st, obj = execute("1", wasm=True, session_id=sid)
t.ok(st == 400 and obj.get("error", {}).get("field") == "wasm", "wasm in a session is a 400 naming it", obj)

# A wasm loop that never yields: JSC's watchdog cannot stop it, the
# supervisor's deadline kill does, and a neighbour of the same tenant runs on.
DEADLINE, GRACE = 300, 100
res = {}


def looping():
    t0 = time.monotonic()
    res["loop"] = execute(f"new WebAssembly.Instance(new WebAssembly.Module({LOOP})).exports.loop()",
                          wasm=True, timeout_ms=DEADLINE)
    res["loop_s"] = time.monotonic() - t0


def neighbour():
    res["nb"] = execute("await new Promise((r) => setTimeout(r, 600)); 'neighbour'", timeout_ms=5000)


# The wasm worker is started (and warm) before the timed run.
execute(f"new WebAssembly.Module({ADD}) instanceof WebAssembly.Module", wasm=True)
th = [threading.Thread(target=neighbour), threading.Thread(target=looping)]
th[0].start()
time.sleep(0.1)
th[1].start()
for x in th:
    x.join()
_, lo = res["loop"]
_, nb = res["nb"]
t.eq((lo.get("status"), (lo.get("error") or {}).get("name")), ("timeout", "TimeoutError"), "a wasm (loop (br 0)) ends timeout")
# The deadline and the kill grace, plus the HTTP round trip on a busy box.
t.ok(res["loop_s"] < (DEADLINE + GRACE) / 1000 + 1.5, f"within the deadline and the kill grace ({res['loop_s']:.2f} s)", res["loop_s"])
t.eq((nb.get("status"), nb.get("result")), ("ok", "neighbour"), "the tenant's neighbour execution ends ok")
st, obj = execute(f"new WebAssembly.Instance(new WebAssembly.Module({ADD})).exports.add(1, 1)", wasm=True)
t.eq(obj.get("result"), 2, "the next wasm execution runs in a fresh worker")

# Its memory stays under its cap: a memory grown past memory_mb ends it.
st, obj = execute("const m = new WebAssembly.Memory({ initial: 1, maximum: 16384 }); const keep = [];"
                  " for (let i = 0; i < 1000; i++) { m.grow(16); new Uint8Array(m.buffer).fill(1); } m.buffer.byteLength",
                  wasm=True, memory_mb=64)
t.ok(obj.get("status") == "memory_limit" or (obj.get("status") == "error" and (obj.get("error") or {}).get("name") == "RangeError"),
     "a wasm memory grown past memory_mb ends memory_limit (or its grow is refused)", (obj.get("status"), obj.get("error")))

# corral run --allow-wasm: the same, from the command line.
wpath = os.path.join(TMP, "wasm.js")
with open(wpath, "w") as f:
    f.write(f"console.log(new WebAssembly.Instance(new WebAssembly.Module({ADD})).exports.add(20, 22));\n")
rc, out, err, _ = run(["run", "--allow-wasm", wpath])
t.eq((rc, out), (0, "42\n"), "corral run --allow-wasm runs a module")
rc, out, err, _ = run(["run", wpath])
t.ok(rc == 1 and "WebAssembly" in err, "corral run without it: no WebAssembly", (rc, err))
with open(wpath, "w") as f:
    f.write(f"new WebAssembly.Instance(new WebAssembly.Module({LOOP})).exports.loop();\n")
rc, out, err, secs = run(["run", "--allow-wasm", "--timeout", "300", wpath])
t.ok(rc == 124 and "timeout" in err and secs < 3, f"corral run --allow-wasm: a wasm loop ends timeout ({secs:.2f} s)", (rc, err))

# The tenant setting.
st, sobj, _ = srv.json("PUT", "/v1/settings", {"wasm": True})
t.ok(st == 200 and sobj.get("wasm") is True, "PUT /v1/settings {wasm: true}", sobj)
st, obj = execute("typeof WebAssembly")
t.eq(obj.get("result"), "object", "with the tenant setting, WebAssembly is there")
st, obj = execute("typeof WebAssembly", wasm=False)
t.eq(obj.get("result"), "undefined", "and wasm: false in the request wins")
srv.json("PUT", "/v1/settings", {"wasm": None})

# A function package that asks for it.
WASM_HANDLER = ("module.exports = (req, res) => res.json({ t: typeof WebAssembly, v: typeof WebAssembly === 'object'"
                f" ? new WebAssembly.Instance(new WebAssembly.Module({ADD})).exports.add(20, 22) : null }});\n")
st, obj = deploy("wasmfn", {"index.js": WASM_HANDLER, "package.json": json.dumps({"corral": {"wasm": True}})})
st, _, raw = srv.request("GET", "/fn/wasmfn/")
t.eq((st, raw), (200, b'{"t":"object","v":42}'), "a function with corral.wasm uses WebAssembly")
st, obj = deploy("nowasmfn", {"index.js": WASM_HANDLER})
st, _, raw = srv.request("GET", "/fn/nowasmfn/")
t.eq((st, raw), (200, b'{"t":"undefined","v":null}'), "one without it has no WebAssembly")

errs = srv.server_errors() if hasattr(srv, "server_errors") else []
t.ok(not errs, "no 5xx", errs)
srv.stop()
t.done()
