const os = require('os');
console.log(JSON.stringify(os.EOL), os.platform(), typeof os.arch(), typeof os.cpus().length, typeof os.tmpdir(), typeof os.hostname(), os.endianness());
console.log(typeof os.totalmem(), typeof os.homedir(), Array.isArray(os.loadavg()), typeof os.networkInterfaces(), typeof os.constants.signals.SIGTERM);
