const fs = require('fs');
const dir = '/tmp/corral-compat-fd';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

const fd = fs.openSync(dir + '/fd.txt', 'w');
fs.writeSync(fd, 'line1\n');
fs.writeSync(fd, Buffer.from('line2\n'));
fs.closeSync(fd);
const rfd = fs.openSync(dir + '/fd.txt', 'r');
const buf = Buffer.alloc(5);
console.log(fs.readSync(rfd, buf, 0, 5, 0), buf.toString(), fs.fstatSync(rfd).size);
fs.closeSync(rfd);
try { fs.closeSync(rfd); } catch (e) { console.log(e.code); }
console.log(fs.readFileSync(dir + '/fd.txt', 'utf8'));
fs.rmSync(dir, { recursive: true, force: true });
