class Animal {
  #name;
  static count = 0;
  constructor(name) { this.#name = name; Animal.count++; }
  get name() { return this.#name; }
  speak() { return `${this.#name} makes a sound`; }
  static { this.kind = 'animal'; }
}
class Dog extends Animal {
  speak() { return `${super.speak()} (woof)`; }
}
const d = new Dog('Rex');
console.log(d.speak(), Animal.count, Animal.kind, d instanceof Animal, Object.getPrototypeOf(Dog) === Animal);
console.log(d.name, typeof d.name);
