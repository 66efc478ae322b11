console.log(['single', "it's", `back\`tick`, 'both \' and "', 'new\nline']);
console.log({ s: 'text' }, 'top level string is raw', ['a\u0000b']);
console.log([''.padEnd(30, 'x'), ''.padEnd(30, 'y'), ''.padEnd(30, 'z')]);
