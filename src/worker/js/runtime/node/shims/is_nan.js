// For npm assert: `require('is-nan')` is Number.isNaN.
'use strict';

module.exports = Number.isNaN;
