// hono: a small router exercised with app.request() (no server). The same
// app is exported for corral's function mode by hono-fn.js.
const { Hono } = require('hono');
const app = require('./hono-app.js');

const requests = [
  ['/'],
  ['/users/42?verbose=1'],
  ['/posts', { method: 'POST', body: JSON.stringify({ title: 'hi' }), headers: { 'Content-Type': 'application/json' } }],
  ['/posts', { method: 'POST', body: 'not json', headers: { 'Content-Type': 'application/json' } }],
  ['/boom'],
  ['/nowhere'],
  ['/api/v1/ping'],
];

async function main() {
  console.log('Hono is a', typeof Hono);
  for (const [path, init] of requests) {
    const res = await app.request(path, init);
    console.log(`${(init && init.method) || 'GET'} ${path} -> ${res.status} ${res.headers.get('content-type')} x-powered=${res.headers.get('x-powered')}`);
    console.log('  ' + (await res.text()));
  }
}
main();
