const p = new URLSearchParams('a=1&b=2&a=3&c=x%20y+z');
console.log(p.get('a'), p.getAll('a'), p.has('b'), p.get('c'), p.get('none'), p.size);
p.append('d', 'é&='); p.delete('b'); p.set('a', 'only'); p.sort();
console.log(p.toString(), [...p.keys()], [...p.values()], [...p]);
console.log(new URLSearchParams({ x: 1, y: [2, 3] }).toString(), new URLSearchParams([['k', 'v'], ['k', 'w']]).toString());
const u = new URL('http://h/?q=1'); u.searchParams.append('r', '2'); console.log(u.href, u.search);
p.forEach((v, k) => console.log(k, '=', v));
