let n = 0;
const id = setInterval(() => {
  n++;
  if (n === 3) { clearInterval(id); console.log('cleared at', n); }
}, 2);
const t = setTimeout(() => console.log('never'), 5);
clearTimeout(t);
const imm = setImmediate(() => console.log('never immediate'));
clearImmediate(imm);
setTimeout((a, b) => console.log('args', a, b), 200, 'x', 'y'); // far enough past the interval's 3 ticks on a loaded box
setImmediate((a) => console.log('immediate arg', a), 'z');
