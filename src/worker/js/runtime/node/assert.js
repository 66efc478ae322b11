// assert and assert/strict: npm assert (a port of Node's assert), whose
// messages show values through Node's own util.inspect here (build-js.mjs
// points its "util/" at ./util.js).

'use strict';

const npm = require('assert/');

// Node marks the message of assert(falsy) / assert.ok(falsy) as generated
// (it quotes the expression from the source); npm assert does not.
function generated(fn, name) {
  return {
    [name](...args) {
      try {
        return fn(...args);
      } catch (e) {
        if (e && e.code === 'ERR_ASSERTION' && args.length > 0 && args[1] == null) e.generatedMessage = true;
        throw e;
      }
    },
  }[name];
}

function wrap(base, name) {
  const f = generated(base, name);
  for (const k of Object.keys(base)) f[k] = base[k];
  f.ok = generated(base.ok, 'ok');
  return f;
}

const assert = wrap(npm, 'ok');
const strict = wrap(npm.strict, 'strict');
assert.strict = strict;
strict.strict = strict;

module.exports = assert;
