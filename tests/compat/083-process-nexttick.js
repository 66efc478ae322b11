const order = [];
process.nextTick(() => { order.push(1); process.nextTick(() => order.push(3)); });
process.nextTick((a, b) => order.push(a + b), 1, 1);
setTimeout(() => console.log(order.join(',')), 5);
