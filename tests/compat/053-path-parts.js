const path = require('path');
console.log(path.dirname('/a/b/c.txt'), path.basename('/a/b/c.txt'), path.basename('/a/b/c.txt', '.txt'), path.extname('x.tar.gz'), path.extname('.bashrc'), path.extname('a.'));
console.log(path.parse('/home/u/file.txt'), path.format({ dir: '/x', name: 'y', ext: '.z' }), path.format({ root: '/', base: 'b' }));
