const qs = require('querystring');
console.log(qs.parse('a[]=1&a[]=2&b=&=c&d'), qs.stringify({ n: 1.5, inf: Infinity, arr: [], nested: { x: 1 } }));
console.log(qs.parse('a=1&a=2&a=3', null, null, { maxKeys: 2 }), qs.parse('x=%E2%82%AC'));
