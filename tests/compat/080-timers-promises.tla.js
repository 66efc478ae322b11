const tp = require('timers/promises');
console.log(await tp.setTimeout(5, 'value'));
console.log(await tp.setImmediate('imm'));
const ac = new AbortController();
const p = tp.setTimeout(1000, 'late', { signal: ac.signal });
ac.abort();
try { await p; } catch (e) { console.log(e.name, e.code); }
let count = 0;
for await (const v of tp.setInterval(2, 'tick')) { if (++count === 3) break; }
console.log('intervals', count, require('timers').promises === tp, typeof require('timers').setTimeout);
