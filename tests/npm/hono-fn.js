// The hono app as a corral function: hono's app has a fetch(request) method.
module.exports = require('./hono-app.js');
