const u = new URL('http://h/path with spaces/ü?q=a b&r=ü#frag ment');
console.log(u.pathname, u.search, u.hash);
console.log(new URLSearchParams('a=%20%2B+&b=%zz').get('a'), new URLSearchParams('a=%20%2B+&b=%zz').get('b'));
console.log(new URLSearchParams({ s: 'a b+c&d=é' }).toString(), encodeURIComponent("!'()*~"));
