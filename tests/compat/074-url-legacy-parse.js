const url = require('url');
console.log(url.parse('http://user:pw@Host.com:8080/p/a/t/h?query=string&a=1#hash', true));
console.log(url.parse('/just/a/path?x=1').pathname, url.parse('//h/p', false, true).host, url.resolve('http://a/b/c', '../d'), url.resolve('/one/two', 'three'));
console.log(url.format({ protocol: 'https', hostname: 'x.com', pathname: '/a', query: { b: 1, c: [2, 3] } }));
console.log(url.format(new URL('http://u:p@h/x?y#z'), { auth: false, fragment: false }), url.format('http://a.com/b'));
