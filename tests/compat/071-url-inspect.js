console.log(new URL('http://h/a?b=1#c'));
console.log(new URLSearchParams('a=1&b=2'), new URLSearchParams(), [new URL('http://x/')].length);
