// ISO dates whose day is past the month's end (up to 31) roll over, as V8 reads them;
// other invalid ones stay invalid. Date itself stays Date.
const xs = ['2020-02-30', '2020-02-30T00:00:00Z', '2021-04-31T23:59:59.5+02:00', '2020-02-31T12:00:00.123456Z',
  '2020-02-32', '2020-13-01', '2020-02-30T25:00:00Z', '+002020-02-30T00:00:00Z', '2020-01-15'];
for (const s of xs) {
  const d = new Date(s);
  console.log(s, Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString(), Date.parse(s));
}
class Day extends Date { iso() { return this.toISOString().slice(0, 10); } }
console.log(new Day('2019-02-29').iso(), new Day(0) instanceof Date, Date.name, Date.length, typeof Date());
console.log(Date.prototype.constructor === Date, Object.prototype.toString.call(new Date(0)), new Date(2020, 1, 30).getMonth());
