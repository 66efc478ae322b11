const fs = require('fs');
const dir = '/tmp/corral-compat-cyc';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);
fs.writeFileSync(dir + '/a.js', "exports.loaded = false; const b = require('./b'); exports.fromB = b.seenA; exports.loaded = true;");
fs.writeFileSync(dir + '/b.js', "const a = require('./a'); exports.seenA = JSON.stringify(a);");
const a = require(dir + '/a.js');
console.log(a, require(dir + '/b.js'));
fs.rmSync(dir, { recursive: true, force: true });
