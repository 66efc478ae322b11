const h = new Headers({ 'Content-Type': 'text/plain', 'X-B': '1' });
h.append('x-b', '2'); h.append('Set-Cookie', 'a=1'); h.append('set-cookie', 'b=2'); h.set('X-A', ' trimmed ');
console.log(h.get('content-type'), h.get('X-B'), h.get('x-a'), h.has('X-NONE'), h.get('none'));
console.log([...h], [...h.keys()], h.getSetCookie());
h.delete('x-b'); console.log([...h.entries()].length);
h.forEach((v, k) => console.log(k, v));
try { h.append('bad name', 'x'); } catch (e) { console.log(e.name); }
console.log(new Headers([['a', '1'], ['a', '2']]).get('a'), new Headers(new Headers({ q: 'r' })).get('q'));
