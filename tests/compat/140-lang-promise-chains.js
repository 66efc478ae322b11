Promise.resolve(1)
  .then((v) => v + 1)
  .then((v) => { throw new Error('at ' + v); })
  .catch((e) => e.message)
  .finally(() => console.log('finally'))
  .then((v) => console.log('value', v));
Promise.race([new Promise((r) => setTimeout(() => r('slow'), 20)), new Promise((r) => setTimeout(() => r('fast'), 5))]).then((v) => console.log('race', v));
new Promise((_, rej) => rej(new TypeError('t'))).catch((e) => console.log('caught', e.name));
