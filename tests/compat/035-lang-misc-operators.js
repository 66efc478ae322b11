console.log(typeof null, typeof undefined, typeof (() => 1), typeof class {}, typeof Symbol(), typeof 1n);
console.log(1 + '2', '3' * '4', [] + {}, [1] == 1, null == undefined, null === undefined, NaN !== NaN);
console.log(7 % -3, -7 % 3, 5 >>> 1, -5 >> 1, ~5, 1 << 31, 0.1 * 3, void 0, !!'0', !!'');
console.log(delete {}.x, 'b' in { b: 1 }, [] instanceof Object, (1, 2), +true, -'3');
