const t0 = performance.now();
const m = performance.mark('start');
const m2 = performance.mark('end');
const ms = performance.measure('span', 'start', 'end');
console.log(typeof t0, m.name, m.entryType, ms.name, ms.entryType, ms.duration >= 0);
console.log(performance.getEntriesByType('mark').map((e) => e.name), performance.getEntriesByName('span').length);
performance.clearMarks(); console.log(performance.getEntriesByType('mark').length, typeof performance.toJSON());
