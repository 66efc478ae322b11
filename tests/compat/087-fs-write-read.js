const fs = require('fs');
const dir = '/tmp/corral-compat-wr';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

fs.writeFileSync(dir + '/a.txt', 'héllo');
console.log(fs.readFileSync(dir + '/a.txt', 'utf8'), fs.readFileSync(dir + '/a.txt'), fs.readFileSync(dir + '/a.txt', { encoding: 'base64' }));
fs.appendFileSync(dir + '/a.txt', ' world');
console.log(fs.readFileSync(dir + '/a.txt').toString(), fs.existsSync(dir + '/a.txt'), fs.existsSync(dir + '/nope'));
fs.writeFileSync(dir + '/b.bin', new Uint8Array([1, 2, 3]));
console.log(fs.readFileSync(dir + '/b.bin').length, fs.readFileSync(dir + '/b.bin', 'hex'));
fs.writeFileSync(dir + '/c.json', JSON.stringify({ k: [1, 2] }));
console.log(JSON.parse(fs.readFileSync(dir + '/c.json', 'utf8')).k);
fs.rmSync(dir, { recursive: true, force: true });
