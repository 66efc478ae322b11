// err.stack in V8's form: a "Name: message" line, then "    at fn (file:line:col)"
// frames with V8's columns (directories cut: Node's paths are absolute).
const strip = (s) => s.replace(/(\(|at )[^()\s]*\//g, '$1');
function inner() { return new Error('boom'); }
function outer() { return inner(); }
console.log(strip(outer().stack.split('\n').slice(0, 4).join('\n')));
const arrow = () => new TypeError('arrow');
console.log(strip(arrow().stack.split('\n').slice(0, 3).join('\n')));
console.log(strip([1].map(() => new RangeError('cb'))[0].stack.split('\n').slice(0, 3).join('\n')));
const e = new Error('later');
e.message = 'changed before the first read';
console.log(e.stack.split('\n')[0]);
