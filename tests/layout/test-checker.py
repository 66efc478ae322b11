#!/usr/bin/env python3
"""check-layout.py must fail on each rule it checks: a tree that breaks one
rule at a time is built in a temp dir and the checker run on it (TAP)."""
import os
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'check-layout.py')

GOOD = {
    'common/a.h': 'int a_one(void);\n',
    'common/a.c': '#include "common/a.h"\nint a_one(void) { return 1; }\n',
    'supervisor/b.h': 'int b_two(void);\n',
    'supervisor/b.c': '#include "supervisor/b.h"\n#include "common/a.h"\nint b_two(void) { return a_one() + 1; }\n',
    'worker/js/runtime/x.js': "'use strict';\nmodule.exports = 1;\n",
    'worker/js/runtime/y.js': "'use strict';\nconst x = require('./x.js');\nmodule.exports = x + 1;\n",
}

CASES = [
    ('a clean tree passes', {}, None),
    ('a worker file including a supervisor header fails rule 1',
     {'worker/w.c': '#include "supervisor/b.h"\nint w_three(void) { return b_two(); }\n'},
     'not ok 1'),
    ('two C files that use each other fail rule 2',
     {'common/a.c': '#include "common/a.h"\n#include "common/c.h"\nint a_one(void) { return c_back(); }\n',
      'common/c.h': 'int c_back(void);\n',
      'common/c.c': '#include "common/c.h"\n#include "common/a.h"\nint c_back(void) { return a_one(); }\n'},
     'not ok 2'),
    ('two JS files that require each other fail rule 3',
     {'worker/js/runtime/x.js': "'use strict';\nmodule.exports = () => require('./y.js');\n"},
     'not ok 3'),
    ('a .c file over the line limit fails rule 4',
     {'common/big.c': 'int big;\n' + '\n' * 1300},
     'not ok 4'),
]

print('TAP version 13')
print('1..%d' % len(CASES))
failed = 0
for i, (name, change, want) in enumerate(CASES, 1):
    with tempfile.TemporaryDirectory() as d:
        for rel, text in {**GOOD, **change}.items():
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), 'w') as f:
                f.write(text)
        r = subprocess.run([sys.executable, CHECK, d], capture_output=True, text=True)
        lines = r.stdout.splitlines()
        bad = [l for l in lines if l.startswith('not ok')]
        if want is None:
            ok = r.returncode == 0 and not bad and any(l.startswith('ok') for l in lines)
        else:
            ok = r.returncode != 0 and any(l.startswith(want + ' ') for l in bad) and len(bad) == 1
        if not ok:
            failed += 1
            print('not ok %d - %s' % (i, name))
            for l in lines + r.stderr.splitlines():
                print('  # ' + l)
        else:
            print('ok %d - %s' % (i, name))
sys.exit(1 if failed else 0)
