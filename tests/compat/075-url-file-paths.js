const { fileURLToPath, pathToFileURL, urlToHttpOptions } = require('url');
console.log(fileURLToPath('file:///a%20b/c.txt'), fileURLToPath(new URL('file:///x/y')), pathToFileURL('/tmp/a b#c?d%e').href);
try { fileURLToPath('http://x/y'); } catch (e) { console.log(e.code); }
try { fileURLToPath('file://host/y'); } catch (e) { console.log(e.code); }
console.log(urlToHttpOptions(new URL('http://a:b@[::1]:8/p?q#h')));
