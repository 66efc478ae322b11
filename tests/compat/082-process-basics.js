console.log(typeof process, process.platform, typeof process.version, process.version.startsWith('v'), typeof process.versions.node);
console.log(typeof process.env, Array.isArray(process.argv), typeof process.nextTick, typeof process.hrtime, typeof process.exit);
console.log(Object.prototype.toString.call(process), process === require('process'), process === require('node:process'), typeof process.cwd());
const mu = process.memoryUsage(); console.log(Object.keys(mu).sort().join(','), typeof process.uptime());
