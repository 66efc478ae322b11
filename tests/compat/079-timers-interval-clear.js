let n = 0;
const id = setInterval(() => {
  n++;
  if (n === 3) { clearInterval(id); console.log('cleared at', n); }
}, 2);
const t = setTimeout(() => console.log('never'), 5);
clearTimeout(t);
const imm = setImmediate(() => console.log('never immediate'));
clearImmediate(imm);
setTimeout((a, b) => console.log('args', a, b), 20, 'x', 'y');
setImmediate((a) => console.log('immediate arg', a), 'z');
