console.log(new Float64Array([3, -1, 2.5, NaN, -0, 0]).sort(), new Int32Array([5, -3, 10]).sort(), [5, 1, 10].toString());
console.log([3, 1, 2].toSorted ? 'has toSorted' : 'no toSorted', [1, 2, 3].indexOf(4), [NaN].indexOf(NaN), [NaN].includes(NaN));
