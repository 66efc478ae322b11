const s = 'naïve café 日本語 🎉';
console.log(s.length, [...s].length, s.toUpperCase(), s.normalize('NFD').length, encodeURIComponent(s));
console.log(decodeURIComponent('%F0%9F%8E%89'), escape('ä'), unescape('%E4'), encodeURI('http://x/a b?q=ü'));
console.log('abc'.split(''), 'a😀b'.split(''), Array.from('a😀b'), 'ÅÄÖ'.toLowerCase(), 'straße'.localeCompare('strasse', 'de'));
