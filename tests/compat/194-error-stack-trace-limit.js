// Error.stackTraceLimit: V8's default of 10 frames, and a limit that the user sets.
function down(n) { return n === 0 ? new Error('deep') : down(n - 1); }
console.log(Error.stackTraceLimit, down(30).stack.split('\n').length);
Error.stackTraceLimit = 3;
console.log(down(30).stack.split('\n').length);
Error.stackTraceLimit = 0;
console.log(JSON.stringify(down(30).stack));
console.log([new Error('zero')]);
