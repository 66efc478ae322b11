console.log('before exit');
process.exitCode = 0;
setTimeout(() => console.log('timer never runs'), 10);
process.exit(0);
console.log('after exit');
