console.log('abc'.padStart(6, '-'), 'abc'.padEnd(5, '.') + '|', ' x '.trim() + '|', ' x '.trimStart() + '|');
console.log('a-b-c'.replaceAll('-', '+'), 'abc'.at(-1), 'Hello'.startsWith('He'), 'x'.repeat(3), 'abc'.codePointAt(1));
console.log('ß'.toUpperCase(), 'İ'.toLowerCase().length, 'é'.normalize('NFD').length, String.raw`a\nb`, 'a,b'.split(','));
console.log('😀'.length, [...'😀'].length, String.fromCodePoint(0x1f600) === '😀', 'abc'.localeCompare('abd'));
console.log(`${1 + 1} ${'x'.concat('y', 'z')} ${'Hello World'.substring(6)} ${'abc'.slice(-2)} ${'abcabc'.lastIndexOf('b')}`);
