console.log(typeof module, typeof exports, module.exports === exports, typeof __filename, typeof __dirname, require.main === module);
console.log(typeof require.resolve, typeof require.cache, module.loaded, Array.isArray(module.children), typeof module.paths);
exports.value = 1; console.log(module.exports.value);
