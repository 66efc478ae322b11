const a = [5, 1, 4, [2, [3]]];
console.log(a.flat(), a.flat(Infinity), a.at(-2), [1, 2, 3].findLast((x) => x < 3), [1, 2, 3].findLastIndex((x) => x > 5));
console.log([1, 2, 3].flatMap((x) => [x, x * 2]), Array.from({ length: 3 }, (_, i) => i * i), Array.of(7, 8));
console.log([3, 1, 2].sort(), [10, 9, 1].sort(), [10, 9, 1].sort((x, y) => x - y), [1, 2, 3].includes(2));
console.log([1, 2, 3, 4].reduce((s, x) => s + x, 0), [1, 2, 3].reduceRight((s, x) => s + x, ''), [].concat(1, [2], [[3]]));
console.log([1, 2, 3].fill(0, 1), [1, 2, 3, 4, 5].copyWithin(0, 3), [..."hello"].reverse().join(''));
const people = [{ n: 'b', a: 2 }, { n: 'a', a: 2 }, { n: 'c', a: 1 }];
console.log(people.sort((x, y) => x.a - y.a).map((p) => p.n).join(''));
