#!/usr/bin/env node
// Runs the compatibility snippets of tests/compat in Node and in the
// simulated context of tests/js/runtime-sim.mjs (the runtime bundle on a
// mock host, in a vm context without Node's globals), and compares stdout.
// This checks the runtime before (and besides) the real engine; the suite
// that counts is tests/e2e/30-compat.py, which runs the corral binary.
//
// Usage: node tests/js/compat-sim.mjs [FILTER]   (FILTER: a substring of the
// snippet names). Prints TAP and "N passed, M failed"; exits 0 always unless
// --strict is given, since the simulator is not the engine.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSim, ROOT } from './runtime-sim.mjs';

const COMPAT = path.join(ROOT, 'tests', 'compat');
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const filter = args.find((a) => !a.startsWith('--')) || '';

export function nodeSource(file) {
  const code = fs.readFileSync(file, 'utf8');
  if (!file.endsWith('.tla.js')) return code;
  return `(async () => {\n${code}\n})().catch((e) => { console.error(e); process.exitCode = 1; });\n`;
}

function runNode(file) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-compat-node-'));
  const f = path.join(tmp, path.basename(file).replace(/\.tla\.js$/, '.js'));
  fs.writeFileSync(f, nodeSource(file));
  const r = spawnSync(process.execPath, [f], { cwd: tmp, encoding: 'utf8', timeout: 20000 });
  fs.rmSync(tmp, { recursive: true, force: true });
  return r.stdout;
}

const files = fs.readdirSync(COMPAT).filter((f) => /^\d{3}-.*\.js$/.test(f) && f.includes(filter)).sort();
let passed = 0;
let failed = 0;
let n = 0;
for (const f of files) {
  n++;
  const file = path.join(COMPAT, f);
  const want = runNode(file);
  const sim = createSim({});
  let got = '';
  let err = null;
  try {
    const r = await sim.run(fs.readFileSync(file, 'utf8'), f);
    got = r.stdout;
    err = r.error;
  } catch (e) {
    err = e;
  }
  if (got === want && !err) {
    passed++;
    console.log(`ok ${n} - ${f}`);
  } else {
    failed++;
    console.log(`not ok ${n} - ${f}`);
    if (err) console.log(`#   error: ${String(err && err.stack || err).split('\n').slice(0, 4).map((l) => l.slice(0, 200)).join('\n#   ')}`);
    const w = want.split('\n');
    const g = got.split('\n');
    for (let i = 0; i < Math.max(w.length, g.length); i++) {
      if (w[i] !== g[i]) {
        console.log(`#   line ${i + 1}\n#   node:   ${JSON.stringify(w[i])}\n#   corral: ${JSON.stringify(g[i])}`);
        break;
      }
    }
  }
}
console.log(`1..${n}`);
console.log(`compat-sim: ${passed} passed, ${failed} failed`);
process.exit(strict && failed ? 1 : 0);
