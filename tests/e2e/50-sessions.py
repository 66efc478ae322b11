#!/usr/bin/env python3
"""Sessions end to end: the session API (create, read, history, delete, TTL
expiry and its sweep, the per-tenant cap, another tenant's session), a
session's global scope between executions, durable bindings that come back
after the worker is killed and after SIGTERM + restart of the service (and
the ones that cannot, reported and refused with a clear ReferenceError),
serialized executions, output filtering (env secrets in every form and
path, secret patterns, PII tokens and detokenize) checked in the answers,
the history, the server's log and the database, and the tenant's
validation policy."""
import base64
import binascii
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap  # noqa: E402
from server import Server, ServerError, alive, api_error, corral_keys, retry_after, sse_parse, start_or_fail  # noqa: E402

t = Tap("50-sessions")


def start(desc, **kw):
    return start_or_fail(t, desc, **kw)


def err_of(r):
    return (r or {}).get("error") if isinstance((r or {}).get("error"), dict) else {}


def code_of(obj):
    e = api_error(obj)
    return e[0] if e else None


def field_of(obj):
    e = api_error(obj)
    return e[2] if e else None


class Sessions:
    """Session calls on one server, remembering the code of every execution
    sent to each session (the history must list exactly those)."""

    def __init__(self, srv, headers=None):
        self.srv = srv
        self.headers = headers
        self.sent = {}  # session id -> [(code, status)] in the order answered
        self.lock = threading.Lock()

    def create(self, **body):
        s, r, h = self.srv.json("POST", "/v1/sessions", body if body else None, headers=self.headers)
        return s, r or {}, h

    def new(self, **body):
        s, r, h = self.create(**body)
        sid = r.get("id") if s == 201 else None
        if sid:
            self.sent[sid] = []
        return sid, (s, r)

    def get(self, sid):
        s, r, _ = self.srv.json("GET", f"/v1/sessions/{sid}", headers=self.headers)
        return s, r or {}

    def history(self, sid, limit=None):
        q = "" if limit is None else f"?limit={limit}"
        s, r, _ = self.srv.json("GET", f"/v1/sessions/{sid}/history{q}", headers=self.headers)
        return s, r or {}

    def delete(self, sid):
        s, _, _ = self.srv.request("DELETE", f"/v1/sessions/{sid}", headers=self.headers)
        return s

    def detok(self, sid, text):
        s, r, _ = self.srv.json("POST", f"/v1/sessions/{sid}/detokenize", {"text": text}, headers=self.headers)
        return s, r or {}

    def ex(self, sid, code, timeout=60, **fields):
        """POST /v1/execute in session sid: (HTTP status, result object or {})."""
        s, r, _ = self.srv.execute(code, headers=self.headers, timeout=timeout, session_id=sid, **fields)
        r = r if isinstance(r, dict) else {}
        if s == 200:
            with self.lock:
                self.sent.setdefault(sid, []).append((code, r.get("status")))
        return s, r


def variables(obj):
    return {v.get("name"): v for v in (obj or {}).get("variables") or [] if isinstance(v, dict)}


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
        rest = s[s.rindex(b")") + 2:].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, ValueError, IndexError):
        return None


BUSY = "{ const until = Date.now() + 400; while (Date.now() < until); }\n'busy'"


def session_worker(ss, sid, **fields):
    """The pid of the worker serving session sid: the worker process whose
    CPU time grows while a 400 ms busy loop runs in the session, clearly
    more than any other's (a worker warming up meanwhile, slow under ASan,
    can grow too: then it measures again, up to 4 times). Returns (pid or
    None, diagnostics)."""
    tries = []
    for _ in range(4):
        before = {p: cpu_ticks(p) for p in ss.srv.workers()}
        s, r = ss.ex(sid, BUSY, **fields)
        after = {p: cpu_ticks(p) for p in ss.srv.workers()}
        grew = sorted(((after[p] - before.get(p, 0) if before.get(p) is not None else after[p], p)
                       for p in after if after[p] is not None), reverse=True)
        tries.append((s, r.get("status"), grew))
        if s != 200 or r.get("status") != "ok" or not grew or grew[0][0] < 10:
            return None, tries
        if len(grew) == 1 or grew[0][0] >= 2 * grew[1][0]:
            return grew[0][1], tries
    return None, tries


def db_rows(data_dir, sql, args=()):
    """Rows of a read-only query on the data dir's corral.db (also while the
    server runs: WAL readers do not block it)."""
    con = sqlite3.connect(f"file:{os.path.join(data_dir, 'corral.db')}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def b64_variants(s):
    b = s.encode()
    std = base64.b64encode(b).decode()
    return {std, std.rstrip("="), base64.urlsafe_b64encode(b).decode().rstrip("=")}


def leak_forms(secret):
    """The secret and the encodings of it the filter promises to catch."""
    b = secret.encode()
    return {secret, b.hex(), b.hex().upper()} | b64_variants(secret)


def leaks(text, secret):
    """Which forms of secret occur in text (also inside the base64 of a
    longer string: every base64-looking run is decoded at each alignment)."""
    found = sorted(f for f in leak_forms(secret) if f in text)
    for run in re.findall(r"[A-Za-z0-9+/=_-]{16,}", text):
        for k in range(4):
            chunk = run[k:].rstrip("=")
            chunk = chunk[:len(chunk) - len(chunk) % 4]
            try:
                dec = base64.b64decode(chunk.replace("-", "+").replace("_", "/"), validate=False)
            except (binascii.Error, ValueError):
                continue
            if secret.encode() in dec:
                found.append("base64 inside " + run[:40])
    return found


# =============================================================================
# The main server: sessions, durability, filtering, policy.
# =============================================================================
data_dir = tempfile.mkdtemp(prefix="corral-e2e-sessions-")
srv = start("corral serve starts (sessions)", data_dir=data_dir, ready=True,
            env={"ISOLATE_POOL_SIZE": "2", "ISOLATE_MAX_POOL_SIZE": "4", "CORRAL_SESSION_SWEEP_S": "1",
                 "CORRAL_LOG_LEVEL": "debug"})
if srv is None:
    shutil.rmtree(data_dir, ignore_errors=True)
    t.done()
ss = Sessions(srv)

# ---- the session resource ------------------------------------------------------
t0 = int(time.time() * 1000)
s, r, h = ss.create(ttl_s=600)
S = r.get("id") if s == 201 else None
ss.sent[S] = []
t.ok(s == 201 and isinstance(S, str) and S.startswith("s_") and len(S) >= 16,
     "POST /v1/sessions {ttl_s: 600} -> 201 with an s_ id", (s, r))
t.eq(h.get("location"), f"/v1/sessions/{S}", "the Location header names the new session")
t.ok(all(isinstance(r.get(k), int) for k in ("created_at", "last_activity", "expires_at"))
     and abs(r["created_at"] - t0) < 60000 and r["expires_at"] - r["created_at"] == 600000
     and r.get("ttl_s") == 600 and r.get("execution_count") == 0 and r.get("pii") is False,
     "the session: created_at, last_activity, expires_at = created_at + ttl (Unix ms), ttl_s, count 0, pii false", r)
s, r = ss.get(S)
t.ok(s == 200 and r.get("id") == S and r.get("execution_count") == 0 and r.get("variables") == [],
     "GET /v1/sessions/{id} of a new session: count 0, no variables", (s, r))
s, r, _ = ss.create()
t.ok(s == 201 and r.get("ttl_s") == 3600, "an empty body gets the default TTL (CORRAL_SESSION_TTL_S, 3600 s)", (s, r))
if s == 201:
    ss.delete(r["id"])

for body, field, desc in (({"ttl_s": 0}, "ttl_s", "ttl_s 0"), ({"ttl_s": 604801}, "ttl_s", "ttl_s over the maximum"),
                          ({"ttl_s": "60"}, "ttl_s", "ttl_s as a string"), ({"ttl_s": 1.5}, "ttl_s", "a fractional ttl_s"),
                          ({"pii": "yes"}, "pii", "pii not a boolean"), ({"tll_s": 60}, "tll_s", "an unknown field")):
    s, r, _ = srv.json("POST", "/v1/sessions", body)
    t.ok(s == 400 and field_of(r) == field, f"{desc} -> 400 naming the field '{field}'", (s, r))
s, _, _ = srv.request("POST", "/v1/sessions", "[1]")
t.eq(s, 400, "a body that is not an object -> 400")

s, r, _ = srv.execute("1", session_id="s_" + "Q" * 24)
t.ok(s == 404 and code_of(r) == "not_found" and field_of(r) == "session_id",
     "execute with an unknown session_id -> 404 not_found, field session_id", (s, r))
s, r, _ = srv.execute("1", session_id="no such/id")
t.ok(s == 404 and field_of(r) == "session_id", "execute with a malformed session_id -> 404, field session_id", (s, r))
s, r = ss.get("s_" + "Q" * 24)
t.ok(s == 404 and code_of(r) == "not_found", "GET of an unknown session -> 404 not_found", (s, r))
for q in ("0", "201", "abc", "-1"):
    s, r, _ = srv.json("GET", f"/v1/sessions/{S}/history?limit={q}")
    if not (s == 400 and field_of(r) == "limit"):
        break
t.ok(s == 400 and field_of(r) == "limit", "history ?limit= of 0, 201, abc, -1 or empty -> 400 naming limit", (q, s, r))

# ---- the global scope between executions ------------------------------------------
s, r = ss.ex(S, "let x = 1")
s2, r2 = ss.ex(S, "x + 1")
t.eq((s, r.get("status"), s2, r2.get("status"), r2.get("result")), (200, "ok", 200, "ok", 2),
     "acceptance: let x = 1, then x + 1 -> 2")
s, r = ss.ex(S, "let x = 1")
t.eq((s, r.get("status"), err_of(r).get("message")), (200, "ok", None), "running let x = 1 again in the session works")
s, r = ss.ex(S, "x += 10; x")
t.eq((r.get("status"), r.get("result")), ("ok", 11), "the binding is reassignable in a later snippet")
s, r = ss.ex(S, "let x = 1; x + 1")
t.eq((r.get("status"), r.get("result")), ("ok", 2), "let x = 1 redeclares with the new value")
s, r = ss.ex(S, "const r = await Promise.resolve(5)")
s2, r2 = ss.ex(S, "r * 2")
t.eq((r.get("status"), r2.get("status"), r2.get("result")), ("ok", "ok", 10),
     "top-level await with a declaration: const r = await Promise.resolve(5), then r * 2 -> 10")
s, r = ss.ex(S, "var v1 = 'var'; function dbl(a) { return 2 * a }\n"
                "const later = await new Promise(res => setTimeout(() => res('late'), 20)); 'declared'")
s2, r2 = ss.ex(S, "[v1, dbl(21), later]")
t.eq((r.get("status"), r2.get("result")), ("ok", ["var", 42, "late"]),
     "var, a function declaration and a const after an await are all visible to the next snippet")

DEFINE = r"""
const m = new Map([['a', 1], ['b', {deep: [1, 2]}]]);
const s = new Set(['x', 'y', 3]);
const d = new Date(Date.UTC(2024, 1, 29, 12, 34, 56, 789));
let nested = {a: [1, 'two', null, {b: true}], o: {p: {q: {r: 'deep'}}}, e: [], mm: new Map([['k', new Set([1, 2])]]),
              when: new Date(0)};
var u8 = new Uint8Array([0, 1, 127, 128, 255]);
const f64 = new Float64Array([1.5, -0.25, 1e300]);
const re = /ab+c/gi;
const big = 12345678901234567890n;
const negz = -0;
const nan = NaN;
let str = 'h\u00e9llo \u{1F600}';
let nul = null;
let und = undefined;
const cyc = {name: 'cyc'}; cyc.self = cyc;
function f(a) { return a * 3 }
class Point { constructor(x) { this.x = x } norm() { return Math.abs(this.x) } }
const p = new Point(-4);
const pr = Promise.resolve(1);
'defined'
"""
VERIFY = r"""
({
  x, r,
  m: m instanceof Map ? [...m] : 'not a Map',
  s: s instanceof Set ? [...s] : 'not a Set',
  d: d instanceof Date ? d.toISOString() : 'not a Date',
  nested: {a: nested.a, o: nested.o, e: nested.e,
           mm: nested.mm instanceof Map && nested.mm.get('k') instanceof Set ? [...nested.mm.get('k')] : 'not a Map of a Set',
           when: nested.when instanceof Date ? nested.when.getTime() : 'not a Date'},
  u8: u8 instanceof Uint8Array ? Array.from(u8) : 'not a Uint8Array',
  f64: f64 instanceof Float64Array ? Array.from(f64) : 'not a Float64Array',
  re: re instanceof RegExp ? [re.source, re.flags] : 'not a RegExp',
  big: typeof big === 'bigint' ? big.toString() : typeof big,
  negz: Object.is(negz, -0),
  nan: Number.isNaN(nan),
  str, nul,
  und: (() => { try { return und === undefined ? 'undefined' : typeof und } catch (e) { return e.name + ': ' + e.message } })(),
  cyc: cyc.self === cyc ? cyc.name : 'not a cycle',
})
"""
EXPECT = {
    "x": 1, "r": 5,
    "m": [["a", 1], ["b", {"deep": [1, 2]}]],
    "s": ["x", "y", 3],
    "d": "2024-02-29T12:34:56.789Z",
    "nested": {"a": [1, "two", None, {"b": True}], "o": {"p": {"q": {"r": "deep"}}}, "e": [], "mm": [1, 2], "when": 0},
    "u8": [0, 1, 127, 128, 255],
    "f64": [1.5, -0.25, 1e300],
    "re": ["ab+c", "gi"],
    "big": "12345678901234567890",
    "negz": True, "nan": True,
    "str": "h\u00e9llo \U0001F600", "nul": None, "und": "undefined",
    "cyc": "cyc",
}
DATA_VARS = ("x", "r", "m", "s", "d", "nested", "u8", "f64", "re", "big", "negz", "nan", "str", "nul", "und", "cyc")
LOST_VARS = ("f", "Point", "p", "pr")


def verify_diff(r):
    got = r.get("result") if isinstance(r.get("result"), dict) else {}
    return {k: (got.get(k, "<missing>"), v) for k, v in EXPECT.items() if got.get(k, "<missing>") != v}


s, r = ss.ex(S, DEFINE)
t.eq((s, r.get("status"), r.get("result")), (200, "ok", "defined"),
     "Map, Set, Date, nested objects, typed arrays, RegExp, bigint, -0, NaN, a cycle, a function, a class are declared")
s, r = ss.ex(S, VERIFY)
t.ok(s == 200 and r.get("status") == "ok" and not verify_diff(r), "the next snippet sees every value as declared",
     verify_diff(r) or r)
s, r = ss.ex(S, "[f(2), new Point(-2).norm(), p.norm(), p instanceof Point, await pr]")
t.eq((r.get("status"), r.get("result")), ("ok", [6, 2, 4, True, 1]),
     "functions, a class, its instance and a promise are usable in the next snippet while the worker lives")
s, r = ss.get(S)
vs = variables(r)
missing = [n for n in DATA_VARS + LOST_VARS + ("v1", "dbl", "later") if n not in vs]
t.ok(s == 200 and not missing, "GET lists every top-level binding in variables", (missing, r))
bad = [(n, vs.get(n)) for n in DATA_VARS if (vs.get(n) or {}).get("persisted") is not True]
t.ok(vs and not bad, "structured-clone-able bindings are persisted: true", bad)
bad = [(n, vs.get(n)) for n in LOST_VARS
       if not ((vs.get(n) or {}).get("persisted") is False and isinstance((vs.get(n) or {}).get("reason"), str)
               and vs[n]["reason"])]
t.ok(vs and not bad, "a function, a class, a class instance and a promise are persisted: false with a reason", bad)
t.ok(vs and (vs.get("x") or {}).get("type") == "number" and (vs.get("f") or {}).get("type") == "function"
     and "map" in str((vs.get("m") or {}).get("type")).lower() and "date" in str((vs.get("d") or {}).get("type")).lower(),
     "variables carry their types (x number, f function, m a Map, d a Date)",
     {k: vs.get(k) for k in ("x", "f", "m", "d")})
t.ok(all("reason" not in (vs.get(n) or {}) for n in DATA_VARS), "a persisted binding has no reason",
     {n: vs.get(n) for n in DATA_VARS if "reason" in (vs.get(n) or {})})
t.eq(r.get("execution_count"), len(ss.sent[S]), "execution_count counts the session's executions")
t.ok(isinstance(r.get("last_activity"), int) and r["last_activity"] >= r.get("created_at", 0)
     and r.get("expires_at", 0) >= r["last_activity"] + 600000 - 5000,
     "last_activity advanced; expires_at is pushed to last_activity + ttl", r)

# A second session: its own global scope, and the class test across the restart.
T, _ = ss.new(ttl_s=600)
s, r = ss.ex(T, "typeof x + ' ' + typeof m")
t.eq(r.get("result"), "undefined undefined", "another session does not see the first one's bindings")
s, r = ss.ex(T, "class Counter { constructor() { this.n = 0 } inc() { return ++this.n } }\n"
                "const ctr = new Counter(); const keep = {kept: [1, 2, 3]}; ctr.inc()")
s2, r2 = ss.ex(T, "[new Counter().inc(), ctr.inc(), keep.kept.length]")
t.eq((r.get("result"), r2.get("status"), r2.get("result")), (1, "ok", [1, 2, 3]),
     "a class declared in one snippet is usable in the next while the worker lives")
s, r, _ = srv.execute("typeof x")
t.eq((r or {}).get("result"), "undefined", "an execution without session_id sees no session's bindings")

# ---- one execution at a time per session ---------------------------------------------
C, _ = ss.new()
CONC = "n = (typeof n === 'undefined' ? 0 : n) + 1; await new Promise(r => setTimeout(r, 20)); n"
with ThreadPoolExecutor(10) as pool:
    outs = list(pool.map(lambda _: ss.ex(C, CONC), range(10)))
got = sorted(o[1].get("result") for o in outs if o[0] == 200 and o[1].get("status") == "ok")
t.eq(got, list(range(1, 11)), "10 concurrent executions on one session: results are exactly 1..10, each once")
s, r = ss.ex(C, "n")
t.eq(r.get("result"), 10, "after them n == 10 (no update was lost)")
s, hh = ss.history(C)
ex_ = [e for e in hh.get("executions", []) if e.get("code") == CONC]
t.ok(len(ex_) == 10 and all(e.get("result") == e.get("seq") for e in ex_),
     "in the history the i-th of them (by seq) returned i", [(e.get("seq"), e.get("result")) for e in ex_])

spans = {}


def span(name):
    code = (f"const span_{name} = [Date.now()]; await new Promise(r => setTimeout(r, 300));\n"
            f"span_{name}.push(Date.now()); span_{name}")
    spans[name] = ss.ex(C, code)


th = [threading.Thread(target=span, args=(n,)) for n in ("a", "b")]
for x in th:
    x.start()
for x in th:
    x.join()
sa, sb = ((spans[n][1].get("result") or [0, 0]) for n in ("a", "b"))
t.ok(all(spans[n][0] == 200 for n in "ab") and len(sa) == 2 and len(sb) == 2 and (sa[1] <= sb[0] or sb[1] <= sa[0]),
     "two concurrent 300 ms executions on one session do not overlap in time", (sa, sb))

# More than 64 waiting -> 429 session_busy.
blocker = threading.Thread(target=lambda: spans.__setitem__("blk", ss.ex(C, "await new Promise(r => setTimeout(r, 2500)); 'blk'")))
blocker.start()
time.sleep(0.4)
busy = []


def one(i):
    s, r, h = srv.execute(f"{i}", session_id=C, timeout=60)
    busy.append((s, code_of(r), retry_after(h)))


with ThreadPoolExecutor(72) as pool:
    list(pool.map(one, range(72)))
blocker.join()
n429 = [b for b in busy if b[0] == 429]
t.ok(n429 and all(b[1] == "session_busy" and b[2] is not None for b in n429)
     and all(b[0] in (200, 429) for b in busy) and sum(b[0] == 200 for b in busy) >= 60,
     f"with one running, 72 more at once: {len(n429)} answered 429 session_busy with Retry-After, the rest ran",
     sorted(set(busy))[:10])

# ---- filtering: env secrets ----------------------------------------------------------
SECRET = "Zk4Quill-Marmot-93771-hxQ"
ENV = {"API_TOKEN": SECRET}
RED = "[REDACTED:API_TOKEN]"
R1, _ = ss.new()


def clean(obj, desc, want=RED):
    text = json.dumps(obj, ensure_ascii=False)
    lk = leaks(text, SECRET)
    t.ok(not lk and (want is None or want in text), desc, (lk, text[:1500]))


s, r = ss.ex(R1, "console.log('token=' + process.env.API_TOKEN); console.error(process.env.API_TOKEN); 1", env=ENV)
clean(r, "a secret env value printed whole to stdout and stderr is [REDACTED:API_TOKEN]")
t.eq((r.get("stdout"), r.get("stderr")), ("token=" + RED + "\n", RED + "\n"), "... exactly in its place")
s, r = ss.ex(R1, "const K = 'API' + '_TOKEN';\n"
                 "process.stdout.write('a=' + process.env[K].slice(0, 9));\n"
                 "process.stdout.write(process.env[K].slice(9) + ' end\\n');\n"
                 "process.stderr.write(process.env[K].slice(0, 5)); process.stderr.write(process.env[K].slice(5)); 2", env=ENV)
clean(r, "a secret split across two process.stdout.write calls on one line is still redacted")
t.eq((r.get("stdout"), r.get("stderr")), ("a=" + RED + " end\n", RED), "... in stdout and in stderr")
s, r = ss.ex(R1, "({outer: {list: [1, {deep: process.env.API_TOKEN}], [process.env.API_TOKEN]: 'as a key',"
                 " str: `x${process.env.API_TOKEN}y`}})", env=ENV)
clean(r, "a secret in a nested result object (value, key, inside a string) is redacted")
s, r = ss.ex(R1, "console.log('b64:' + btoa(process.env.API_TOKEN)); btoa('ab' + process.env.API_TOKEN + 'cd')", env=ENV)
clean(r, "a base64'd secret (btoa, whole and inside a longer string) is redacted", want=None)
s, r = ss.ex(R1, "[Array.from(new TextEncoder().encode(process.env.API_TOKEN), b => b.toString(16).padStart(2, '0')).join(''),"
                 " encodeURIComponent(process.env.API_TOKEN), JSON.stringify({k: process.env.API_TOKEN})]", env=ENV)
clean(r, "hex, percent-encoded and JSON-escaped forms of the secret are redacted", want=None)
s, r = ss.ex(R1, "throw new Error('cannot use ' + process.env.API_TOKEN)", env=ENV)
t.ok(r.get("status") == "error" and RED in (err_of(r).get("message") or ""), "a secret in a thrown error's message is redacted",
     r)
clean(r, "... and appears nowhere in the error (message, stack)")

for accept, label in (("text/event-stream", "SSE"), ("application/x-ndjson", "NDJSON")):
    raw, outs, res = [], [], None
    code = ("process.stdout.write('s=' + process.env.API_TOKEN.slice(0, 7));\n"
            "await new Promise(r => setTimeout(r, 100));\n"
            "process.stdout.write(process.env.API_TOKEN.slice(7, 15));\n"
            "await new Promise(r => setTimeout(r, 100));\n"
            "process.stdout.write(process.env.API_TOKEN.slice(15) + '\\n'); 'streamed'")
    try:
        st = srv.stream("/v1/execute", {"code": code, "session_id": R1, "env": ENV}, accept)
        for _, text in st:
            raw.append(text)
            if label == "SSE":
                kind, data = sse_parse(text)
            else:
                o = json.loads(text)
                kind, data = o.get("event"), json.dumps(o.get("data"))
            if kind == "stdout":
                outs.append(json.loads(data))
            elif kind == "result":
                res = json.loads(data)
        ss.sent[R1].append((code, (res or {}).get("status")))
    except Exception as exc:  # noqa: B902 - report, never crash the TAP stream
        raw.append(repr(exc))
    joined = "".join(o if isinstance(o, str) else json.dumps(o) for o in outs)
    lk = leaks("".join(raw), SECRET) + leaks(joined, SECRET)
    t.ok(not lk and joined == "s=" + RED + "\n" and res is not None,
         f"{label}: a secret written in three pieces over 200 ms never appears in the stream; the stdout events join to "
         "s=[REDACTED:API_TOKEN]", (lk, outs, raw[-1:] if raw else raw))

# A session remembers the secrets it was given: a binding that captured one
# is still redacted in a later execution without the env.
R2, _ = ss.new()
s, r = ss.ex(R2, "const captured = process.env.API_TOKEN; captured.length", env=ENV)
t.eq(r.get("result"), len(SECRET), "a session binding captures the secret env value")
s, r = ss.ex(R2, "console.log('captured=' + captured); [captured, btoa(captured)]")
clean(r, "a later execution without the env var printing that binding: still redacted (the session remembers its secrets)",
      want=None)

# Built-in and tenant secret patterns.
s, r, _ = srv.execute("console.log('aws ' + 'AKIA' + 'IOSFODNN7EXAMPLE' + ' end'); 'gh ' + 'ghp_' + 'a1B2'.repeat(9)")
t.eq(((r or {}).get("stdout"), (r or {}).get("result")),
     ("aws [REDACTED:AWS_ACCESS_KEY] end\n", "gh [REDACTED:GITHUB_TOKEN]"),
     "built-in secret patterns: an AWS access key id and a GitHub token are redacted")
ACME = [{"name": "ACME_KEY", "pattern": "acme_[0-9a-f]{32}"}]
s, r, _ = srv.json("PUT", "/v1/settings", {"secret_patterns": ACME})
t.ok(s == 200 and (r or {}).get("secret_patterns") == ACME, "PUT /v1/settings with a secret pattern -> 200, echoed", (s, r))
s, r, _ = srv.json("GET", "/v1/settings")
t.ok(s == 200 and (r or {}).get("secret_patterns") == ACME, "GET /v1/settings returns it", (s, r))
s, r = ss.ex(R1, "console.log('k=' + 'acme_' + '0123456789abcdef'.repeat(2)); 'acme_' + 'f'.repeat(32)")
t.eq((r.get("stdout"), r.get("result")), ("k=[REDACTED:ACME_KEY]\n", "[REDACTED:ACME_KEY]"),
     "the tenant's secret pattern is applied at once (a node sees its own PUT)")

s, hh = ss.history(R1)
t.ok(s == 200 and len(hh.get("executions", [])) == len(ss.sent[R1]), "the redaction session's history lists all of it",
     (len(hh.get("executions", [])), len(ss.sent[R1])))
clean(hh, "no form of the secret in the session's history (code, stdout, stderr, result, error)")
s, hh = ss.history(R2)
clean(hh, "nor in the history of the session that captured it", want=None)

# ---- filtering: PII tokens -----------------------------------------------------------
A, (s, r) = ss.new(pii=True)
t.ok(A and r.get("pii") is True, "a session created with pii: true says so", r)
B, _ = ss.new(pii=True)
LINE = "alice@example.com wrote to bob@example.org; cc alice@example.com"
s, r = ss.ex(A, f"console.log('{LINE}')")
t.eq(r.get("stdout"), "[EMAIL_1] wrote to [EMAIL_2]; cc [EMAIL_1]\n",
     "PII: the same e-mail gets the same token, another e-mail the next one")
s, r = ss.ex(A, "console.log('again: BOB@example.org'); 'alice@example.com'")
t.eq((r.get("stdout"), r.get("result")), ("again: [EMAIL_2]\n", "[EMAIL_1]"),
     "tokens are stable across the session's executions (and normalized: case of an e-mail)")
s, r = ss.ex(B, "console.log('carol@example.net and alice@example.com')")
t.eq(r.get("stdout"), "[EMAIL_1] and [EMAIL_2]\n", "a second session numbers from 1 again")
s, r = ss.detok(A, "[EMAIL_1] wrote to [EMAIL_2]; cc [EMAIL_1]")
t.eq((s, r.get("text")), (200, LINE), "detokenize returns the original text")
s, r = ss.detok(B, "[EMAIL_1] [EMAIL_2] [EMAIL_3]")
t.eq((s, r.get("text")), (200, "carol@example.net alice@example.com [EMAIL_3]"),
     "the mapping is per session: B's [EMAIL_1] is B's value, an unknown token is left as it is")
s, r = ss.ex(A, "console.log('4111 1111 1111 1111 / 4111111111111111 / 4111-1111-1111-1111 / 4111111111111112')")
t.eq(r.get("stdout"), "[CARD_1] / [CARD_1] / [CARD_1] / 4111111111111112\n",
     "a Luhn-valid card with spaces, dashes or none is one [CARD_n]; a Luhn-invalid 16-digit number is untouched")
s, r = ss.ex(A, "console.log('GB82 WEST 1234 5698 7654 32 = GB82WEST12345698765432; call +1 (555) 123-4567')")
t.eq(r.get("stdout"), "[IBAN_1] = [IBAN_1]; call [PHONE_1]\n", "an IBAN (grouped or not) and a phone number are tokenized")
s, r = ss.detok(A, "card [CARD_1], iban [IBAN_1], phone [PHONE_1]")
t.ok(s == 200 and "4111" in r.get("text", "") and "GB82" in r.get("text", "") and "555" in r.get("text", ""),
     "detokenize gives back the card, IBAN and phone", (s, r))
s, r, _ = srv.execute("console.log('x dave@example.com y dave@example.com z erin@example.com')", pii=True)
t.eq((r or {}).get("stdout"), "x [EMAIL_1] y [EMAIL_1] z [EMAIL_2]\n", "pii: true on a request without a session tokenizes")
s, r, _ = srv.execute("console.log('dave@example.com')")
t.eq((r or {}).get("stdout"), "dave@example.com\n", "without pii (request, session, tenant, service) e-mails are left alone")
s, hh = ss.history(A)
text = json.dumps(hh)
t.ok(s == 200 and "[EMAIL_1]" in text and not any(v in text.lower() for v in ("alice@", "bob@", "4111 1111", "gb82west")),
     "the history of a PII session holds tokens, never the values (code included)", text[:1500])
Dx, _ = ss.new(pii=True)
ss.ex(Dx, "console.log('zed@example.com')")
s1 = ss.delete(Dx)
s, r = ss.detok(Dx, "[EMAIL_1]")
t.eq((s1, s), (204, 404), "detokenize on a deleted session -> 404")

# ---- validation policy -----------------------------------------------------------------
P, _ = ss.new()


def put_validation(v):
    s, r, _ = srv.json("PUT", "/v1/settings", {"secret_patterns": ACME, "validation": v})
    return s, r or {}


def rejected(r, rule, where=None):
    e = err_of(r)
    m = e.get("message") or ""
    return (r.get("status") == "rejected" and e.get("name") == "PolicyViolation" and rule in m
            and (where is None or where in m))


s, r = put_validation({"max_code_bytes": 64})
t.ok(s == 200 and (r.get("validation") or {}).get("max_code_bytes") == 64, "PUT validation.max_code_bytes -> 200", (s, r))
s, r, _ = srv.execute("1 + 1; // " + "x" * 80)
t.ok(s == 200 and rejected(r or {}, "max_code_bytes", "(64)"),
     "code over max_code_bytes -> 200, status rejected, PolicyViolation naming the rule and limit", (s, r))
s, r, _ = srv.execute("1 + 1")
t.eq((r or {}).get("status"), "ok", "code under max_code_bytes runs")
put_validation({"max_string_literal_bytes": 8})
s, r, _ = srv.execute("let a = 1;\nconst s = 'abcdefghijkl';")
t.ok(rejected(r or {}, "max_string_literal_bytes", "line 2, column 11") and err_of(r).get("line") == 2,
     "a 12-byte string literal over max_string_literal_bytes 8 -> rejected at line 2, column 11", r)
s, r, _ = srv.execute("'abc'")
t.eq((r or {}).get("result"), "abc", "a short literal passes")
put_validation({"max_nesting_depth": 3})
s, r, _ = srv.execute("const ok = [[[1]]];\nconst bad = [[[[1]]]];")
t.ok(rejected(r or {}, "max_nesting_depth", "line 2, column 16"),
     "nesting 4 deep over max_nesting_depth 3 -> rejected at line 2, column 16", r)
NO_WT = {"name": "no-while-true", "pattern": "while\\s*\\(\\s*true", "message": "use a bounded loop"}
put_validation({"forbidden_patterns": [NO_WT]})
s, r, _ = srv.execute("let i = 0;\n  while (true) { break }")
t.eq(err_of(r).get("message"), "forbidden pattern 'no-while-true' matched at line 2, column 3: use a bounded loop",
     "a forbidden pattern -> rejected, naming the rule, line, column and its message")
s, r = ss.ex(P, "while(true){}")
s2, hh = ss.history(P)
row = (hh.get("executions") or [{}])[0]
t.ok(r.get("status") == "rejected" and row.get("status") == "rejected" and row.get("code") == "while(true){}"
     and "no-while-true" in json.dumps(row.get("error")),
     "a rejected execution inside a session is in its history (status, code, error)", (r, row))
# A policy rejection never reaches the worker: the session's live context
# must stay in use after it (a class defined before it is still there).
s, r = ss.ex(P, "class Keep { m() { return 7 } }")
s, r = ss.ex(P, "while(true){}")
s2, r2 = ss.ex(P, "new Keep().m()")
t.ok(r.get("status") == "rejected" and r2.get("result") == 7,
     "after a policy rejection the session's live context is kept (a class from before still works)", (r, r2))
for body, field, desc in (
        ({"validation": {"forbidden_patterns": [{"name": "bad", "pattern": "(unclosed"}]}}, "validation",
         "an invalid forbidden-pattern regex"),
        ({"secret_patterns": [{"name": "BAD", "pattern": "[a-"}]}, "secret_patterns", "an invalid secret-pattern regex"),
        ({"validation": {"max_nesting_depth": 0}}, "validation", "max_nesting_depth 0"),
        ({"validation": {"max_code_bytes": "big"}}, "validation", "max_code_bytes not an integer"),
        ({"pii": "maybe"}, "pii", "pii not a boolean"),
        ({"bogus": 1}, "bogus", "an unknown setting")):
    s, r, _ = srv.json("PUT", "/v1/settings", body)
    t.ok(s == 400 and field_of(r) == field and code_of(r) == "invalid_field",
         f"PUT /v1/settings with {desc} -> 400 naming '{field}'", (s, r))
s, r, _ = srv.json("GET", "/v1/settings")
t.ok(s == 200 and (r or {}).get("validation", {}).get("forbidden_patterns", [{}])[0].get("name") == "no-while-true",
     "a refused PUT leaves the settings as they were", r)
s, r, _ = srv.json("PUT", "/v1/settings", {"secret_patterns": ACME, "pii": True})
s2, r2, _ = srv.execute("while (true) { break }; console.log('t pii: fay@example.com')")
t.eq((s, (r2 or {}).get("status"), (r2 or {}).get("stdout")), (200, "ok", "t pii: [EMAIL_1]\n"),
     "a PUT replaces the settings (the policy is gone); the tenant's pii: true tokenizes without a request flag")
srv.json("PUT", "/v1/settings", {"secret_patterns": ACME})

# ---- expiry and deletion ------------------------------------------------------------------
E, (s, r) = ss.new(ttl_s=1)
t.ok(E and r.get("expires_at", 0) - r.get("created_at", 0) == 1000, "a session with ttl_s 1", r)
# With isolation "process" the session has a worker of its own, which the
# sweep retires (a shared worker drops the context itself: 60-concurrency).
s, r = ss.ex(E, "let e = 1; e", isolation="process")
t.eq(r.get("result"), 1, "it runs while it lives")
wE, _ = session_worker(ss, E, isolation="process")
rows = db_rows(data_dir, "SELECT (SELECT count(*) FROM sessions WHERE id = ?1), "
                         "(SELECT count(*) FROM session_history WHERE session_id = ?1)", (E,))
t.eq(rows, [(1, 2)], "its row and its history rows are in the store")
time.sleep(1.3)
s, r = ss.get(E)
s2, r2, _ = srv.execute("e", session_id=E)
t.eq((s, s2, field_of(r2)), (404, 404, "session_id"), "after its TTL: GET -> 404 and execute -> 404 field session_id")
deadline = time.monotonic() + 6
while time.monotonic() < deadline:
    rows = db_rows(data_dir, "SELECT (SELECT count(*) FROM sessions WHERE id = ?1), "
                             "(SELECT count(*) FROM session_history WHERE session_id = ?1)", (E,))
    if rows == [(0, 0)]:
        break
    time.sleep(0.25)
t.eq(rows, [(0, 0)], "the sweep (CORRAL_SESSION_SWEEP_S=1) deleted the session and its history from the store")
while time.monotonic() < deadline + 3 and wE and alive(wE):
    time.sleep(0.1)
t.ok(wE and not alive(wE), "... and retired the worker of its own (isolation process) that held its context", wE)

D, _ = ss.new()
ss.ex(D, "let gone = 1")
s1 = ss.delete(D)
s2, _ = ss.get(D)
s3, r3, _ = srv.execute("gone", session_id=D)
s4, _ = ss.history(D)
s5 = ss.delete(D)
t.eq((s1, s2, s3, field_of(r3), s4, s5), (204, 404, 404, "session_id", 404, 404),
     "DELETE -> 204; then GET, execute (field session_id), history and DELETE again -> 404")

# ---- the session's worker killed ---------------------------------------------------------
pid, diag = session_worker(ss, S)
if pid is None:
    t.ok(False, "the session's worker is found (the one whose CPU time grows while it runs)", diag)
else:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    t.ok(not alive(pid), f"the session's worker (pid {pid}) is SIGKILLed", diag)
    time.sleep(0.2)
    s, r = ss.ex(S, VERIFY)
    t.ok(s == 200 and r.get("status") == "ok" and not verify_diff(r),
         "after the kill the next execution sees the stored values, equal", verify_diff(r) or (s, r))
    s, r = ss.ex(S, "f(2)")
    e = err_of(r)
    t.ok(r.get("status") == "error" and e.get("name") == "ReferenceError"
         and (e.get("message") or "").startswith("f could not be restored after the session's worker was restarted: ")
         and (e.get("message") or "").endswith("Run the code that defines it again."),
         "a function from before the kill: ReferenceError 'f could not be restored after the session's worker was "
         "restarted: REASON. Run the code that defines it again.'", r)
    s, r = ss.ex(S, "function f(a) { return a * 3 }\nf(5)")
    t.eq((r.get("status"), r.get("result")), ("ok", 15), "running the code that defines it again works")

# ---- SIGTERM and a restart on the same data dir -------------------------------------------
count_before = ss.get(S)[1].get("execution_count")
rc = srv.sigterm_and_wait(30)
t.eq(rc, 0, "SIGTERM: the service exits 0")
try:
    srv.restart()
    restarted = srv.wait_ready(20)[0] == 200
except ServerError as exc:
    restarted = False
    print(f"# restart failed: {exc}")
t.ok(restarted, "the service starts again on the same data dir")
if restarted:
    s, r = ss.get(S)
    t.eq((s, r.get("execution_count")), (200, count_before), "after the restart GET finds the session, with its count")
    s, r = ss.ex(S, VERIFY)
    got = r.get("result") if isinstance(r.get("result"), dict) else {}
    t.eq((s, r.get("status")), (200, "ok"), "after the restart the session runs")
    for k in ("m", "s", "d", "nested", "u8", "f64", "re", "big", "negz", "nan", "str", "nul", "und", "cyc"):
        t.eq(got.get(k, "<missing>"), EXPECT[k], f"after SIGTERM + restart the stored '{k}' comes back equal")
    s, r = ss.ex(S, "[x + 1, r * 2, v1]")
    t.eq(r.get("result"), [2, 10, "var"], "x + 1 -> 2, r * 2 -> 10, and a var binding comes back too")

    s, r = ss.get(T)
    vs = variables(r)
    t.ok(s == 200 and (vs.get("Counter") or {}).get("persisted") is False and (vs.get("ctr") or {}).get("persisted") is False
         and (vs.get("keep") or {}).get("persisted") is True,
         "after the restart GET reports the class and its instance persisted: false, a plain object true",
         {k: vs.get(k) for k in ("Counter", "ctr", "keep")})
    s, r = ss.ex(T, "keep.kept")
    t.eq(r.get("result"), [1, 2, 3], "the plain object of that session is restored")
    s, r = ss.ex(T, "new Counter().inc()")
    e = err_of(r)
    m = e.get("message") or ""
    t.ok(r.get("status") == "error" and e.get("name") == "ReferenceError"
         and re.fullmatch(r"Counter could not be restored after the session's worker was restarted: .+\. "
                          r"Run the code that defines it again\.", m, re.S) is not None,
         "the class after the restart: a ReferenceError naming it, saying it could not be restored", r)

    # The history: every execution, newest first, seq n..1.
    s, hh = ss.history(S, 200)
    rows = hh.get("executions") or []
    sent = ss.sent[S]
    t.ok(s == 200 and hh.get("session_id") == S and len(rows) == len(sent),
         f"history lists every execution of the session ({len(sent)})", (len(rows), len(sent)))
    t.eq([x.get("seq") for x in rows], list(range(len(sent), 0, -1)), "newest first: seq n, n-1, ..., 1")
    t.ok([x.get("code") for x in rows] == [c for c, _ in reversed(sent)]
         and [x.get("status") for x in rows] == [st for _, st in reversed(sent)],
         "each row has the code and status of its execution, in order",
         [(x.get("seq"), x.get("status"), (x.get("code") or "")[:30]) for x in rows][:8])
    first = rows[-1] if rows else {}
    u = first.get("usage") or {}
    t.ok(first.get("code") == "let x = 1" and first.get("status") == "ok" and first.get("stdout") == ""
         and first.get("stderr") == "" and first.get("error") is None and first.get("truncated") is False
         and isinstance(first.get("id"), str) and first["id"].startswith("x_")
         and all(isinstance(u.get(k), (int, float)) for k in ("wall_ms", "cpu_ms", "peak_memory_bytes"))
         and isinstance(first.get("started_at"), int) and first.get("finished_at", 0) >= first["started_at"],
         "a history row has id, seq, status, code, result, stdout, stderr, error, usage, timestamps, truncated", first)
    errs = [x for x in rows if x.get("code") == "f(2)"]
    t.ok(errs and errs[0].get("status") == "error" and (errs[0].get("error") or {}).get("name") == "ReferenceError",
         "a failed execution is in the history with its error", errs[:1])
    s, h3 = ss.history(S, 3)
    t.eq([x.get("seq") for x in h3.get("executions") or []], list(range(len(sent), len(sent) - 3, -1)),
         "?limit=3 gives the 3 newest")

    s, r = ss.detok(A, "[EMAIL_1] and [CARD_1]")
    t.eq((s, r.get("text")), (200, "alice@example.com and 4111111111111111"), "after the restart detokenize still works")
    s, r = ss.ex(A, "console.log('bob@example.org alice@example.com gina@example.com')")
    t.eq(r.get("stdout"), "[EMAIL_2] [EMAIL_1] [EMAIL_3]\n", "and the session's tokens are the same as before the restart")
    s, r = ss.ex(R1, "'acme_' + 'a'.repeat(32)")
    t.eq(r.get("result"), "[REDACTED:ACME_KEY]", "the tenant's secret pattern is still applied after the restart")
    s, r = ss.ex(R2, "console.log(captured); captured")
    clean(r, "after the restart the restored binding that captured the secret is still redacted", want=None)

t.eq(srv.server_errors(), [], "no 5xx other than 503 from the sessions server")

# ---- the secret nowhere: the server's log and the database --------------------------------
rc = srv.sigterm_and_wait(30)
logs = ""
for f in sorted(glob.glob(os.path.join(srv._tmp or "", "stderr.*"))):
    with open(f, "rb") as fh:
        logs += fh.read().decode(errors="replace")
t.ok(logs.count("\n") > 50 and not leaks(logs, SECRET),
     "the secret appears in no line of the server's log (CORRAL_LOG_LEVEL=debug, across the restart)",
     (logs.count("\n"), leaks(logs, SECRET)))
t.ok("alice@example.com" not in logs, "nor does a tokenized e-mail address", None)
try:
    dump = []
    for table in ("session_history", "executions"):
        for row in db_rows(data_dir, f"SELECT * FROM {table}"):
            dump.append(table + ": " + " | ".join(str(c) for c in row))
    states = db_rows(data_dir, "SELECT id, coalesce(state, '') FROM sessions WHERE id != ?", (R2,))
    text = "\n".join(dump)
    bad = leaks(text, SECRET) + [sid for sid, st in states if leaks(st, SECRET)]
    t.ok(len(dump) > 50 and not bad,
         "the secret is in no row of session_history or executions, nor in the state of sessions that hold no binding of it",
         (len(dump), bad))
    t.ok(not any(v in text.lower() for v in ("alice@example.com", "bob@example.org", "4111 1111 1111 1111")),
         "PII values are in no history or execution row (only the session_tokens table maps them)",
         [ln[:200] for ln in dump if "alice@" in ln.lower()][:3])
except sqlite3.Error as exc:
    t.ok(False, "the database can be read", exc)
srv.stop()
shutil.rmtree(data_dir, ignore_errors=True)

# =============================================================================
# Tenants and limits: keys for two tenants, a cap of 2 live sessions per
# tenant, 3 history rows kept per session, and a worker recycled after every
# execution (so every execution restores the session from the store).
# =============================================================================
dd = tempfile.mkdtemp(prefix="corral-e2e-sessions-keys-")
try:
    rc1, k1, e1 = corral_keys(dd, "create", "--tenant", "t1")
    rc2, k2, e2 = corral_keys(dd, "create", "--tenant", "t2")
    k1, k2 = k1.strip(), k2.strip()
    if rc1 or rc2 or not k1 or not k2:
        t.ok(False, "corral keys create makes keys for two tenants", (rc1, e1, rc2, e2))
        raise SystemExit
    ks = start("corral serve starts (tenants and limits)", data_dir=dd, ready=True,
               env={"ISOLATE_POOL_SIZE": "1", "ISOLATE_MAX_POOL_SIZE": "2", "CORRAL_SESSIONS_PER_TENANT": "2",
                    "CORRAL_SESSION_HISTORY_MAX": "3", "CORRAL_WORKER_MAX_EXECUTIONS": "1"})
    if ks is not None:
        u1 = Sessions(ks, {"Authorization": "Bearer " + k1})
        u2 = Sessions(ks, {"Authorization": "Bearer " + k2})
        a1, (sa, _) = u1.new()
        a2, (sb, _) = u1.new()
        s3, r3, h3 = u1.create()
        t.ok(sa == 201 and sb == 201 and s3 == 429 and code_of(r3) == "too_many_sessions" and retry_after(h3) is not None,
             "CORRAL_SESSIONS_PER_TENANT=2: the third live session -> 429 too_many_sessions with Retry-After",
             (sa, sb, s3, r3, h3))
        b1, (sc, _) = u2.new()
        t.eq(sc, 201, "the cap is per tenant: another tenant still creates one")
        s, r = u2.get(a1)
        sx, rx = u2.ex(a1, "1")
        t.eq((s, sx, u2.history(a1)[0], u2.detok(a1, "x")[0], u2.delete(a1)),
             (404, 404, 404, 404, 404),
             "another tenant's session is not found: GET, execute, history, detokenize, DELETE -> 404")
        s, r = u1.get(a1)
        t.eq(s, 200, "... and it is still there for its own tenant")
        s = u1.delete(a2)
        s2, _, _ = u1.create()
        t.eq((s, s2), (204, 201), "after deleting one, the tenant can create a session again")

        s, r = u1.ex(a1, "let m = new Map([[1, 'one']]); const when = new Date(86400000); class K {}; const k = new K(); 'set'")
        s2, r2 = u1.ex(a1, "[m.get(1), when.toISOString(), m instanceof Map]")
        t.eq((r.get("status"), r2.get("status"), r2.get("result")), ("ok", "ok", ["one", "1970-01-02T00:00:00.000Z", True]),
             "CORRAL_WORKER_MAX_EXECUTIONS=1: every execution restores the session, and its Map and Date come back")
        s, r = u1.ex(a1, "new K()")
        m = err_of(r).get("message") or ""
        t.ok(err_of(r).get("name") == "ReferenceError" and m.startswith("K could not be restored") and "Run the code" in m,
             "a class across a recycled worker: ReferenceError 'K could not be restored ...'", r)
        for c in ("m.size", "2 + 2"):
            u1.ex(a1, c)
        s, hh = u1.history(a1)
        s2, g = u1.get(a1)
        t.eq(([x.get("seq") for x in hh.get("executions") or []], g.get("execution_count")), ([5, 4, 3], 5),
             "CORRAL_SESSION_HISTORY_MAX=3: 5 executions, the 3 newest kept (seq 5, 4, 3), execution_count 5")
        t.eq(ks.server_errors(), [], "no 5xx other than 503 from the tenants server")
        ks.stop()
except SystemExit:
    pass
finally:
    shutil.rmtree(dd, ignore_errors=True)

# What the review of the first version found: each case failed before its fix.
rv = start("corral serve starts (review cases)", ready=True,
           env={"ISOLATE_POOL_SIZE": "1", "ENABLE_MODULE_CACHE": "false"})
if rv:
    rs = Sessions(rv)
    SEC = "rv-secret-4242-value"
    sid, _ = rs.new()
    s, r = rs.ex(sid, "globalThis[process.env.K] = 1; var named = {[process.env.K]: class {}}[process.env.K];"
                      " var leak = {get x() { throw new Error('k=' + process.env.K + ' bob@example.com') }};"
                      " var e = new Error('m'); e.name = process.env.K; var err = e; 1", env={"K": SEC})
    s2, g = rs.get(sid)
    t.ok(r.get("status") == "ok" and s2 == 200 and SEC not in json.dumps(g) and "bob@example.com" not in json.dumps(g),
         "GET /v1/sessions/{id}: variable names, types and reasons carry no secret and no e-mail", (r, g))
    s, r = rs.ex(sid, "const x = new Error('m'); x.name = process.env.K + ' alice@example.com'; throw x", env={"K": SEC},
                 pii=True)
    t.ok(r.get("status") == "error" and SEC not in json.dumps(r) and "alice@example.com" not in json.dumps(r)
         and SEC not in json.dumps(rs.history(sid)[1]),
         "an error's name is filtered like its message (answer and history)", r)
    ML = "-----line one " + SEC + "\nline two of the key-----"
    s, r = rs.ex(sid, "var keep = process.env.SA; 1", env={"SA": ML})
    s2, r2 = rs.ex(sid, "console.log(keep); keep")
    t.ok(r2.get("status") == "ok" and "line two of the key" not in json.dumps(r2) and SEC not in json.dumps(r2),
         "a multi-line env value is remembered by the session and filtered later", r2)
    s, r = rs.ex(sid, "function kept() { return 41 }; 1")
    s2, r2 = rs.ex(sid, "kept() + 1")
    t.eq((r.get("status"), r2.get("result")), ("ok", 42),
         "ENABLE_MODULE_CACHE=false does not recycle a session's worker (a function lives on)")
    s, r, _ = rv.json("PUT", "/v1/settings", {"secret_patterns": [{"name": "P%d" % i, "pattern": "p%d_[a-z]{20}" % i}
                                                                  for i in range(2000)]})
    t.eq((s, code_of(r)), (413, "body_too_large"), "settings over 64 KiB -> 413, not 503")
    s, r = rs.ex(sid, "let out = ''; for (let i = 0; i < 5100; i++) out += 'u' + i + '@example.com '; out",
                 pii=True, timeout=60)
    res = r.get("result") or ""
    t.ok(r.get("status") == "ok" and "@example.com" not in res and "[EMAIL]" in res and "[EMAIL_5000]" in res,
         "past 5,000 token lookups in one execution, e-mails become [EMAIL] (no number, no new row)",
         (r.get("status"), res[:200], res[-200:]))
    s, h = rs.history(sid, limit=2)
    t.ok(s == 200 and h.get("more") is False and len(h.get("executions") or []) == 2,
         "history says whether more rows were left out of the answer", h)
    # A worker holding more than the next job's memory cap (cgroup v1
    # refuses to lower the cap below usage): the job goes to a fresh worker.
    mid, _ = rs.new()
    s, r = rs.ex(mid, "var big = []; for (let i = 0; i < 12; i++) big.push(new Float64Array(1e6).fill(i));"
                      " var small = 5; big.length", memory_mb=256)
    s2, r2 = rs.ex(mid, "small + 1", memory_mb=64)
    t.ok(r.get("status") == "ok" and r2.get("status") == "ok" and r2.get("result") == 6,
         "a session worker holding ~100 MB cannot take a memory_mb 64 job: a fresh worker runs it, restored", (r, r2))
    # Deleting a session while it runs: its worker of its own (isolation
    # process) goes once it is done.
    did, _ = rs.new()
    wpid, diag = session_worker(rs, did, isolation="process")
    done = {}
    th = threading.Thread(target=lambda: done.setdefault("r", rs.ex(did, "await new Promise(r => setTimeout(r, 800)); 1",
                                                                    isolation="process")))
    th.start()
    time.sleep(0.3)
    sd = rs.delete(did)
    th.join(10)
    gone = False
    for _ in range(40):
        if wpid and not alive(wpid):
            gone = True
            break
        time.sleep(0.05)
    t.ok(wpid and sd == 204 and (done.get("r") or (0, {}))[1].get("status") == "ok" and gone,
         "a session deleted while it runs: the execution ends, then its worker of its own is retired", (wpid, sd, done, gone, diag))
    t.eq(rv.server_errors(), [], "no 5xx other than 503 from the review server")
    rv.stop()

# A drain that times out with executions still running and one waiting in a
# session's lane: MHD aborted the process (a suspended connection at stop).
dr = start("corral serve starts (drain)", ready=True, env={"ISOLATE_POOL_SIZE": "1", "CORRAL_DRAIN_TIMEOUT_S": "1"})
if dr:
    ds = Sessions(dr)
    sid, _ = ds.new()
    got = {}

    def bg(name, **kw):
        try:
            got[name] = dr.execute(kw.pop("code"), timeout=15, **kw)[:2]
        except Exception as e:  # the connection is closed at the drain's end
            got[name] = ("closed", str(e))

    th = [threading.Thread(target=bg, args=("slow",), kwargs={"code": "await new Promise(r => setTimeout(r, 5000)); 1",
                                                             "session_id": sid, "timeout_ms": 10000}),
          threading.Thread(target=bg, args=("queued",), kwargs={"code": "2", "session_id": sid})]
    th[0].start()
    time.sleep(0.3)
    th[1].start()
    time.sleep(0.4)
    dr.sigterm()
    rc = dr.wait(10)
    for x in th:
        x.join(15)
    q = got.get("queued") or (None, None)
    t.ok(rc == 0 and q[0] == 503 and code_of(q[1]) == "draining",
         "SIGTERM with a drain that times out: exit 0, the execution waiting in the lane gets 503 draining", (rc, got))
    dr.stop()

t.done()
