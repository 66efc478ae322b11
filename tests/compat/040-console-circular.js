const a = { name: 'a' };
a.self = a;
a.list = [a, { back: a }];
console.log(a);
const arr = [1]; arr.push(arr); console.log(arr);
