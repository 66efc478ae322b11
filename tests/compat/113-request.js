const r = new Request('https://example.com/api?x=1', { method: 'post', headers: { 'X-Id': '7' }, body: JSON.stringify({ a: 1 }) });
console.log(r.method, r.url, r.headers.get('x-id'), r.headers.get('content-type'), r.bodyUsed, r.redirect, r.mode, r.credentials);
r.clone().json().then((v) => {
  console.log('clone body', v);
  return r.text().then((t) => console.log('body', t, r.bodyUsed));
});
console.log(new Request('http://h/').method, new Request('http://h/', { method: 'patch' }).method, new Request('http://h/', { method: 'delete' }).method);
try { new Request('http://h/', { method: 'GET', body: 'x' }); } catch (e) { console.log(e.name); }
try { new Request('/relative'); } catch (e) { console.log(e.name); }
const r2 = new Request(r.url, { signal: AbortSignal.abort() }); console.log(r2.signal.aborted);
