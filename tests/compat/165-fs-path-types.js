const fs = require('fs');
const dir = '/tmp/corral-compat-types';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);
fs.writeFileSync(new URL('file://' + dir + '/u.txt'), 'via URL');
console.log(fs.readFileSync(Buffer.from(dir + '/u.txt'), 'utf8'), fs.existsSync(new URL('file://' + dir + '/u.txt')));
try { fs.readFileSync(new URL('http://x/y')); } catch (e) { console.log(e.code); }
try { fs.readFileSync(dir + '/\0bad'); } catch (e) { console.log(e.code); }
console.log(fs.existsSync(), fs.existsSync(123));
fs.rmSync(dir, { recursive: true, force: true });
