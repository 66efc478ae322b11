#!/usr/bin/env python3
"""Real npm packages, bundled with esbuild, run as they run on Node
(issue 13's acceptance test).

Each program in tests/npm/ does a package's README flow and prints
deterministic output. At test time it is bundled with the pinned esbuild
(PACKAGES says the command), run in Node (the `node` on PATH: the
reference) and in corral, and the stdouts are compared byte for byte:

- run:      `corral run --json BUNDLE` (with --allow-eval where the package
            compiles code with new Function);
- execute:  POST /v1/execute with the bundle as code and default caps
            (with "allow_eval": true where the package needs it);
- function: the bundle deployed as a corral function and called over HTTP
            (hono: its app's fetch; express: `module.exports = app`),
            compared with the same requests answered by Node (hono:
            app.request(); express: the same bundle listening on a port).

The AI SDK program streams from a local OpenAI-compatible SSE server that
this test starts; the server holds its last chunk back until the program
has seen the first token (see tests/npm/ai.js), so a body that is not
streamed prints "buffered" where Node prints "streamed".

TODO lists the cases that fail today because of one of issue 13's open
points: such a case is `not ok ... # TODO issue 13 point K: ...` (known,
not passed, not failed); one that passes says "# TODO passes now: unlist"
so the entry is removed; an unlisted failure is a plain `not ok`.

    CORRAL_BUILD=$PWD/build python3 tests/e2e/39-npm-packages.py [PACKAGE...]
"""
import http.client
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import CORRAL, Tap  # noqa: E402
from server import Server, ServerError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
NPM = os.path.join(ROOT, "tests", "npm")
ESBUILD = os.path.join(ROOT, "node_modules", ".bin", "esbuild")
NODE = shutil.which("node")

# package -> (program in tests/npm, needs allow_eval, modes). The versions
# are package.json's exact pins; every bundle is made with
#   node_modules/.bin/esbuild tests/npm/PROGRAM --bundle --platform=node --format=cjs
ESBUILD_FLAGS = ["--bundle", "--platform=node", "--format=cjs", "--log-level=error"]
PACKAGES = {
    "zod":     ("zod.js", False, ("run", "execute")),
    "ajv":     ("ajv.js", True, ("run", "execute")),
    "hono":    ("hono.js", False, ("run", "execute", "function")),
    "express": ("express.js", False, ("function",)),
    "jose":    ("jose.js", False, ("run", "execute")),
    "ai":      ("ai.js", False, ("run", "execute")),
    "cheerio": ("cheerio.js", False, ("run", "execute")),
    # cheerio's own entry without undici (fromURL): its parsing and selecting.
    "cheerio/slim": ("cheerio-slim.js", False, ("run", "execute")),
    "lodash":  ("lodash.js", True, ("run", "execute")),
    "yaml":    ("yaml.js", False, ("run", "execute")),
    # axios's Node adapter and node-fetch 2: Node's http client (issue 13 point 9).
    "axios":   ("axios.js", False, ("run", "execute")),
}
# The function-mode entry of a package, when it is not its program.
FUNCTION_ENTRY = {"hono": "hono-fn.js"}

# "package mode" -> why it fails today (an open point of issue 13), or None.
# Flip an entry to None (or delete it) when the fix lands.
TODO = {
    "cheerio run": "its undici requires 'worker_threads' at load, which corral refuses by design (issue 13 point 9)",
    "cheerio execute": "its undici requires 'worker_threads' at load, which corral refuses by design (issue 13 point 9)",
}
# A text today's failure of a TODO case shows. When a listed case fails
# without it, the first cause was fixed and the reason is stale: the suite
# says so, with what fails now.
TODO_SIGN = {
    "cheerio run": "Cannot load 'worker_threads'",
    "cheerio execute": "Cannot load 'worker_threads'",
}

t = Tap("39-npm-packages")
now_passing = []
stale = []


def case(name, mode, ok, diag):
    """One TAP case, read against TODO."""
    key = f"{name} {mode}"
    desc = f"{name} ({mode}) prints what Node prints"
    reason = TODO.get(key)
    if ok and reason:
        now_passing.append(key)
        t.n += 1
        t.passed += 1
        print(f"ok {t.n} - {desc} # TODO passes now: unlist ({reason})", flush=True)
    elif not ok and reason:
        t.n += 1
        print(f"not ok {t.n} - {desc} # TODO {reason}", flush=True)
        sign = TODO_SIGN.get(key)
        if sign and sign not in str(diag):
            stale.append(key)
            print(f"# '{key}' no longer fails with {sign!r}: its TODO reason is stale (what fails now is below)",
                  flush=True)
        for line in str(diag)[:1500].splitlines()[:8]:
            print(f"#   {line}", flush=True)
    else:
        t.ok(ok, desc, diag)


def first_difference(want, got):
    w, g = want.split("\n"), got.split("\n")
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "<end>"
        b = g[i] if i < len(g) else "<end>"
        if a != b:
            return f"first difference at line {i + 1}\n  node:   {a[:300]!r}\n  corral: {b[:300]!r}"
    return "same stdout"


def describe(r, want):
    diag = [f"status: {r.get('status')}"]
    err = r.get("error")
    if err:
        diag.append(f"error: {err.get('name')}: {str(err.get('message'))[:400]}")
    if r.get("_raw"):
        diag.append(f"raw: {r['_raw'][-600:]!r}")
    diag.append(first_difference(want, r.get("stdout") or ""))
    return "\n".join(diag)


# ---- the local OpenAI-compatible SSE server --------------------------------

HOLD_S = 4.0


class Upstream(http.server.BaseHTTPRequestHandler):
    """POST /v1/chat/completions streams three tokens; the last one waits
    for GET /release (at most HOLD_S) and says whether it came in time."""
    protocol_version = "HTTP/1.0"
    release = threading.Event()
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/release":
            Upstream.release.set()
            body = b"released"
            self.send_response(200)
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, delta, finish=None, usage=None):
        obj = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
               "model": "gpt-test", "choices": [] if usage else [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if usage:
            obj["usage"] = usage
        self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
        self.wfile.flush()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if self.path != "/v1/chat/completions":
            self.send_response(404)
            self.end_headers()
            return
        with Upstream.lock:
            Upstream.release.clear()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.chunk({"role": "assistant", "content": ""})
            self.chunk({"content": "Hello"})
            came = Upstream.release.wait(HOLD_S)
            self.chunk({"content": ", world"})
            self.chunk({"content": " (streamed)" if came else " (buffered)"})
            self.chunk({}, finish="stop")
            self.chunk(None, usage={"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()


upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
upstream.daemon_threads = True
threading.Thread(target=upstream.serve_forever, daemon=True).start()
UPSTREAM = f"http://127.0.0.1:{upstream.server_address[1]}"
PKG_ENV = {"ai": {"OPENAI_BASE_URL": UPSTREAM}, "axios": {"OPENAI_BASE_URL": UPSTREAM}}
FETCH_FLAGS = {"ai": ["--allow-fetch", "127.0.0.1", "--allow-private-fetch"],
               "axios": ["--allow-fetch", "127.0.0.1", "--allow-private-fetch"]}


# ---- bundling and running ---------------------------------------------------

def bundle(entry, out):
    p = subprocess.run([ESBUILD, os.path.join(NPM, entry), *ESBUILD_FLAGS, f"--outfile={out}"],
                       capture_output=True, timeout=120, cwd=ROOT)
    return p.returncode == 0, p.stderr.decode(errors="replace")


def node_stdout(path, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([NODE, path], capture_output=True, timeout=60, env=e)
    return p.stdout.decode("utf-8", errors="replace"), p.stderr.decode("utf-8", errors="replace")


def corral_run(path, allow_eval, flags, env):
    args = [CORRAL, "run", "--json", "--timeout", "20000"]
    if allow_eval:
        args.append("--allow-eval")
    args += flags
    for k, v in env.items():
        args += ["--env", f"{k}={v}"]
    p = subprocess.run(args + [path], capture_output=True, timeout=90)
    out = p.stdout.decode("utf-8", errors="replace").strip().split("\n")
    try:
        return json.loads(out[-1])
    except (ValueError, IndexError):
        return {"status": None, "_raw": p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")}


def corral_execute(srv, path, allow_eval, env):
    with open(path, encoding="utf-8") as f:
        code = f.read()
    fields = {"timeout_ms": 20000}
    if allow_eval:
        fields["allow_eval"] = True
    if env:
        fields["env"] = env
    st, obj, h = srv.execute(code, timeout=90, **fields)
    if st != 200 or not isinstance(obj, dict):
        err = (obj or {}).get("error") if isinstance(obj, dict) else None
        return {"status": f"HTTP {st}", "error": {"name": (err or {}).get("code"), "message": (err or {}).get("message")},
                "_raw": h.get("_body", "")}
    return obj


# Requests for the function-mode cases: (method, path, body, headers).
HONO_REQUESTS = [
    ("GET", "/", None, {}),
    ("GET", "/users/42?verbose=1", None, {}),
    ("POST", "/posts", json.dumps({"title": "hi"}), {"Content-Type": "application/json"}),
    ("POST", "/posts", "not json", {"Content-Type": "application/json"}),
    ("GET", "/boom", None, {}),
    ("GET", "/nowhere", None, {}),
    ("GET", "/api/v1/ping", None, {}),
]
EXPRESS_REQUESTS = [
    ("GET", "/", None, {}),
    ("GET", "/users/7?a=1&b=two", None, {"X-Test": "yes"}),
    ("POST", "/echo", json.dumps({"x": [1, 2], "s": "é"}), {"Content-Type": "application/json"}),
    ("POST", "/echo", "{bad json", {"Content-Type": "application/json"}),
    ("GET", "/api/items/21", None, {}),
    ("GET", "/boom", None, {}),
    ("GET", "/async-boom", None, {}),
    ("GET", "/nowhere", None, {}),
]
# The response headers compared (corral adds its own, Node its own).
COMPARED_HEADERS = ("content-type", "x-powered", "x-echo")


def http_answers(port, prefix, requests):
    out = []
    for method, path, body, headers in requests:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            c.request(method, prefix + path, body=body.encode() if body else None, headers=headers)
            r = c.getresponse()
            hs = {k.lower(): v for k, v in r.getheaders()}
            out.append([r.status, {k: hs.get(k) for k in COMPARED_HEADERS}, r.read().decode(errors="replace")])
        except OSError as e:
            out.append([None, {}, f"{type(e).__name__}: {e}"])
        finally:
            c.close()
    return out


def node_hono_answers(bundle_path):
    """What the hono app answers in Node, through app.request()."""
    driver = ("const app = require(%s);\n(async () => { const out = [];\n"
              "for (const [method, path, body, headers] of %s) {\n"
              "  const r = await app.request(path, { method, body: body === null ? undefined : body, headers });\n"
              "  const h = {}; for (const k of %s) h[k] = r.headers.get(k);\n"
              "  out.push([r.status, h, await r.text()]); }\n"
              "console.log(JSON.stringify(out)); })();\n") % (
        json.dumps(bundle_path), json.dumps(HONO_REQUESTS), json.dumps(COMPARED_HEADERS))
    p = subprocess.run([NODE, "-e", driver], capture_output=True, timeout=60)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return [None, p.stderr.decode(errors="replace")[-500:]]


def node_express_answers(bundle_path):
    """What the express app answers in Node, listening on a free port."""
    driver = ("const app = require(%s);\nconst s = app.listen(0, '127.0.0.1', () => "
              "{ console.log(s.address().port); });\n") % json.dumps(bundle_path)
    p = subprocess.Popen([NODE, "-e", driver], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = p.stdout.readline().decode().strip()
        if not line.isdigit():
            return [None, p.stderr.read().decode(errors="replace")[-500:]]
        return http_answers(int(line), "", EXPRESS_REQUESTS)
    finally:
        p.kill()
        p.wait()
        p.stdout.close()
        p.stderr.close()


def function_case(srv, name, bundle_path):
    with open(bundle_path, encoding="utf-8") as f:
        code = f.read()
    fn = f"npm-{name}"
    st, h, raw = srv.request("PUT", f"/v1/functions/{fn}", json.dumps({"files": {"index.js": code}, "timeout_ms": 10000}),
                             {"Content-Type": "application/json"}, timeout=90)
    if st != 201:
        return False, f"deploy: HTTP {st}: {raw[:600].decode(errors='replace')}"
    if name == "hono":
        want, requests = node_hono_answers(bundle_path), HONO_REQUESTS
    else:
        want, requests = node_express_answers(bundle_path), EXPRESS_REQUESTS
    got = http_answers(srv.port, f"/fn/{fn}", requests)
    if got == want:
        return True, ""
    diag = []
    for i, req in enumerate(requests):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w != g:
            diag.append(f"{req[0]} {req[1]}\n  node:   {json.dumps(w)[:400]}\n  corral: {json.dumps(g)[:400]}")
    return False, "\n".join(diag[:4])


def main():
    if not NODE or not os.path.exists(ESBUILD):
        print("1..0 # SKIP node or node_modules/.bin/esbuild is missing (npm ci)")
        print("39-npm-packages: 0 passed, 0 failed, 1 skipped")
        return 0
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="corral-npm-")
    srv = None
    try:
        srv = Server(env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "2", "CORRAL_LOG_LEVEL": "warn",
                          "CORRAL_FETCH_ALLOW": "127.0.0.1", "CORRAL_FETCH_ALLOW_PRIVATE": "true",
                          "CORRAL_MAX_CODE_BYTES": str(8 << 20), "CORRAL_MAX_BODY_BYTES": str(8 << 20)},
                     ready=True).start()
    except ServerError as e:
        t.ok(False, "corral serve starts", e)
        srv = None
    try:
        only = sys.argv[1:]
        for name, (entry, allow_eval, modes) in PACKAGES.items():
            if only and name not in only:
                continue
            out = os.path.join(tmp, name.replace("/", "-") + ".js")
            built, err = bundle(entry, out)
            if not t.ok(built, f"{name}: esbuild bundles tests/npm/{entry}", err):
                continue
            env = PKG_ENV.get(name, {})
            if "run" in modes or "execute" in modes:
                want, node_err = node_stdout(out, env)
                if not t.ok(want.strip() and "failed:" not in want, f"{name}: the program runs in Node",
                            node_err[-800:] or want[-800:]):
                    continue
            for mode in modes:
                if mode == "run":
                    r = corral_run(out, allow_eval, FETCH_FLAGS.get(name, []), env)
                    case(name, mode, r.get("status") == "ok" and r.get("stdout") == want, describe(r, want))
                elif mode == "execute":
                    if srv is None:
                        case(name, mode, False, "no server")
                        continue
                    r = corral_execute(srv, out, allow_eval, env)
                    case(name, mode, r.get("status") == "ok" and r.get("stdout") == want, describe(r, want))
                else:
                    fentry = FUNCTION_ENTRY.get(name)
                    fout = out
                    if fentry:
                        fout = os.path.join(tmp, name + "-fn.js")
                        built, err = bundle(fentry, fout)
                        if not t.ok(built, f"{name}: esbuild bundles tests/npm/{fentry}", err):
                            continue
                    if srv is None:
                        case(name, mode, False, "no server")
                        continue
                    ok, diag = function_case(srv, name, fout)
                    case(name, mode, ok, diag)
        if srv is not None:
            bad = srv.server_errors()
            t.ok(not bad, "no request was answered with a 5xx other than a function's own 500", bad)
    finally:
        if srv is not None:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        upstream.shutdown()
    for key in now_passing:
        print(f"# '{key}' is in TODO but passes now: unlist it")
    for key in stale:
        print(f"# '{key}': update its TODO reason (the failure it names is fixed)")
    unknown = [k for k in TODO if k.rsplit(" ", 1)[0] not in PACKAGES
               or k.rsplit(" ", 1)[-1] not in PACKAGES[k.rsplit(" ", 1)[0]][2]]
    for key in unknown:
        print(f"# TODO names '{key}', which is not a case")
    print(f"# {time.monotonic() - t0:.1f} s")
    t.done()


if __name__ == "__main__":
    main()
