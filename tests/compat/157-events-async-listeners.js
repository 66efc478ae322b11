const EventEmitter = require('events');
const e = new EventEmitter();
const order = [];
e.on('go', async () => { order.push('async start'); await null; order.push('async end'); });
e.on('go', () => order.push('sync'));
e.emit('go');
order.push('after emit');
setTimeout(() => console.log(order.join(' | ')), 5);
