const b = Buffer.from([1, 2, 3, 4]);
console.log(b.swap16(), Buffer.from([1, 2, 3, 4]).swap32(), Buffer.alloc(5).fill('abc'), Buffer.alloc(3).fill(257), Buffer.alloc(4, 'aGk=', 'base64'));
console.log(Buffer.from('hello').toString('utf8', 1, 3), Buffer.from('hello').toString(undefined, 2), Buffer.from('héllo').toString('ascii'));
