const { types } = require('util');
console.log(types.isPromise(Promise.resolve()), types.isPromise({ then() {} }), types.isRegExp(/x/), types.isDate(new Date()));
console.log(types.isMap(new Map()), types.isSet(new Set()), types.isTypedArray(new Uint8Array()), types.isUint8Array(Buffer.alloc(1)));
console.log(types.isArrayBuffer(new ArrayBuffer(1)), types.isAnyArrayBuffer(new ArrayBuffer(1)), types.isAsyncFunction(async () => {}), types.isGeneratorFunction(function* () {}));
console.log(types.isNativeError(new TypeError()), types.isNativeError({ name: 'Error', message: '' }), types.isBoxedPrimitive(Object(1)), types.isDataView(new DataView(new ArrayBuffer(1))));
console.log(require('util/types') === types, types.isWeakMap(new WeakMap()), types.isSymbolObject(Object(Symbol())), types.isArgumentsObject((function () { return arguments; })()));
