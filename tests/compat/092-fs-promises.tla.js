const fs = require('fs');
const dir = '/tmp/corral-compat-pr';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

const fsp = require('fs/promises');
await fsp.writeFile(dir + '/p.txt', 'promised');
console.log(await fsp.readFile(dir + '/p.txt', 'utf8'), (await fsp.stat(dir + '/p.txt')).size);
await fsp.appendFile(dir + '/p.txt', '!');
await fsp.mkdir(dir + '/d/e', { recursive: true });
console.log((await fsp.readdir(dir)).sort(), await fsp.readFile(dir + '/p.txt', { encoding: 'utf8' }));
try { await fsp.readFile(dir + '/none'); } catch (e) { console.log(e.code, e.syscall); }
await fsp.rm(dir + '/d', { recursive: true });
try { await fsp.access(dir + '/d'); } catch (e) { console.log('gone', e.code); }
console.log(fs.promises === fsp, require('node:fs/promises') === fsp);
const fh = await fsp.open(dir + '/p.txt', 'r'); console.log((await fh.readFile('utf8')).length); await fh.close();
fs.rmSync(dir, { recursive: true, force: true });
