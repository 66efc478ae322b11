#!/usr/bin/env python3
"""Errors print as in Node (issue 13 point 6): err.stack in V8's form
("Error: boom\\n    at f (main.js:3:9)"), with V8's columns, built from
JavaScriptCore's stack; util.inspect and console.log of errors, `[Error:
x]` without a stack, `[cause]` and AggregateError's `[errors]` nested as
Node 20 nests them; V8's stack-trace API (Error.captureStackTrace,
Error.prepareStackTrace with CallSite objects, Error.stackTraceLimit) and
the `depd` package, which uses it; an execution's `error.stack`.

Each program runs in Node (the reference) and in `corral run --json`, as a
file main.js, and the stdouts are compared byte for byte after two
normalisations of what must differ: Node's absolute directory of main.js is
cut (corral names the file main.js), and the frames of Node's own code
(`node:internal/...`, below the user's, which corral has no counterpart
of) are left out, with the "... N lines matching cause stack trace ..."
lines that count them.

    CORRAL_BUILD=$PWD/build python3 tests/e2e/35-errors.py
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import CORRAL, Tap  # noqa: E402
import server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
NODE = shutil.which("node")
ESBUILD = os.path.join(ROOT, "node_modules", ".bin", "esbuild")

t = Tap("35-errors")

PROGRAMS = {}

PROGRAMS["stack of nested calls"] = r"""
function inner() { return new Error('boom'); }
function outer() { return inner(); }
const e = outer();
console.log(e.stack);
const arrow = () => new TypeError('arrow');
console.log(arrow().stack);
const named = function fe() { return new RangeError('fe'); };
console.log(named().stack);
console.log([1].map(() => new Error('in map'))[0].stack);
console.log(Error('called').stack);
"""

PROGRAMS["console.log and util.inspect of errors"] = r"""
const util = require('util');
function f() { throw new Error('boom'); }
try { f(); } catch (e) {
  console.log(e);
  console.log(util.inspect(e));
  console.log([e]);
  console.log({ e });
  console.log(`${e}`, String(e), e.message, e.name);
}
const withProps = new Error('props');
withProps.code = 'E_CODE';
withProps.extra = { n: 1 };
console.log(withProps);
const noStack = new Error('no stack');
noStack.stack = undefined;
console.log(noStack, [noStack], { noStack });
const deleted = new TypeError('deleted');
delete deleted.stack;
console.log([deleted]);
const custom = new Error('custom');
custom.stack = 'a custom stack';
console.log(custom, [custom]);
const empty = new Error('');
console.log(empty);
"""

PROGRAMS["cause and AggregateError"] = r"""
function load() { return new TypeError('inner'); }
function wrap() { return new Error('outer', { cause: load() }); }
console.log(wrap());
console.log(new Error('primitive cause', { cause: 'because' }));
console.log(new Error('object cause', { cause: { code: 42 } }));
function many() { return new AggregateError([new Error('a'), new RangeError('b')], 'many'); }
console.log(many());
console.log([new Error('deep', { cause: new Error('deeper', { cause: new Error('deepest') }) })]);
"""

PROGRAMS["subclasses"] = r"""
class AppError extends Error {
  constructor(message) { super(message); this.name = 'AppError'; }
}
class HttpError extends AppError {
  constructor(status) { super(`status ${status}`); this.status = status; }
}
function make() { return new HttpError(404); }
const e = make();
console.log(e.stack);
console.log(e);
console.log(e instanceof HttpError, e instanceof AppError, e instanceof Error);
class Captured extends Error {
  constructor(m) { super(m); this.name = 'Captured'; Error.captureStackTrace(this, Captured); }
}
function thrower() { return new Captured('captured'); }
console.log(thrower().stack);
function Legacy(m) { this.message = m; Error.captureStackTrace(this, Legacy); }
Legacy.prototype = Object.create(Error.prototype);
Legacy.prototype.name = 'Legacy';
Legacy.prototype.constructor = Legacy;
function legacy() { return new Legacy('old style'); }
console.log(legacy().stack);
console.log(Object.getPrototypeOf(TypeError) === Error, new TypeError('t').constructor === TypeError,
  Error.prototype.constructor === Error, typeof Error, Error.name, Error.length);
"""

PROGRAMS["engine errors in inspect"] = r"""
function readIt(o) { return o.prop; }
try { readIt(null); } catch (e) {
  e.message = 'replaced';
  console.log(e);
  console.log(e instanceof TypeError, e.constructor === TypeError);
}
try { JSON.parse('{'); } catch (e) {
  e.message = 'bad json';
  console.log([e]);
}
"""

PROGRAMS["captureStackTrace and prepareStackTrace"] = r"""
function where() {
  const obj = {};
  Error.captureStackTrace(obj);
  return obj.stack;
}
console.log(where());
function skipMe() { const o = { message: 'm', name: 'N' }; Error.captureStackTrace(o, skipMe); return o; }
function caller() { return skipMe(); }
console.log(caller().stack);
const notOnStack = {};
Error.captureStackTrace(notOnStack, function never() {});
console.log(JSON.stringify(notOnStack.stack));
try { Error.captureStackTrace(1); } catch (e) { console.log(e.name, e.message); }
console.log(Error.captureStackTrace.length, Error.captureStackTrace.name, typeof Error.prepareStackTrace);

function sites() {
  const prep = Error.prepareStackTrace;
  Error.prepareStackTrace = (err, s) => s;
  const holder = {};
  Error.captureStackTrace(holder, sites);
  const s = holder.stack;
  Error.prepareStackTrace = prep;
  return s;
}
function a() { return sites(); }
function b() { return a(); }
const s = b();
console.log(Array.isArray(s), s.length >= 3);
for (const c of s.slice(0, 3)) {
  console.log(c.getFileName(), c.getLineNumber(), c.getColumnNumber(), c.getFunctionName(),
    c.isNative(), c.isEval(), c.isConstructor(), String(c));
}
Error.prepareStackTrace = (err, callSites) => `${err.name}|${err.message}|${callSites[0].getFunctionName()}`;
function named() { return new Error('prepared'); }
console.log(named().stack);
const o = { name: 'Custom', message: 'obj' };
Error.captureStackTrace(o);
console.log(o.stack);
Error.prepareStackTrace = undefined;
console.log(named().stack.split('\n')[0]);
"""

PROGRAMS["stackTraceLimit"] = r"""
console.log(Error.stackTraceLimit);
function down(n) { if (n === 0) return new Error('deep'); return down(n - 1); }
console.log(down(20).stack);
Error.stackTraceLimit = 2;
console.log(down(20).stack);
Error.stackTraceLimit = 0;
const z = new Error('zero');
console.log(JSON.stringify(z.stack));
console.log(z, [z]);
Error.stackTraceLimit = 10;
"""

PROGRAMS["the few lines depd runs"] = r"""
function getStack() {
  const limit = Error.stackTraceLimit;
  const obj = {};
  const prep = Error.prepareStackTrace;
  Error.prepareStackTrace = (o, stack) => stack;
  Error.stackTraceLimit = Math.max(10, limit);
  Error.captureStackTrace(obj);
  const stack = obj.stack.slice(1);
  Error.prepareStackTrace = prep;
  Error.stackTraceLimit = limit;
  return stack;
}
function callSiteLocation(callSite) {
  let file = callSite.getFileName() || '<anonymous>';
  const line = callSite.getLineNumber();
  const colm = callSite.getColumnNumber();
  if (callSite.isEval()) file = callSite.getEvalOrigin() + ', ' + file;
  return [file, line, colm, callSite.getFunctionName()];
}
function deprecated() { return getStack().slice(0, 2).map(callSiteLocation); }
function user() { return deprecated(); }
console.log(JSON.stringify(user()));
"""

PROGRAMS["Node's internal errors"] = r"""
function gen() { return require('crypto').randomBytes('x'); }
try { gen(); } catch (e) { console.log(e); console.log([e.name, e.code, e.message]); }
"""

PROGRAMS["uncaught error output"] = r"""
function f() { throw new Error('boom'); }
function g() { f(); }
g();
"""


def normalize_node(text, d):
    """Node's output without its directory and its own frames; what
    followed a dropped last frame (" {" or "," of the enclosing form) stays
    on the line before."""
    text = text.replace(d + os.sep, "")
    lines = []
    for ln in text.split("\n"):
        if re.match(r"^\s*\.\.\. \d+ lines matching cause stack trace \.\.\.$", ln):
            continue
        m = re.match(r"^\s+at .*node:internal/[^\s),]*\)?(.*)$", ln)
        if m:
            if m.group(1) and lines:
                lines[-1] += m.group(1)
            continue
        lines.append(ln)
    return "\n".join(lines)


def drop_cause_counts(text):
    return "\n".join(ln for ln in text.split("\n")
                     if not re.match(r"^\s*\.\.\. \d+ lines matching cause stack trace \.\.\.$", ln))


def node_stack_from_stderr(err):
    """The stack Node prints for an uncaught error (after the source line and
    caret), without its own frames."""
    lines = err.split("\n")
    out = []
    started = False
    for ln in lines:
        if not started and re.match(r"^[A-Za-z]*Error: ", ln):
            started = True
        if started:
            if ln == "":
                break
            out.append(ln)
    return "\n".join(out)


def corral_json(path, *flags):
    p = subprocess.run([CORRAL, "run", "--json", *flags, path], capture_output=True, timeout=60)
    try:
        return json.loads(p.stdout.decode().strip().split("\n")[0])
    except ValueError:
        return {"status": "unparsed", "stdout": p.stdout.decode(errors="replace"), "stderr": p.stderr.decode()}


if not NODE:
    t.skip("programs compared with Node", "node is not on PATH")
    sys.exit(t.done())

with tempfile.TemporaryDirectory(prefix="corral-errors-") as d:
    main = os.path.join(d, "main.js")
    for name, code in PROGRAMS.items():
        with open(main, "w") as f:
            f.write(code.lstrip("\n"))
        n = subprocess.run([NODE, main], capture_output=True, timeout=60)
        r = corral_json(main)
        if name == "uncaught error output":
            want = normalize_node(node_stack_from_stderr(n.stderr.decode()), d)
            err = r.get("error") or {}
            t.eq((r.get("status"), err.get("stack")), ("error", want), f"{name}: error.stack is Node's")
            t.eq((err.get("line"), err.get("column")), (1, 22), f"{name}: line and column are V8's")
            continue
        want = normalize_node(n.stdout.decode(), d)
        got = drop_cause_counts(r.get("stdout") or "")
        ok = r.get("status") == "ok" and got == want
        diag = None
        if not ok:
            diag = f"status {r.get('status')} {r.get('error')}\n--- node\n{want}\n--- corral\n{got}"
        t.ok(ok, f"{name}: corral prints what Node prints", diag)

    # depd itself (express's dependency), bundled as tests/e2e/39 bundles
    # packages: its deprecation messages end with the caller's location,
    # which in Node is one of Node's own frames below the bundle's top
    # level (all of depd's frames are in the one bundle file), so the
    # location is compared only where it is the user's.
    depd_dir = os.path.join(ROOT, "node_modules", "depd")
    if not os.path.isdir(depd_dir) or not os.path.exists(ESBUILD):
        t.skip("depd: deprecation messages as in Node", "node_modules/depd or esbuild is missing")
    else:
        prog = os.path.join(d, "depd-prog.js")
        with open(prog, "w") as f:
            f.write("const deprecate = require('depd')('my-module');\n"
                    "function oldThing() { deprecate('oldThing() is deprecated'); return 1; }\n"
                    "const legacy = deprecate.function(function legacy(a) { return a + 1; }, 'legacy');\n"
                    "const o = { p: 1 }; deprecate.property(o, 'p', 'o.p is old');\n"
                    "console.log(oldThing(), legacy(2), o.p);\n")
        bundle = os.path.join(d, "main.js")
        b = subprocess.run([ESBUILD, prog, "--bundle", "--platform=node", "--format=cjs", "--log-level=error",
                            f"--outfile={bundle}"], capture_output=True, timeout=120, cwd=ROOT,
                           env=dict(os.environ, NODE_PATH=os.path.join(ROOT, "node_modules")))
        if b.returncode != 0:
            t.ok(False, "depd: the bundle builds", b.stderr.decode())
        else:
            n = subprocess.run([NODE, bundle], capture_output=True, timeout=60)
            r = corral_json(bundle, "--allow-eval")

            def depd_lines(text):
                text = re.sub(r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT ", "DATE ", text, flags=re.M)
                return re.sub(r" at \S+$", " at SITE", text, flags=re.M)
            t.eq((r.get("status"), r.get("stdout"), depd_lines(r.get("stderr") or "")),
                 ("ok", n.stdout.decode(), depd_lines(n.stderr.decode())),
                 "depd: stdout and deprecation messages as in Node (no getFileName crash)")
            sites = re.findall(r" at (\S+)$", r.get("stderr") or "", flags=re.M)
            t.ok(len(sites) == 3 and all(re.match(r"^main\.js:\d+:\d+$", s) for s in sites),
                 "depd: each message names a location in the bundle", r.get("stderr"))

# Function mode: the stacks of errors made in package files, as Node gives
# them for the same files required from a directory D (its paths, with D
# cut, are the package's).
FN_FILES = {
    "index.js": "const make = require('./lib/make.js');\nconst first = make.first;\n"
                "function handler(req, res) {\n"
                "  const e = make();\n"
                "  res.json({ stack: e.stack.split('\\n').slice(0, 3), first: first().stack.split('\\n').slice(0, 2),\n"
                "    inspected: require('util').inspect(e).split('\\n').slice(0, 3) });\n"
                "}\n"
                "module.exports = handler;\n",
    "lib/make.js": "const first = () => new RangeError('on line one'); module.exports = function make() { return new TypeError('made'); };\n"
                   "module.exports.first = first;\n",
}


def next_port(ports=iter(range(18350, 18400))):
    return next(ports)


with tempfile.TemporaryDirectory(prefix="corral-errors-fn-") as d:
    for name, text in FN_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    driver = ("const h = require(process.argv[1] + '/index.js');\n"
              "h({}, { json: (o) => process.stdout.write(JSON.stringify(o)) });\n")
    n = subprocess.run([NODE, "-e", driver, d], capture_output=True, timeout=60)
    want = json.loads(n.stdout.decode().replace(d, "")) if n.returncode == 0 else n.stderr.decode()
    server.free_port = next_port
    try:
        srv = server.Server(env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "1", "CORRAL_LOG_LEVEL": "warn"},
                            ready=True).start()
    except server.ServerError as e:
        srv = None
        t.ok(False, "corral serve starts on a port of 18350-18399", e)
    if srv:
        try:
            st, h, raw = srv.request("PUT", "/v1/functions/errs", json.dumps({"files": FN_FILES}).encode(),
                                     {"Content-Type": "application/json"})
            t.eq(st, 201, "function mode: the package deploys")
            st, h, raw = srv.request("GET", "/fn/errs/")
            try:
                got = json.loads(raw)
            except ValueError:
                got = raw
            t.eq((st, got), (200, want), "function mode: stacks in package files are Node's (paths, line 1 columns)")
        finally:
            srv.stop()

sys.exit(t.done())
