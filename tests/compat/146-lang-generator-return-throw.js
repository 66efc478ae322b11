function* g() { try { yield 1; yield 2; } finally { console.log('cleanup'); } }
const it = g(); console.log(it.next()); console.log(it.return(9)); console.log(it.next());
const it2 = g(); it2.next(); try { it2.throw(new Error('inside')); } catch (e) { console.log('caught', e.message); }
console.log([...g()]);
