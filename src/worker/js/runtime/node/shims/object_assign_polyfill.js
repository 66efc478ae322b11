// For npm assert: `require('object.assign/polyfill')()` is Object.assign.
'use strict';

module.exports = () => Object.assign;
