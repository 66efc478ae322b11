// path.format: the dot between name and an ext without one (Node >= 19),
// and the other combinations of root, dir, base, name and ext.
const path = require('path');
const cases = [
  { name: 'a', ext: 'txt' },
  { name: 'a', ext: '.txt' },
  { name: 'a', ext: '' },
  { name: 'a' },
  { ext: 'txt' },
  { root: '/', name: 'a', ext: 'js' },
  { dir: '/x/y', name: 'a', ext: 'js' },
  { dir: '/x/y', base: 'b.md', name: 'a', ext: 'js' },
  { root: '/', dir: '/', base: 'c' },
  { root: '/r/', base: 'c' },
  { dir: 'rel', name: 'n', ext: '..' },
  { name: 'a.b', ext: 'c' },
  {},
];
for (const c of cases) console.log(JSON.stringify(c), '->', JSON.stringify(path.format(c)));
console.log(path.posix.format({ name: 'p', ext: 'q' }));
for (const bad of [null, 'x', 3]) {
  try { path.format(bad); console.log('no throw'); } catch (e) { console.log(e.name); }
}
