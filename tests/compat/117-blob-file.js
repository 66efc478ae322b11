const b = new Blob(['héllo ', new Uint8Array([119, 111]), new Blob(['rld'])], { type: 'Text/Plain' });
console.log(b.size, b.type, b instanceof Blob);
b.text()
  .then((t) => console.log('text', t))
  .then(() => b.slice(1, 3).arrayBuffer())
  .then((ab) => console.log('slice', new Uint8Array(ab)))
  .then(() => b.slice(-3).text())
  .then((t) => console.log('neg slice', t));
const f = new File(['data'], 'name.txt', { type: 'text/plain', lastModified: 42 });
console.log(f.name, f.size, f.type, f.lastModified, f instanceof Blob);
