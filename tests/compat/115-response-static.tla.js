const j = Response.json({ hello: 'world' }, { status: 202 });
console.log(j.status, j.headers.get('content-type'), await j.text());
const r = Response.redirect('https://example.com/next', 301);
console.log(r.status, r.headers.get('location'));
try { Response.redirect('https://e.com', 200); } catch (e) { console.log(e.name); }
const e = Response.error(); console.log(e.type, e.status, e.ok);
