const fs = require('fs');
const dir = '/tmp/corral-compat-ac';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

fs.writeFileSync(dir + '/f', 'x');
fs.accessSync(dir + '/f', fs.constants.R_OK);
console.log('readable', fs.constants.F_OK, fs.constants.R_OK, fs.constants.W_OK, fs.constants.X_OK, fs.F_OK);
try { fs.accessSync(dir + '/nope'); } catch (e) { console.log(e.code, e.syscall); }
fs.access(dir + '/f', (err) => console.log('cb access', err));
fs.exists(dir + '/f', (ok) => { console.log('exists', ok); fs.rmSync(dir, { recursive: true, force: true }); });
console.log(fs.realpathSync(dir + '/f') === dir + '/f', typeof fs.Stats, typeof fs.createReadStream);
