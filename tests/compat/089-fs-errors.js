const fs = require('fs');
const dir = '/tmp/corral-compat-err';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

for (const fn of [() => fs.readFileSync(dir + '/missing.txt'), () => fs.readdirSync(dir + '/missing'), () => fs.statSync(dir + '/x'),
  () => fs.readFileSync(dir), () => fs.mkdirSync(dir), () => fs.rmdirSync(dir + '/none'), () => fs.unlinkSync(dir + '/none')]) {
  try { fn(); } catch (e) { console.log(e.code, e.errno, e.syscall, e.message.replace(dir, 'DIR')); }
}
try { fs.readFileSync(123456); } catch (e) { console.log(e.code); }
try { fs.readFileSync({}); } catch (e) { console.log(e.code, e.name); }
fs.rmSync(dir, { recursive: true, force: true });
