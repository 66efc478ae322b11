console.log(new URL('http://münchen.de/').hostname, new URL('http://xn--mnchen-3ya.de/').hostname, new URL('http://EXAMPLE.com./').hostname);
console.log(new URL('http://0x7f.1/').hostname, new URL('http://192.168.0.1:80/').host, new URL('http://[2001:db8::0:1]/').hostname);
const url = require('url'); console.log(url.domainToASCII('español.com'), url.domainToUnicode('xn--espaol-zwa.com'));
