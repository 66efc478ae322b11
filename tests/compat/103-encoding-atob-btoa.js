console.log(btoa('hello'), atob('aGVsbG8='), atob(' aGV sbG8 '), btoa(''), atob(''), btoa(String.fromCharCode(255, 0)));
for (const bad of ['a', 'a===', '@@@@', 'aGVsbG8=x']) { try { atob(bad); console.log('ok', bad); } catch (e) { console.log(e.name, e.message); } }
try { btoa('€'); } catch (e) { console.log(e.name, e.message, e.code); }
try { atob(); } catch (e) { console.log(e.name, e.code); }
console.log(atob('YQ'), atob('YWI'), atob(undefined === undefined ? 'dW5kZWZpbmVk' : ''));
