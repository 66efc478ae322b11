#!/usr/bin/env python3
""".env.example names every setting `corral serve --help` lists, with the
same default, and nothing else (issue 20 point 6)."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
from corraltest import Tap, run  # noqa: E402

t = Tap("17-env-example")
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
rc, out, err, _ = run(["serve", "--help"])
text = out + err
helped = dict(re.findall(r"^  ([A-Z][A-Z0-9_]+)\s+default (\S+)", text, re.M))
t.ok(len(helped) >= 40, f"corral serve --help lists the settings ({len(helped)})", text[:300])
listed = {}
dups = []
with open(os.path.join(ROOT, ".env.example")) as f:
    for line in f:
        m = re.match(r"^([A-Z][A-Z0-9_]+)=(\S*)", line)
        if m:
            if m.group(1) in listed:
                dups.append(m.group(1))
            listed[m.group(1)] = m.group(2)
t.eq(dups, [], ".env.example names each setting once")
t.eq(sorted(set(helped) - set(listed)), [], "every setting of --help is in .env.example")
t.eq(sorted(set(listed) - set(helped)), [], ".env.example names no setting --help does not know")
t.eq({k: v for k, v in listed.items() if k in helped and helped[k] != v}, {},
     "each default in .env.example is --help's")
# Names read with getenv() outside the settings table are settings too.
read = set()
for d, _, files in os.walk(os.path.join(ROOT, "src")):
    for fn in files:
        if fn.endswith(".c"):
            with open(os.path.join(d, fn), errors="replace") as f:
                read |= set(re.findall(r'getenv\("((?:CORRAL|ISOLATE|FUNCTION|ENABLE|MODULE)_[A-Z0-9_]+)"\)', f.read()))
read = {n for n in read if not n.startswith("CORRAL_TEST_")}  # the test-hooks binary's switches
t.eq(sorted(read - set(listed)), [], "every setting the code reads with getenv() is in .env.example")
t.done()
