const { EventEmitter } = require('events');
const e = new EventEmitter();
try { e.emit('error', new Error('unhandled')); } catch (err) { console.log('thrown:', err.message); }
e.on('error', (err) => console.log('handled:', err.message));
e.emit('error', new Error('with handler'));
console.log(EventEmitter.defaultMaxListeners, e.getMaxListeners(), e.setMaxListeners(1) === e);
