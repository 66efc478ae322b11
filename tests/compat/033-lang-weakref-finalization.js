const target = { v: 1 };
const ref = new WeakRef(target);
console.log(ref.deref() === target, typeof FinalizationRegistry, typeof globalThis.gc);
