const path = require('path');
console.log(path.resolve('/a/b', './c', '../d'), path.resolve('/x', '/y', 'z'), path.relative('/a/b/c', '/a/d'), path.relative('/a', '/a'));
console.log(path.isAbsolute('/x'), path.isAbsolute('x'), path.sep, path.delimiter, path.posix === path, path.posix.join('a', 'b'));
console.log(require('node:path') === path, require('path/posix') === path.posix);
