const order = [];
setTimeout(() => order.push('t10'), 10);
setTimeout(() => order.push('t0'), 0);
Promise.resolve().then(() => order.push('promise'));
process.nextTick(() => order.push('tick'));
setTimeout(() => console.log(order.filter((x) => x !== 'tick' && x !== 'promise').join(' '), order.includes('tick'), order.includes('promise')), 30);
