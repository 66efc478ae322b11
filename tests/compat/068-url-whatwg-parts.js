const u = new URL('https://user:pa%20ss@Example.COM:8080/p/a/t/h?query=string&a=1#hash');
console.log(u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin);
console.log(u.href, String(u), JSON.stringify({ u }), u.toJSON());
console.log(new URL('HTTP://EXAMPLE.com:80/./a/../b').href, new URL('file:///C:/x/../y').href, new URL('http://[::1]:3000/').host);
