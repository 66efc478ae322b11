const fs = require('fs');
const { createRequire } = require('module');
const dir = '/tmp/corral-compat-pkg';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir + '/node_modules/alpha/lib', { recursive: true });
fs.mkdirSync(dir + '/node_modules/beta', { recursive: true });
fs.mkdirSync(dir + '/node_modules/@scope/gamma', { recursive: true });
fs.mkdirSync(dir + '/src/deep', { recursive: true });
fs.writeFileSync(dir + '/node_modules/alpha/package.json', JSON.stringify({ name: 'alpha', main: 'lib/entry.js' }));
fs.writeFileSync(dir + '/node_modules/alpha/lib/entry.js', "module.exports = 'alpha main';");
fs.writeFileSync(dir + '/node_modules/beta/index.js', "module.exports = 'beta index';");
fs.writeFileSync(dir + '/node_modules/@scope/gamma/package.json', JSON.stringify({ name: '@scope/gamma', exports: { '.': { require: './cjs.js', import: './esm.mjs' }, './extra': './extra.js' } }));
fs.writeFileSync(dir + '/node_modules/@scope/gamma/cjs.js', "module.exports = 'gamma cjs';");
fs.writeFileSync(dir + '/node_modules/@scope/gamma/extra.js', "module.exports = 'gamma extra';");
const req = createRequire(dir + '/src/deep/file.js');
console.log(req('alpha'), req('beta'), req('@scope/gamma'), req('@scope/gamma/extra'));
try { req('@scope/gamma/hidden'); } catch (e) { console.log(e.code); }
console.log(req.resolve('beta') === dir + '/node_modules/beta/index.js');
fs.rmSync(dir, { recursive: true, force: true });
