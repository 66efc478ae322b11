console.log(new URL('../x?y=1#z', 'http://h/a/b').href);
