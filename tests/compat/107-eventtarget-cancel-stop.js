const t = new EventTarget();
t.addEventListener('x', (e) => { e.preventDefault(); e.stopImmediatePropagation(); });
t.addEventListener('x', () => console.log('not reached'));
const ev = new Event('x', { cancelable: true });
console.log(t.dispatchEvent(ev), ev.defaultPrevented, ev.cancelable, ev.bubbles, ev.type);
const nc = new Event('y'); nc.preventDefault(); console.log(nc.defaultPrevented);
t.addEventListener('p', (e) => { e.preventDefault(); }, { passive: true });
const pe = new Event('p', { cancelable: true }); t.dispatchEvent(pe); console.log('passive', pe.defaultPrevented);
console.log(Event.NONE, Event.AT_TARGET, new Event('z').eventPhase, typeof new Event('z').timeStamp);
