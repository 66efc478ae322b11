// lodash: a handful of functions, including _.template (compiled with new Function).
const _ = require('lodash');

console.log(_.chunk(['a', 'b', 'c', 'd', 'e'], 2));
console.log(_.groupBy([6.1, 4.2, 6.3], Math.floor));
console.log(_.sortBy([{ n: 'b', a: 2 }, { n: 'a', a: 1 }, { n: 'c', a: 0 }], ['a']).map((o) => o.n).join(','));
console.log(_.merge({ a: [{ b: 2 }, { d: 4 }] }, { a: [{ c: 3 }, { e: 5 }] }));
console.log(_.get({ a: [{ b: { c: 3 } }] }, 'a[0].b.c'), _.get({}, 'x.y', 'default'));
console.log(_.debounce && typeof _.debounce(() => 0, 10));
console.log(_.uniqBy([2.1, 1.2, 2.3], Math.floor), _.difference([2, 1], [2, 3]));
console.log(_.camelCase('Foo Bar'), _.kebabCase('fooBar'), _.startCase('--foo-bar--'));
console.log(_.cloneDeep({ d: new Date(0), r: /x/g, m: new Map([[1, 2]]) }));
const compiled = _.template('hello <%= user %>! <% _.forEach(items, function(i) { %><li><%- i %></li><% }); %>');
console.log(compiled({ user: 'fred', items: ['<a>', 'b&c'] }));
