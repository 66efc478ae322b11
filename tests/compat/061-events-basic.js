const EventEmitter = require('events');
const e = new EventEmitter();
e.on('x', (a, b) => console.log('x1', a, b));
e.prependListener('x', () => console.log('x0'));
e.once('x', () => console.log('once'));
console.log(e.emit('x', 1, 2), e.emit('x', 3), e.emit('none'), e.listenerCount('x'), e.eventNames());
e.off('x', e.listeners('x')[0]); console.log(e.listenerCount('x'));
e.removeAllListeners(); console.log(e.eventNames());
