#!/usr/bin/env node
// Builds the JavaScript that corral embeds in its binary. Each entry of
// ENTRIES below, a module in src/js/, is bundled with esbuild and wrapped as a
// script whose completion value is the module's exports object; the scripts
// are written as C string constants into one generated C file.
//
// Usage: node scripts/build-js.mjs OUTPUT.c SOURCE-ROOT [--emit-js DIR] [--depfile FILE]
//
//   --emit-js DIR   also write each wrapped script as DIR/NAME.js
//   --depfile FILE  also write a Makefile-style list of every input file
//
// The output file is only rewritten when its content changes. Any error ends
// the build with a message on stderr and exit status 1.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The embedded modules. `exports` lists the names each must export; the build
// checks them by running the wrapped script. `smoke` is an expression, run on
// the exports object `m` in a context that has only the ECMAScript built-ins,
// that must return true. `preludes` maps a file of a dependency to code put in
// front of it, inside the bundle, to stand in for a global the engine lacks.
const ENTRIES = [
  {
    name: 'tools',
    exports: ['rewriteTopLevelAwait', 'version'],
    smoke: `typeof m.version === 'string'
      && m.rewriteTopLevelAwait('let x = await 1; x') !== null
      && m.rewriteTopLevelAwait('x') === null`,
  },
  {
    name: 'inspect',
    exports: ['format', 'inspect', 'formatResult'],
    smoke: `m.format('%s=%d %o', 'a', 1, {b: [new Map([[1, new Set([2])]])]}) !== ''
      && m.inspect(new Error('e')) !== ''
      && m.inspect({href: 'x', [Symbol('s')]: new Date(0)}, {showHidden: true}) !== ''
      && m.formatResult('s') === "'s'"`,
    preludes: {
      // The extracted util.inspect reads the free variable URL to recognise
      // URL objects. An engine without URL gets a class that nothing is an
      // instance of.
      'node_modules/node-inspect-extracted/dist/inspect.js':
        "var URL=typeof globalThis.URL==='function'?globalThis.URL:class URL{};",
    },
  },
];

// Names that exist only in Node or in browsers. The smoke run turns each into
// a global that records any read of it, so that a bundle which uses one at
// run time fails the build.
const FOREIGN_GLOBALS = [
  'process', 'require', 'module', 'exports', 'global', 'Buffer', '__dirname',
  '__filename', 'setImmediate', 'window', 'document', 'self', 'navigator',
];

const BUILD_OPTIONS = {
  bundle: true,
  platform: 'neutral',
  format: 'cjs',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  charset: 'ascii',
  write: false,
  metafile: true,
  logLevel: 'silent',
};

class BuildError extends Error {}

function usage() {
  return 'usage: node scripts/build-js.mjs OUTPUT.c SOURCE-ROOT [--emit-js DIR] [--depfile FILE]';
}

function parseArgs(argv) {
  const args = { positional: [], emitJs: null, depfile: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--emit-js' || a === '--depfile') {
      if (i + 1 >= argv.length) throw new BuildError(`${a} needs a value\n${usage()}`);
      args[a === '--emit-js' ? 'emitJs' : 'depfile'] = argv[++i];
    } else if (a.startsWith('--')) {
      throw new BuildError(`unknown option ${a}\n${usage()}`);
    } else {
      args.positional.push(a);
    }
  }
  if (args.positional.length !== 2) throw new BuildError(usage());
  return args;
}

function loadEsbuild(root) {
  const req = createRequire(path.join(root, 'package.json'));
  try {
    return req('esbuild');
  } catch (e) {
    throw new BuildError(`cannot load esbuild from ${root}/node_modules (run scripts/deps.sh or npm ci): ${e.message}`);
  }
}

function formatMessages(messages) {
  return messages
    .map((m) => {
      const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : '';
      return `${where}${m.text}`;
    })
    .join('\n');
}

// An esbuild plugin that puts each prelude in front of the file it names.
function preludePlugin(root, preludes) {
  const byPath = new Map(Object.entries(preludes || {}).map(([p, code]) => [path.resolve(root, p), code]));
  return {
    name: 'corral-preludes',
    setup(build) {
      if (byPath.size === 0) return;
      build.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
        const code = byPath.get(path.resolve(args.path));
        if (code === undefined) return undefined;
        byPath.delete(path.resolve(args.path));
        return { contents: code + fs.readFileSync(args.path, 'utf8'), loader: 'js' };
      });
      build.onEnd(() => {
        if (byPath.size > 0) {
          return { errors: [...byPath.keys()].map((p) => ({ text: `prelude target was not bundled: ${p}` })) };
        }
        return undefined;
      });
    },
  };
}

// Fails when the bundle still loads a module at run time: the engine has no
// require() and no Node built-in modules.
function checkRequires(name, text) {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const re = /require\s*\(\s*(["'`])([^"'`]*)\1\s*\)/g;
  for (const m of text.matchAll(re)) {
    const what = builtins.has(m[2]) || m[2].startsWith('node:') ? 'the Node built-in module' : 'the module';
    throw new BuildError(`${name}: the bundle requires ${what} "${m[2]}" at run time, which the engine cannot provide`);
  }
}

function wrap(bundle) {
  return `(function(){var module={exports:{}},exports=module.exports;${bundle};return module.exports;})()`;
}

// Runs the wrapped script where only the ECMAScript built-ins exist, checks
// its exports and the entry's smoke expression, and fails on any read of a
// Node or browser global.
function smokeTest(entry, script) {
  const context = vm.createContext({});
  const reads = new Set();
  vm.runInContext('delete globalThis.console', context);
  for (const g of FOREIGN_GLOBALS) {
    Object.defineProperty(vm.runInContext('globalThis', context), g, {
      configurable: true,
      get() {
        reads.add(g);
        return undefined;
      },
    });
  }
  let m;
  try {
    m = vm.runInContext(script, context, { filename: `${entry.name}.js` });
  } catch (e) {
    throw new BuildError(`${entry.name}: the wrapped bundle throws when run: ${e && e.stack}`);
  }
  if (m === null || typeof m !== 'object') {
    throw new BuildError(`${entry.name}: the wrapped bundle's completion value is not an object`);
  }
  const missing = entry.exports.filter((n) => !(n in m));
  if (missing.length > 0) throw new BuildError(`${entry.name}: missing exports: ${missing.join(', ')}`);
  context.m = m;
  let ok;
  try {
    ok = vm.runInContext(entry.smoke, context);
  } catch (e) {
    throw new BuildError(`${entry.name}: the smoke test throws: ${e && e.stack}`);
  }
  if (ok !== true) throw new BuildError(`${entry.name}: the smoke test returned ${String(ok)}`);
  if (reads.size > 0) {
    throw new BuildError(`${entry.name}: the bundle reads ${[...reads].join(', ')} at run time, which the engine does not have`);
  }
}

// Encodes bytes as the lines of a C string literal. Printable ASCII stays as
// it is except for the backslash, the double quote and the question mark
// (which could start a trigraph); everything else becomes a three-digit octal
// escape, which cannot run into a following digit the way a hex escape can.
function cStringLines(bytes, width = 100) {
  const lines = [];
  let line = '';
  for (const b of bytes) {
    let piece;
    if (b === 0x5c) piece = '\\\\';
    else if (b === 0x22) piece = '\\"';
    else if (b === 0x3f) piece = '\\?';
    else if (b === 0x0a) piece = '\\n';
    else if (b === 0x09) piece = '\\t';
    else if (b >= 0x20 && b < 0x7f) piece = String.fromCharCode(b);
    else piece = '\\' + b.toString(8).padStart(3, '0');
    line += piece;
    if (line.length >= width) {
      lines.push(line);
      line = '';
    }
  }
  if (line.length > 0 || lines.length === 0) lines.push(line);
  return lines.map((l) => `"${l}"`);
}

function cSource(scripts) {
  const parts = [
    '/* Generated by scripts/build-js.mjs from src/js/: do not edit. */',
    '/* Each corral_js_NAME is a script whose completion value is the exports object',
    '   of src/js/NAME.js; corral_js_NAME_len is its length in bytes, without the',
    '   terminating NUL. */',
    '',
  ];
  for (const { name, bytes } of scripts) {
    parts.push(`const char corral_js_${name}[] =`);
    const lines = cStringLines(bytes);
    lines[lines.length - 1] += ';';
    for (const l of lines) parts.push(`    ${l}`);
    parts.push(`const unsigned long corral_js_${name}_len = ${bytes.length};`, '');
  }
  return parts.join('\n');
}

function writeIfChanged(file, content) {
  let old = null;
  try {
    old = fs.readFileSync(file);
  } catch {
    old = null;
  }
  const data = Buffer.from(content);
  if (old !== null && old.equals(data)) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function depfileText(target, inputs) {
  const esc = (p) => p.replace(/([ #$\\])/g, '\\$1');
  return `${esc(target)}: ${inputs.map(esc).join(' \\\n  ')}\n`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [output, rootArg] = args.positional;
  const root = path.resolve(rootArg);
  const esbuild = loadEsbuild(root);
  const scripts = [];
  const inputs = new Set([fileURLToPath(import.meta.url)]);

  for (const entry of ENTRIES) {
    const file = path.join(root, 'src', 'js', `${entry.name}.js`);
    if (!fs.existsSync(file)) throw new BuildError(`${entry.name}: no such file: ${file}`);
    let result;
    try {
      result = await esbuild.build({
        ...BUILD_OPTIONS,
        entryPoints: [file],
        absWorkingDir: root,
        plugins: [preludePlugin(root, entry.preludes)],
      });
    } catch (e) {
      const detail = e && Array.isArray(e.errors) ? formatMessages(e.errors) : String(e && e.stack);
      throw new BuildError(`${entry.name}: esbuild failed:\n${detail}`);
    }
    if (result.warnings.length > 0) {
      process.stderr.write(`build-js: ${entry.name}: esbuild warnings:\n${formatMessages(result.warnings)}\n`);
    }
    if (result.outputFiles.length !== 1) {
      throw new BuildError(`${entry.name}: esbuild produced ${result.outputFiles.length} files, expected 1`);
    }
    for (const input of Object.keys(result.metafile.inputs)) inputs.add(path.resolve(root, input));

    const bundle = result.outputFiles[0].text.trimEnd();
    checkRequires(entry.name, bundle);
    const script = wrap(bundle);
    smokeTest(entry, script);
    scripts.push({ name: entry.name, script, bytes: Buffer.from(script, 'utf8') });
  }

  writeIfChanged(output, cSource(scripts));
  if (args.emitJs !== null) {
    fs.mkdirSync(args.emitJs, { recursive: true });
    for (const { name, script } of scripts) writeIfChanged(path.join(args.emitJs, `${name}.js`), script);
  }
  if (args.depfile !== null) writeIfChanged(args.depfile, depfileText(output, [...inputs].sort()));
}

main().catch((e) => {
  const msg = e instanceof BuildError ? e.message : (e && e.stack) || String(e);
  process.stderr.write(`build-js: error: ${msg}\n`);
  process.exit(1);
});
