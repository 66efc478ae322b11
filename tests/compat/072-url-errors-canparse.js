for (const bad of ['', 'not a url', 'http://', 'http://exa mple.com']) {
  try { new URL(bad); console.log('parsed', bad); } catch (e) { console.log(e.name, e.code); }
}
console.log(URL.canParse('http://x'), URL.canParse('/rel'), URL.canParse('/rel', 'http://b'));
console.log(new URL('//other/x', 'https://base/y').href, new URL('?q', 'http://b/p?old#h').href, new URL('#f', 'http://b/p?q').href);
