const d = new Date(2020, 0, 15, 10, 30);
console.log(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getDay());
const e = new Date(d); e.setDate(e.getDate() + 20); console.log(e.getMonth(), e.getDate());
console.log(new Date('2020-02-30T00:00:00Z').toISOString(), new Date(2024, 1, 29).getDate(), Date.parse('2000-01-01T00:00:00.000Z'));
