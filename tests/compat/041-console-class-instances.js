class Point { constructor(x, y) { this.x = x; this.y = y; } }
class Empty {}
class WithToString { toString() { return 'W'; } }
console.log(new Point(1, 2), [new Point(3, 4)], new Empty(), new WithToString());
console.log(`${new WithToString()}`, String(new Point(0, 0)));
const noProto = Object.setPrototypeOf({ z: 1 }, null); console.log(noProto);
