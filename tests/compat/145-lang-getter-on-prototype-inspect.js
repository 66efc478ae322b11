class P { constructor() { this.visible = 1; } get computed() { return 2; } method() {} static stat() {} }
const p = new P();
console.log(p, Object.keys(p), 'computed' in p, p.computed, typeof P.stat, P.name, P.prototype.constructor === P);
console.log(class {}, P, [P], { P });
