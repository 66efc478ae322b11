// The process object, for npm modules that read a free `process` (given to
// them by a prelude in build-js.mjs) or require('process/').

'use strict';

module.exports = require('./process.js').get();
