const fs = require('fs');
const dir = '/tmp/corral-compat-cb';
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir);

fs.writeFile(dir + '/x.txt', 'cb data', (err) => {
  console.log('written', err);
  fs.readFile(dir + '/x.txt', 'utf8', (err2, data) => {
    console.log('read', err2, data);
    fs.stat(dir + '/x.txt', (err3, st) => {
      console.log('stat', err3, st.size);
      fs.readFile(dir + '/none', (err4) => {
        console.log('missing', err4.code);
        fs.readdir(dir, (err5, list) => { console.log('dir', list); fs.rmSync(dir, { recursive: true, force: true }); });
      });
    });
  });
});
