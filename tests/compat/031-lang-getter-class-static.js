class Temp {
  static #instances = 0;
  #c = 0;
  constructor(c) { this.#c = c; Temp.#instances++; }
  get f() { return this.#c * 9 / 5 + 32; }
  set f(v) { this.#c = (v - 32) * 5 / 9; }
  static get instances() { return Temp.#instances; }
  static from(f) { const t = new Temp(0); t.f = f; return t; }
  #secret() { return 'hidden'; }
  reveal() { return this.#secret(); }
}
const t = Temp.from(212);
console.log(t.f, Temp.instances, t.reveal(), Object.keys(t), t);
