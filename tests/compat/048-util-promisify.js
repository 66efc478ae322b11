const util = require('util');
function legacy(a, b, cb) { setTimeout(() => (a < 0 ? cb(new Error('neg')) : cb(null, a + b)), 1); }
const p = util.promisify(legacy);
p(1, 2).then((v) => console.log('ok', v));
p(-1, 2).catch((e) => console.log('err', e.message));
function custom() {}
custom[util.promisify.custom] = () => Promise.resolve('custom!');
util.promisify(custom)().then((v) => console.log(v));
console.log(util.promisify.custom === Symbol.for('nodejs.util.promisify.custom'));
const sleep = util.promisify(setTimeout); sleep(2, 'slept').then((v) => console.log(v));
