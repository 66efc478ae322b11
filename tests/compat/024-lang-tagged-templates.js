function tag(strings, ...values) { return strings.raw.map((s, i) => s + (values[i] !== undefined ? `[${values[i]}]` : '')).join(''); }
const who = 'world';
console.log(tag`hello ${who} and ${1 + 2}!`);
console.log(`multi
line`, `nested ${`inner ${who}`}`);
