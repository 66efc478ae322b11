#!/usr/bin/env python3
"""The layout of src/ (docs/design.md, "The map"), checked as TAP.

1. A file's folder says which program runs it, so a folder may use only the
   folders below it: common/ nothing else; sandbox/ common/; worker/ and
   supervisor/ common/ and sandbox/, never each other; the entry points at
   the top (main.c, run.c) anything but worker/. Checked on #include lines,
   which must name a header by its path from src/.
2. No circle of use between files: file A uses file B when A names a
   function or variable that B defines and exports (found from the text:
   definitions at file scope that are not static, declared in a header).
   A .c and its .h are one file here. The JS runtime is checked the same way
   on its require() calls.
3. No .c file over MAX_LINES lines.

It reads the sources as text; run it from anywhere: python3 check-layout.py
[SRC] (default: this checkout's src/).
"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
SRC = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, 'src')
MAX_LINES = 1200

# Which folders each folder may include from.
ALLOWED = {
    'common': {'common'},
    'sandbox': {'common', 'sandbox'},
    'worker': {'common', 'sandbox', 'worker'},
    'supervisor': {'common', 'sandbox', 'supervisor'},
    '': {'common', 'sandbox', 'supervisor', ''},
}

results = []


def check(ok, name, diag=None):
    results.append((ok, name, diag))


def folder_of(rel):
    top = rel.split('/')[0]
    return top if '/' in rel else ''


def c_files():
    out = []
    for dp, dn, fn in os.walk(SRC):
        dn[:] = [d for d in dn if d != 'js']
        for n in sorted(fn):
            if n.endswith(('.c', '.h')):
                out.append(os.path.relpath(os.path.join(dp, n), SRC))
    return sorted(out)


def strip_c(text):
    """Comments and string/char literals blanked, line structure kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(c + ' ' * (min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


files = c_files()
texts = {f: open(os.path.join(SRC, f), encoding='utf-8', errors='replace').read() for f in files}

# --- 1. includes by folder --------------------------------------------------
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
bad = []
for f in files:
    for h in inc_re.findall(texts[f]):
        if h in ('tap.h',):
            continue
        target = os.path.normpath(h)
        if not os.path.exists(os.path.join(SRC, target)):
            # Generated or local headers are not ours to place.
            if not os.path.exists(os.path.join(SRC, os.path.dirname(f), h)):
                continue
            bad.append('%s includes "%s" by a relative name, not its path from src/' % (f, h))
            continue
        if folder_of(target) not in ALLOWED[folder_of(f)]:
            bad.append('%s (%s/) includes %s (%s/)' % (f, folder_of(f) or 'top', target, folder_of(target) or 'top'))
check(not bad, 'every #include names a header by its path from src/, in a folder its folder may use',
      bad)

# --- 2. circles of use between C files -------------------------------------
def module(f):
    return f[:-2]


stripped = {f: strip_c(texts[f]) for f in files}
# Names declared in headers: what a module exports.
declared = set()
for f in files:
    if f.endswith('.h'):
        for m in re.finditer(r'\b([A-Za-z_]\w*)\s*\(', stripped[f]):
            declared.add(m.group(1))
        for m in re.finditer(r'^extern\s+[^;(]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*;', stripped[f], re.M):
            declared.add(m.group(1))
# Definitions at file scope in .c files: "type name(args)\n{" or a variable.
defined = {}
def_re = re.compile(r'^(?!static\b)(?!typedef\b)(?!extern\b)[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{', re.M)
var_re = re.compile(r'^(?!static\b)(?!typedef\b)(?!extern\b)(?:const\s+)?(?:struct\s+)?[A-Za-z_]\w*[\s\*]+([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?:=[^;]*)?;', re.M)
for f in files:
    if not f.endswith('.c'):
        continue
    for m in def_re.finditer(stripped[f]):
        if m.group(1) in declared:
            defined.setdefault(m.group(1), module(f))
    for m in var_re.finditer(stripped[f]):
        if m.group(1) in declared:
            defined.setdefault(m.group(1), module(f))
word_re = re.compile(r'\b[A-Za-z_]\w*\b')
edges = {}
for f in files:
    a = module(f)
    for w in set(word_re.findall(stripped[f])):
        b = defined.get(w)
        if b and b != a:
            edges.setdefault(a, {}).setdefault(b, set()).add(w)


def circles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    nodes = set(graph) | {b for v in graph.values() for b in v}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


diag = []
for comp in circles(edges):
    diag.append('circle: ' + ', '.join(comp))
    for a in comp:
        for b, names in sorted(edges.get(a, {}).items()):
            if b in comp:
                diag.append('  %s uses %s: %s' % (a, b, ', '.join(sorted(names)[:6])))
check(not diag, 'no circle of use between the C files of src/', diag)

# --- 2b. circles of require() in the embedded JS ----------------------------
JS = os.path.join(SRC, 'worker', 'js')
req_re = re.compile(r'''\brequire\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\)''')
jsedges = {}
for dp, dn, fn in os.walk(JS):
    for n in fn:
        if not n.endswith('.js'):
            continue
        p = os.path.join(dp, n)
        a = os.path.relpath(p, SRC)
        for r in req_re.findall(open(p, encoding='utf-8').read()):
            t = os.path.normpath(os.path.join(dp, r))
            if not t.endswith('.js'):
                t += '.js' if os.path.exists(t + '.js') else '/index.js'
            if os.path.exists(t):
                jsedges.setdefault(a, {}).setdefault(os.path.relpath(t, SRC), set()).add(r)
diag = []
for comp in circles(jsedges):
    diag.append('circle: ' + ', '.join(comp))
check(not diag, 'no circle of require() between the runtime\'s JS files', diag)

# --- 3. file size ------------------------------------------------------------
big = ['%s: %d lines' % (f, texts[f].count('\n')) for f in files
       if f.endswith('.c') and texts[f].count('\n') > MAX_LINES]
check(not big, 'no .c file in src/ over %d lines' % MAX_LINES, big)

print('TAP version 13')
print('1..%d' % len(results))
for i, (ok, name, d) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
    for line in (d or [])[:60] if not ok else []:
        print('  # ' + line)
failed = sum(1 for ok, _, _ in results if not ok)
print('# layout: %d passed, %d failed' % (len(results) - failed, failed))
sys.exit(1 if failed else 0)
