const sleep = (v) => new Promise((r) => setTimeout(() => r(v), 5));
async function main() {
  const a = await sleep(1);
  const [b, c] = await Promise.all([sleep(2), sleep(3)]);
  return a + b + c;
}
console.log(await main());
const results = await Promise.allSettled([Promise.resolve(1), Promise.reject(new Error('no'))]);
console.log(results.map((r) => r.status + ':' + (r.value ?? r.reason.message)).join(' '));
console.log(await Promise.any([Promise.reject(1), Promise.resolve(2)]));
try { await Promise.any([Promise.reject(1)]); } catch (e) { console.log(e.constructor.name, e.errors); }
