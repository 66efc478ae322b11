const a = AbortSignal.abort();
console.log(a.aborted, a.reason.name);
const b = AbortSignal.abort('why'); console.log(b.reason);
const t = AbortSignal.timeout(10);
// Node's timeout timer does not keep the process alive; this one does.
await new Promise((r) => setTimeout(r, 40));
console.log(t.aborted, t.reason.name, t.reason.message);
const c1 = new AbortController(); const c2 = new AbortController();
const any = AbortSignal.any([c1.signal, c2.signal]);
c2.abort('second'); console.log(any.aborted, any.reason);
try { new AbortSignal(); } catch (e) { console.log(e.name); }
