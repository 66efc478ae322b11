// express: a small app with routes, express.json() body parsing, params, query,
// a router, and an error handler. Deployed to corral as a function
// (`module.exports = app`); the test runs the same bundle in Node with
// app.listen() on a local port and compares the responses.
const express = require('express');

const app = express();
app.set('etag', false);
app.disable('x-powered-by');
app.use(express.json());

app.get('/', (req, res) => res.send('Hello World!'));
app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id, q: req.query, ua: req.get('x-test') || null });
});
app.post('/echo', (req, res) => {
  res.status(201).set('X-Echo', 'yes').json({ got: req.body, type: req.is('application/json') ? 'json' : 'other' });
});
const router = express.Router();
router.get('/items/:n', (req, res) => res.type('text/plain').send(`item ${Number(req.params.n) * 2}`));
app.use('/api', router);
app.get('/boom', () => {
  throw new Error('kaboom');
});
app.get('/async-boom', async () => {
  throw new Error('async kaboom');
});
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ error: err.message, type: err.type || null });
});

module.exports = app;
