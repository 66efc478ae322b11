console.log({ alpha: 'aaaaaaaaaaaaaaa', beta: 'bbbbbbbbbbbbbbbbbb', gamma: 'ccccccccccccccccccc', delta: 'dddddddddddd' });
console.log(Array.from({ length: 30 }, (_, i) => i * 1000));
console.log(Array.from({ length: 8 }, (_, i) => 'item number ' + i));
console.log('a'.repeat(120));
console.log(['a'.repeat(20000)].map((s) => s.length));
