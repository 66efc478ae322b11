const r = await fetch('data:text/plain;charset=utf-8,hello%20world');
console.log(r.status, r.ok, r.headers.get('content-type'), await r.text());
const b = await fetch('data:application/json;base64,eyJhIjoxfQ==');
console.log(await b.json());
try { await fetch('not a url'); } catch (e) { console.log(e.name); }
console.log(typeof fetch, fetch.length);
