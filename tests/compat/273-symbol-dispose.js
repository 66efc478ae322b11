// Symbol.dispose and Symbol.asyncDispose, which Node 20 has (and the
// `using` that TypeScript lowers looks up).
const d = Object.getOwnPropertyDescriptor(Symbol, 'dispose');
console.log(typeof Symbol.dispose, String(Symbol.dispose), String(Symbol.asyncDispose));
console.log(d.writable, d.enumerable, d.configurable, Symbol.dispose === Symbol.dispose, Symbol.dispose !== Symbol.asyncDispose);
const r = { [Symbol.dispose]() { return 'disposed'; } };
console.log(r[Symbol.dispose](), Object.getOwnPropertySymbols(r).length);
