const fs = require('fs');
const dir = '/tmp/corral-compat-mk';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

console.log(fs.mkdirSync(dir + '/a/b/c', { recursive: true }) === dir + '/a', fs.mkdirSync(dir + '/a/b', { recursive: true }));
fs.writeFileSync(dir + '/a/b/c/f.txt', 'x');
fs.renameSync(dir + '/a/b/c/f.txt', dir + '/a/g.txt');
console.log(fs.existsSync(dir + '/a/b/c/f.txt'), fs.readFileSync(dir + '/a/g.txt', 'utf8'));
fs.copyFileSync(dir + '/a/g.txt', dir + '/a/h.txt');
try { fs.copyFileSync(dir + '/a/g.txt', dir + '/a/h.txt', fs.constants.COPYFILE_EXCL); } catch (e) { console.log(e.code); }
try { fs.rmdirSync(dir + '/a'); } catch (e) { console.log(e.code); }
fs.rmSync(dir + '/a', { recursive: true });
console.log(fs.existsSync(dir + '/a'), fs.readdirSync(dir));
fs.rmSync(dir + '/nothing', { force: true });
fs.writeFileSync(dir + '/u', '1'); fs.unlinkSync(dir + '/u'); console.log(fs.existsSync(dir + '/u'));
fs.rmSync(dir, { recursive: true, force: true });
