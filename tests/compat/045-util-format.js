const util = require('util');
console.log(util.format('%s:%s', 'a'));
console.log(util.format('%d + %d = %d', 1, 2, 3, 'extra'));
console.log(util.format('%i %f', '42.9abc', '3.5'), util.format('%%s', 1), util.format(1, 2, '3'));
console.log(util.format('%o', 'str'), util.format('%j', { a: [1] }), util.format('%s', [1, [2]]), util.format('%s', null));
const circ = {}; circ.c = circ; console.log(util.format('%j', circ));
