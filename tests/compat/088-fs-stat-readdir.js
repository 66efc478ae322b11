const fs = require('fs');
const dir = '/tmp/corral-compat-st';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

fs.mkdirSync(dir + '/sub/deep', { recursive: true });
fs.writeFileSync(dir + '/sub/f1.txt', '12345');
fs.writeFileSync(dir + '/f0.txt', '');
const st = fs.statSync(dir + '/sub/f1.txt');
console.log(st.isFile(), st.isDirectory(), st.size, st.isSymbolicLink(), typeof st.mtimeMs, st.mtime instanceof Date);
console.log(fs.statSync(dir + '/sub').isDirectory(), fs.statSync(dir + '/nope', { throwIfNoEntry: false }));
console.log(fs.readdirSync(dir).sort(), fs.readdirSync(dir + '/sub').sort());
console.log(fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).map((d) => [d.name, d.isFile(), d.isDirectory()]));
console.log(fs.readdirSync(dir, { recursive: true }).sort());
fs.rmSync(dir, { recursive: true, force: true });
