const r = new Response('{"a":[1,2]}', { status: 201, statusText: 'Created', headers: { 'X-Y': 'z' } });
console.log(r.status, r.statusText, r.ok, r.headers.get('x-y'), r.headers.get('content-type'), r.type, r.url, r.redirected, r.bodyUsed);
console.log(await r.json(), r.bodyUsed);
try { await r.text(); } catch (e) { console.log(e.name); }
console.log(await new Response('text body').text(), new Uint8Array(await new Response(new Uint8Array([1, 2])).arrayBuffer()));
console.log(await new Response(null).text() === '', new Response().body, (await new Response('abc').blob()).size);
const c = new Response('cloned'); const c2 = c.clone(); console.log(await c.text(), await c2.text());
console.log(new Response('x', { status: 404 }).ok);
try { new Response('x', { status: 99 }); } catch (e) { console.log(e.name); }
