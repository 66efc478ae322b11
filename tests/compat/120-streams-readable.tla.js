const rs = new ReadableStream({
  start(controller) { ['a', 'b', 'c'].forEach((x) => controller.enqueue(x)); controller.close(); },
});
const reader = rs.getReader();
const out = [];
for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
console.log(out, rs.locked);
reader.releaseLock(); console.log(rs.locked);
const it = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } });
const got = []; for await (const v of it) got.push(v); console.log(got);
