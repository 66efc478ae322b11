const u = new URL('http://example.com/a');
u.pathname = '/b c'; u.search = 'x=1 2'; u.hash = 'frag'; u.port = '8080'; u.hostname = 'other.org'; u.protocol = 'https';
console.log(u.href);
u.port = '443'; console.log(u.href, u.port === '');
u.username = 'me'; u.password = 'p@ss'; console.log(u.href);
u.host = 'h:1'; console.log(u.host);
