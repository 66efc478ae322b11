// tty: there is no terminal in the sandbox; isatty() is false for every fd,
// which is what logging libraries (debug, chalk, ...) ask.

'use strict';

class ReadStream {
  constructor() {
    throw new Error('corral has no terminal');
  }
}
class WriteStream {
  constructor() {
    throw new Error('corral has no terminal');
  }
}

module.exports = { isatty: () => false, ReadStream, WriteStream };
