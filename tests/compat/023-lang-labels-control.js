outer: for (let i = 0; i < 3; i++) {
  for (let j = 0; j < 3; j++) {
    if (j === 1) continue outer;
    if (i === 2) break outer;
    console.log(i, j);
  }
}
function tf() { try { return 'try'; } finally { console.log('finally runs'); } }
console.log(tf());
switch (3) { case 1: console.log('one'); case 3: console.log('three'); case 4: console.log('four'); break; default: console.log('def'); }
let k = 0; do { k++; } while (k < 5); console.log(k);
