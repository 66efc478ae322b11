const m = '2024-01-15'.match(/(?<y>\d{4})-(?<m>\d{2})-(?<d>\d{2})/);
console.log(m.groups.y, m.groups.m, m.groups.d);
console.log('price: $30, $45'.match(/(?<=\$)\d+/g));
console.log([...'a1b2c3'.matchAll(/[a-z](\d)/g)].map((x) => x[1]).join(''));
console.log('aBc'.replace(/b/i, (x) => x.toUpperCase() + '!'), /\p{L}+/u.test('héllo'), 'x'.replace(/x/, '$&$&'));
const re = /o/g; console.log(re.test('foo'), re.lastIndex, re.flags, /a/s.dotAll);
console.log('one two  three'.split(/\s+/), 'a-b_c'.split(/[-_]/));
