const names = ['assert', 'buffer', 'events', 'fs', 'path', 'querystring', 'string_decoder', 'timers', 'url', 'util', 'crypto', 'os', 'stream'];
console.log(names.map((n) => typeof require(n)).join(','));
console.log(names.every((n) => require('node:' + n) === require(n)));
console.log(require('util').inspect === require('node:util').inspect, require('module').builtinModules.includes('fs'), require('module').isBuiltin('node:path'));
try { require('node:nope'); } catch (e) { console.log(e.code); }
