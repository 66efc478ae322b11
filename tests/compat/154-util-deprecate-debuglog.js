const util = require('util');
const old = util.deprecate(() => 'result', 'old() is deprecated', 'DEP0999');
console.log(old(), old());
const debug = util.debuglog('corraltest');
debug('not printed unless NODE_DEBUG');
console.log(typeof debug, debug.enabled === undefined || debug.enabled === false);
