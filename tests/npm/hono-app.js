// The hono app shared by hono.js (app.request in code mode) and hono-fn.js
// (the same app deployed as a corral function).
const { Hono } = require('hono');

const app = new Hono();
app.use('*', async (c, next) => {
  await next();
  c.header('X-Powered', 'hono');
});
app.get('/', (c) => c.text('Hello Hono!'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), verbose: c.req.query('verbose') === '1' }));
app.post('/posts', async (c) => {
  let body;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: 'bad json' }, 400);
  }
  return c.json({ created: body.title }, 201);
});
app.get('/boom', () => {
  throw new Error('kaboom');
});
const api = new Hono().basePath('/api/v1');
api.get('/ping', (c) => c.json({ pong: true }));
app.route('/', api);
app.notFound((c) => c.text('custom 404', 404));
app.onError((err, c) => c.json({ error: err.message }, 500));
module.exports = app;
