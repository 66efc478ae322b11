// path: POSIX only (path-browserify, a copy of Node's own posix code); the
// working directory is "/" (build-js.mjs gives path-browserify a `process`
// whose cwd() is "/"). path.win32 is null.

'use strict';

const path = require('path-browserify');

// Node 19 and later put the dot between `name` and an `ext` given without
// one; path-browserify (Node 10's code) does not.
const origFormat = path.format;
path.format = function format(pathObject) {
  if (pathObject === null || typeof pathObject !== 'object') return origFormat(pathObject);
  const dir = pathObject.dir || pathObject.root;
  const ext = pathObject.ext ? (pathObject.ext[0] === '.' ? '' : '.') + pathObject.ext : '';
  const base = pathObject.base || `${pathObject.name || ''}${ext}`;
  if (!dir) return base;
  return dir === pathObject.root ? `${dir}${base}` : `${dir}/${base}`;
};

if (!path.posix) path.posix = path;
if (!path.toNamespacedPath) path.toNamespacedPath = (p) => p;
module.exports = path;
