console.log('%s is %d years and %i days, %f%%', 'Bob', 42.9, 3.7, 1.5);
console.log('%j %o', { a: 1 }, [1, { b: 2 }]);
console.log('%O', { deep: { deeper: { deepest: { gone: 1 } } } });
console.log('%c styled', 'color: red', 'extra', 5);
console.log('no subst', 'a', 1, true, null, undefined, 5n, Symbol('s'));
console.log('%s', { toString() { return 'custom'; } }, '%s', 12n, -0);
