const { performance: p } = require('perf_hooks');
console.log(p === performance, typeof require('tty').isatty, require('tty').isatty(1) === false || require('tty').isatty(1) === true);
const { setTimeout: st } = require('timers'); console.log(st === setTimeout, typeof require('console').log);
console.log(require('punycode').encode('mañana'), require('punycode').toASCII('mañana.com'));
