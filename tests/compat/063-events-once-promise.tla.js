const { once, EventEmitter } = require('events');
const e = new EventEmitter();
setTimeout(() => e.emit('ready', 'a', 'b'), 5);
console.log(await once(e, 'ready'));
class Sub extends EventEmitter { fire() { this.emit('fired', this.constructor.name); } }
const s = new Sub(); s.on('fired', (n) => console.log('fired by', n)); s.fire();
const sym = Symbol('ev'); e.on(sym, () => console.log('symbol event')); e.emit(sym);
