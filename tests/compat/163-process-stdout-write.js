process.stdout.write('partial ');
process.stdout.write('line\n');
process.stdout.write(Buffer.from('from buffer\n'));
console.log(typeof process.stdout.write, typeof process.stderr.write, process.stdout.write('') === true);
