#!/usr/bin/env python3
"""The compatibility suite: every snippet in tests/compat runs in Node (the
`node` on PATH, at test time, so the expectation is real) and in corral
(`corral run --json FILE`), and the two stdouts must be equal byte for byte.

- NNN-name.js snippets are CommonJS scripts (they use require, not import).
- NNN-name.tla.js snippets use top-level await, which corral supports in a
  script and Node does not in CommonJS: Node runs them wrapped in an async
  function ((async () => { ... })()), corral runs them as they are.
- tests/compat/EXPECTED_FAILURES lists the snippets known to differ, one per
  line: "NNN-name.js  reason". An expected failure is reported as
  `not ok ... # TODO reason` (never as passed); an unlisted failure as a
  plain `not ok`; an expected failure that passes says so, to be unlisted.
- The suite fails when fewer than MIN_PASSED snippets pass, or when an
  unlisted snippet fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import CORRAL  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
COMPAT = os.path.normpath(os.path.join(HERE, "..", "compat"))

# The number of snippets that must pass. Raise it when snippets are added or
# fixed; never lower it to make a regression pass.
MIN_PASSED = 195

NODE = shutil.which("node")


def expected_failures():
    path = os.path.join(COMPAT, "EXPECTED_FAILURES")
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            out[name] = reason.strip() or "no reason given"
    return out


def node_stdout(path, tmp):
    with open(path, encoding="utf-8") as f:
        code = f.read()
    if path.endswith(".tla.js"):
        code = "(async () => {\n" + code + "\n})().catch((e) => { console.error(e); process.exitCode = 1; });\n"
    runner = os.path.join(tmp, os.path.basename(path).replace(".tla.js", ".js"))
    with open(runner, "w", encoding="utf-8") as f:
        f.write(code)
    p = subprocess.run([NODE, runner], cwd=tmp, capture_output=True, timeout=60)
    return p.stdout.decode("utf-8", errors="replace"), p.stderr.decode("utf-8", errors="replace")


def corral_result(path):
    p = subprocess.run([CORRAL, "run", "--json", "--timeout", "20000", path], capture_output=True, timeout=90)
    out = p.stdout.decode("utf-8", errors="replace").strip().split("\n")
    try:
        return json.loads(out[-1])
    except (ValueError, IndexError):
        return {"status": None, "stdout": "", "_raw": p.stdout.decode("utf-8", errors="replace")[-2000:],
                "_stderr": p.stderr.decode("utf-8", errors="replace")[-2000:]}


def first_difference(want, got):
    w, g = want.split("\n"), got.split("\n")
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "<end>"
        b = g[i] if i < len(g) else "<end>"
        if a != b:
            return f"line {i + 1}\n  node:   {a!r}\n  corral: {b!r}"
    return "same"


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    snippets = sorted(f for f in os.listdir(COMPAT) if f.endswith(".js") and f[:3].isdigit() and only in f)
    expected = expected_failures()
    for name in expected:
        if not os.path.exists(os.path.join(COMPAT, name)):
            print(f"# EXPECTED_FAILURES names {name}, which does not exist")
    if not NODE:
        print("1..0 # SKIP node is not installed")
        print("30-compat: 0 passed, 0 failed, 1 skipped")
        return 0
    have_corral = os.path.exists(CORRAL)
    passed = failed = unexpected = 0
    now_passing = []
    n = 0
    tmp = tempfile.mkdtemp(prefix="corral-compat-")
    try:
        for name in snippets:
            n += 1
            path = os.path.join(COMPAT, name)
            want, node_err = node_stdout(path, tmp)
            if not have_corral:
                failed += 1
                print(f"not ok {n} - {name} # TODO no corral binary at {CORRAL}", flush=True)
                continue
            r = corral_result(path)
            got = r.get("stdout") or ""
            ok = got == want and r.get("status") == "ok"
            if ok:
                passed += 1
                print(f"ok {n} - {name}", flush=True)
                if name in expected:
                    now_passing.append(name)
                continue
            failed += 1
            if name in expected:
                print(f"not ok {n} - {name} # TODO {expected[name]}", flush=True)
            else:
                unexpected += 1
                print(f"not ok {n} - {name}", flush=True)
            diag = [f"status: {r.get('status')}"]
            if r.get("error"):
                diag.append(f"error: {r['error'].get('name')}: {r['error'].get('message')}")
            if "_raw" in r:
                diag.append(f"raw: {r['_raw']!r} {r['_stderr']!r}")
            if node_err.strip():
                diag.append(f"node stderr: {node_err.strip()[:300]}")
            diag.append(first_difference(want, got))
            for line in "\n".join(diag).splitlines()[:12]:
                print(f"#   {line}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name in now_passing:
        print(f"# {name} is listed in EXPECTED_FAILURES but passes: remove it from the list")
    enough = passed >= MIN_PASSED or only
    n += 1
    print(f"{'ok' if enough else 'not ok'} {n} - at least {MIN_PASSED} snippets pass ({passed} of {len(snippets)})")
    print(f"1..{n}")
    print(f"# compatibility: {passed} of {len(snippets)} snippets give Node's output "
          f"({passed * 100.0 / max(1, len(snippets)):.1f}%); {failed - unexpected} expected failures, {unexpected} unexpected")
    print(f"30-compat: {passed} passed, {failed} failed, 0 skipped")
    return 0 if enough and unexpected == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
