// path: POSIX only (path-browserify, a copy of Node's own posix code); the
// working directory is "/" (build-js.mjs gives path-browserify a `process`
// whose cwd() is "/"). path.win32 is null.

'use strict';

const path = require('path-browserify');

if (!path.posix) path.posix = path;
if (!path.toNamespacedPath) path.toNamespacedPath = (p) => p;
module.exports = path;
