const ac = new AbortController();
const s = ac.signal;
s.addEventListener('abort', (e) => console.log('abort event', e.type, s.aborted));
s.onabort = () => console.log('onabort');
console.log(s.aborted, s.reason);
ac.abort();
console.log(s.aborted, s.reason.name, s.reason.message, s.reason instanceof DOMException);
ac.abort('again');
console.log(s.reason.name);
const ac2 = new AbortController(); ac2.abort(new Error('custom reason')); console.log(ac2.signal.reason.message);
try { ac2.signal.throwIfAborted(); } catch (e) { console.log('thrown', e.message); }
