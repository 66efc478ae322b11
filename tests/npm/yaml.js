// yaml: parse a document, stringify a value, a document with comments, an error.
const YAML = require('yaml');

const doc = `
# a config
name: corral
version: 1.2
list:
  - one
  - two: 2
nested: { a: 1, b: [x, y] }
multi: |
  line one
  line two
empty: ~
date: 2001-12-14
anchors:
  base: &b { k: v }
  copy: *b
`;
console.log(JSON.stringify(YAML.parse(doc)));
console.log(YAML.stringify({ a: 1, b: [1, 'two', { c: null }], s: 'multi\nline', q: 'yes' }));
const d = YAML.parseDocument('# top\nkey: value # trailing\nlist: [1, 2]\n');
d.set('added', true);
console.log(String(d));
try {
  YAML.parse('a: b: c');
} catch (e) {
  console.log(e.name, e.code, e.message.split('\n')[0]);
}
