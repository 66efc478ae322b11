const path = require('path');
console.log(path.join('/a/b', '../c', './d'), path.join('a', '', 'b/'), path.join(''), path.join('/', '..', 'x'));
console.log(path.normalize('/a//b/../c/.'), path.normalize('./x/../..'), path.normalize(''), path.normalize('a/b/'));
