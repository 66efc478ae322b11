const stream = new ReadableStream({
  start(c) { c.enqueue(new TextEncoder().encode('chunk1 ')); c.enqueue(new TextEncoder().encode('chunk2')); c.close(); },
});
const r = new Response(stream);
console.log(await r.text());
const r2 = new Response('streamed');
const reader = r2.body.getReader();
const parts = [];
for (;;) { const { done, value } = await reader.read(); if (done) break; parts.push(new TextDecoder().decode(value)); }
console.log(parts.join(''), r2.bodyUsed);
