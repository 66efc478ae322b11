console.log(structuredClone(undefined), structuredClone(null), structuredClone('s'), structuredClone(-0), structuredClone(NaN), structuredClone(5n));
console.log(structuredClone([new Boolean(false), new String('x'), new Number(3)]), structuredClone({ a: new Date(NaN) }).a.getTime());
const nested = { m: new Map([[{ k: 1 }, new Set([[1, 2]])]]) }; const c = structuredClone(nested); console.log(c, [...c.m.keys()][0] !== [...nested.m.keys()][0]);
try { structuredClone(); } catch (e) { console.log(e.name, e.code); }
