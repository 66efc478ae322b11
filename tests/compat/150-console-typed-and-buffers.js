console.log(new Uint8Array([1, 2, 3]), new Float32Array(2), new Int8Array(0), [new Uint16Array(1)]);
console.log(Buffer.from('buffer'), [Buffer.from('x')], { b: Buffer.alloc(2) });
console.log(new Uint8Array(120));
