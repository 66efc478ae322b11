const util = require('util');
console.log(util.inspect(new Map([[1, { a: [1, 2] }]])));
