const fs = require('fs');
const dir = '/tmp/corral-compat-rs';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

fs.writeFileSync(dir + '/big.txt', 'abc'.repeat(10));
const chunks = [];
fs.createReadStream(dir + '/big.txt', { encoding: 'utf8', highWaterMark: 8 })
  .on('data', (c) => chunks.push(c))
  .on('end', () => {
    console.log(chunks.length, chunks.join('').length);
    const ws = fs.createWriteStream(dir + '/out.txt');
    ws.write('one ');
    ws.end('two', () => { console.log(fs.readFileSync(dir + '/out.txt', 'utf8')); fs.rmSync(dir, { recursive: true, force: true }); });
  });
