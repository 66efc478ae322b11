const counters = [];
for (let i = 0; i < 3; i++) counters.push(() => i);
console.log(counters.map((f) => f()));
var fs2 = [];
for (var j = 0; j < 3; j++) fs2.push(() => j);
console.log(fs2.map((f) => f()));
function makeCounter() { let c = 0; return { inc: () => ++c, get: () => c }; }
const c = makeCounter(); c.inc(); c.inc(); console.log(c.get());
console.log(typeof hoisted, hoisted()); function hoisted() { return 'h'; }
