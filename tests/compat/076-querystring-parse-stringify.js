const qs = require('querystring');
console.log(qs.parse('a=1&b=%zz&a=2&c&d=x+y'), qs.parse('x:1;y:2', ';', ':'), qs.parse(''));
console.log(qs.stringify({ a: [1, 2], b: 'x y', c: true, d: null, e: undefined, f: 'é' }), qs.stringify({ w: 1, z: 2 }, ';', ':'));
console.log(qs.escape('a b&c/é'), qs.unescape('a%20b%zz'), qs.decode === qs.parse, qs.parse('a=%E9'));
