process.env.MY_VAR = 'set';
console.log(process.env.MY_VAR, 'MY_VAR' in process.env, typeof process.env.SURELY_NOT_SET_123);
delete process.env.MY_VAR; console.log(process.env.MY_VAR);
