const e = new DOMException('msg', 'NotFoundError');
console.log(e.name, e.message, e.code, e instanceof Error, e instanceof DOMException, String(e));
console.log(new DOMException().name, new DOMException('x').code, new DOMException('t', 'TimeoutError').code, DOMException.ABORT_ERR);
console.log(Object.prototype.toString.call(e), new DOMException('m', { name: 'DataCloneError', cause: 1 }).code);
