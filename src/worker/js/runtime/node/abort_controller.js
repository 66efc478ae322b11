// What npm abort-controller exports, from this runtime's own classes.

'use strict';

const { AbortController, AbortSignal } = require('../web/events.js');

module.exports = { AbortController, AbortSignal, default: AbortController };
