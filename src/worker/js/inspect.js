// Node-style value formatting for corral's console and REPL output: Node's own
// util.format and util.inspect, as extracted by node-inspect-extracted, with
// the defaults that Node 20's console.log uses when it writes without colors.
// scripts/build-js.mjs bundles this file into a script whose completion value
// is this module's exports object.
//
// The bundle runs with nothing but the ECMAScript built-ins. The extracted
// code reads `process` only to colour stack frames, and only inside a
// try/catch. It also reads the global URL, which scripts/build-js.mjs gives a
// stand-in inside the bundle when the engine has none. A Promise always shows
// as pending and a Proxy as its target, because those details need engine
// internals. Errors print with V8's stack form (runtime/stack.js), which
// the extracted code reads through an edit that scripts/build-js.mjs makes.

import { inspect as nodeInspect, formatWithOptions } from 'node-inspect-extracted';
import stackTrace from './runtime/stack.js';

// Node 20's console.log formats with no inspect options of its own when its
// stream has no colours, so every default applies.
const CONSOLE_OPTIONS = Object.freeze({});

export function format(...args) {
  return formatWithOptions(CONSOLE_OPTIONS, ...args);
}

// The extracted util.inspect itself, so that `inspect.custom` and
// `inspect.defaultOptions` are there as in Node.
export const inspect = nodeInspect;

// Formats a value for REPL-like display of a script's result.
export function formatResult(value) {
  return nodeInspect(value);
}

// An error's stack as V8 writes it (the `stack` of an execution's error).
export function errorStack(err) {
  return stackTrace.inspectStack(err);
}

// fn(url): the source text a stack frame's URL was evaluated from, or null;
// frames' columns are moved to V8's with it (runtime/stack.js).
export function setSource(fn) {
  stackTrace.setSource(fn);
}
