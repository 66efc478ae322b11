// TypeScript 5.9.3 transpileModule output (CommonJS, ES2022) of a TypeScript
// program: what corral now runs for it (src/worker/js/typescript.js).
var A;
(function (A) {
    A.x = 1;
    let B;
    (function (B) {
        function f() { return A.x + 1; }
        B.f = f;
    })(B = A.B || (A.B = {}));
})(A || (A = {}));
(function (A) {
    A.y = A.B.f() * 10;
})(A || (A = {}));
var E;
(function (E) {
    E[E["One"] = 1] = "One";
    E[E["Two"] = 2] = "Two";
    E["Str"] = "str";
})(E || (E = {}));
class Pt {
    x;
    y;
    constructor(x, y = 2) {
        this.x = x;
        this.y = y;
    }
    get sum() { return this.x + this.y; }
}
console.log(A.x, A.B.f(), A.y, E.Two, E[2], E.Str, JSON.stringify(E), new Pt(5).sum, JSON.stringify(new Pt(1)));
