// For npm assert: `require('object-is/polyfill')()` is Object.is.
'use strict';

module.exports = () => Object.is;
