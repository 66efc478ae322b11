const EventEmitter = require('node:events');
const e = new EventEmitter();
e.on('a', function () { console.log(this === e); });
e.on('a', () => console.log(typeof this));
e.emit('a');
e.on('newListener', (ev) => console.log('adding', ev));
e.on('b', () => {});
console.log(e.rawListeners('b').length, EventEmitter.listenerCount(e, 'b'));
