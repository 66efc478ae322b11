// string_decoder: npm string_decoder (Node's own code), over npm buffer.

'use strict';

module.exports = require('string_decoder/');
