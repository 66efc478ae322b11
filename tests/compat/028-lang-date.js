const d = new Date(Date.UTC(2024, 1, 29, 13, 45, 30, 123));
console.log(d.toISOString(), d.getTime(), d.getUTCDay(), JSON.stringify(d), d.valueOf() === +d);
console.log(new Date('2024-03-10T12:00:00Z').toISOString(), new Date(0).toUTCString(), isNaN(new Date('garbage')));
const e = new Date(Date.UTC(2024, 0, 31)); e.setUTCMonth(1); console.log(e.toISOString());
console.log(Date.UTC(1970, 0, 1), new Date(8.64e15 + 1).getTime(), typeof Date.now());
