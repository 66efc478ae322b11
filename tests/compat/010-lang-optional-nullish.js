const o = { a: { b: null, c: () => 42 }, list: [1] };
console.log(o?.a?.b?.x, o.a.c?.(), o.z?.(), o.list?.[0], o.nope?.[0]);
console.log(null ?? 'd', 0 ?? 'd', '' || 'e', 0 || null);
let v = null; v ??= 3; let w = 1; w ||= 2; let z = 1; z &&= 5;
console.log(v, w, z);
