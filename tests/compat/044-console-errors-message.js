const e = new Error('boom');
console.log(e.message, e.name, String(e), e.toString(), Object.keys(e));
const t = new TypeError('bad type'); console.log(`${t}`, t instanceof Error);
