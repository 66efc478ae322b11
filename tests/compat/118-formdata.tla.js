const fd = new FormData();
fd.append('a', '1'); fd.append('a', '2'); fd.set('b', 'x'); fd.append('file', new Blob(['content']), 'f.txt');
console.log(fd.get('a'), fd.getAll('a'), fd.has('b'), fd.get('none'), [...fd.keys()]);
const file = fd.get('file'); console.log(file instanceof File, file.name, await file.text());
fd.delete('a'); console.log([...fd.keys()]);
const r = new Response(new URLSearchParams('q=1&r=2'));
console.log(r.headers.get('content-type'));
const parsed = await r.formData(); console.log(parsed.get('q'), parsed.get('r'));
