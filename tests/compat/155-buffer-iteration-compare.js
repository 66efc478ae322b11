const b = Buffer.from([3, 1, 2]);
console.log([...b.keys()], [...b.values()], [...b.entries()], b.sort ? Buffer.from(b).sort() : null);
console.log(Buffer.from('abc').compare(Buffer.from('abd')), Buffer.from('b').compare(Buffer.from('a')), Buffer.compare(Buffer.from([1]), Buffer.from([1])));
console.log(b.map((x) => x * 2), b.filter((x) => x > 1), b.at(-1), b.join('-'));
