const id = setTimeout(function (a) { console.log('arg', a); }, 1, 'A');
console.log(typeof id === 'object' || typeof id === 'number');
let ticks = 0;
const iv = setInterval(() => { if (++ticks >= 2) { clearInterval(iv); console.log('interval ran twice'); } }, 1);
setTimeout(() => console.log('zero'), 0);
setTimeout(() => console.log('negative delay behaves as 1'), -5);
