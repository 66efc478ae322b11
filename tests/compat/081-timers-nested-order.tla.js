const log = [];
await new Promise((resolve) => {
  setTimeout(() => { log.push('a'); setTimeout(() => { log.push('c'); resolve(); }, 0); Promise.resolve().then(() => log.push('a-micro')); }, 0);
  setTimeout(() => log.push('b'), 0);
});
console.log(log.join(','));
