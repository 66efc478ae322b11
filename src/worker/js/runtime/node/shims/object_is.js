// For npm assert: `require('object-is')` is Object.is.
'use strict';

module.exports = Object.is;
