// JSON.parse's SyntaxError messages, as V8 words them (position, context, the special strings).
const xs = ['', ' ', '{bad json', '{', '{"a"', '{"a" 1}', '{"a":}', '{"a":1 "b":2}', '{"a":1,}', '{"a":1,2}', '[1 2]', '[1,]', '[', '[1', 'x', 'undefined', 'NaN', '[object Object]', 'tru', 'nul', 'truex',
 '"abc', '"a\\qb"', '"a\\u12g4"', '"a\u0001b"', '-', '-x', '1.', '1.x', '1e', '1e+', '01', '1 2', '{"a":1}}', '{"a":1} x', '"a" "b"', '{"a":"b" , "c"}', '[1,,2]', '{,}', '{"a":01}',
 'this is a much longer text that is not json at all', '{"key": "value", "other": bad, "more": 1234567890}', '{"key": "value", "other": 1, "more": 12345x}', '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,]', '{"a":[1,2,{"b":nope}]}', "{'a':1}", '[.5]', '[+1]', '[1e5.0]', '"\\', '{"a":1', '{"a":1,', '{"a":tr}', '\u00a0[1]', '[1]\u00a0', '[Infinity]', '{"a\nb":1}', '  {  "a" : [ 1 , 2 ] , } '];
for (const x of xs) { try { JSON.parse(x); console.log(JSON.stringify(x), 'OK'); } catch (e) { console.log(JSON.stringify(x), e.name, e.message); } }
try { JSON.parse(undefined) } catch (e) { console.log('undef', e.message) }
try { JSON.parse({}) } catch (e) { console.log('obj', e.message) }
