console.log(['a\nb', "it's", 'tab\there', 'q"uote', 'back\\slash', '\u0001', 'é', '😀']);
console.log({ 'key-with-dash': 1, valid_id: 2, 3: 'num', 'sp ace': 4 });
console.log('x'.repeat(200).length, ['y'.repeat(100)]);
