const t = new EventTarget();
t.addEventListener('data', (e) => console.log(e.detail, e instanceof Event, e instanceof CustomEvent));
t.dispatchEvent(new CustomEvent('data', { detail: { n: 1 } }));
console.log(new CustomEvent('q').detail);
class MyEvent extends Event { constructor() { super('mine'); this.extra = 42; } }
t.addEventListener('mine', (e) => console.log(e.extra, e.type));
t.dispatchEvent(new MyEvent());
