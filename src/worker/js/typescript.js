// TypeScript's own transpiler (the npm `typescript` package's
// transpileModule), for the TypeScript that sucrase cannot compile: value
// namespaces, decorators (TS 5 standard decorators, or the older
// experimentalDecorators), `accessor` fields and `using` declarations.
// scripts/build-js.mjs bundles it as the script corral_js_typescript, which
// the worker evaluates in its tools context only when a program needs it
// (tools.js asks for it through the global loadTypeScript), so that a worker
// that never meets such code never pays for it (~3 MB of script).
//
// Like tools.js, it runs with nothing but the ECMAScript built-ins: the
// package's Node-only paths (its `sys`, which requires fs and path) test
// `typeof process` and `typeof require` and are never taken.

import ts from 'typescript';

export const version = ts.version;

// The compiler options of `tsc --module commonjs --target es2022` for one
// file on its own (isolatedModules): what the runtime's module loader takes.
// ES2022 lowers `using` and decorators, which the engine does not have, and
// keeps everything it does have. `experimentalDecorators` selects the older
// decorators, as a tsconfig.json would.
function compilerOptions(filename, experimentalDecorators) {
  const opts = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators,
    emitDecoratorMetadata: false,
    useDefineForClassFields: true,
    esModuleInterop: true,
    isolatedModules: true,
    verbatimModuleSyntax: false,
    removeComments: false,
    sourceMap: false,
    inlineSourceMap: false,
  };
  if (/\.[jt]sx$/.test(filename)) opts.jsx = ts.JsxEmit.React;
  return opts;
}

// Compiles `source` (the file `filename`) to CommonJS JavaScript. Throws a
// SyntaxError "FILENAME: MESSAGE (LINE:COLUMN)" with `line` and `column`
// (1-based) properties for the first syntax error TypeScript reports: type
// errors are not checked, as with `transpileModule` (or `tsc` with
// isolatedModules and noCheck).
export function transpile(source, filename, options = {}) {
  const out = ts.transpileModule(source, {
    fileName: filename,
    reportDiagnostics: true,
    compilerOptions: compilerOptions(filename, Boolean(options.experimentalDecorators)),
  });
  const diag = (out.diagnostics || []).find((d) => d.category === ts.DiagnosticCategory.Error);
  if (diag) {
    const message = ts.flattenDiagnosticMessageText(diag.messageText, '\n');
    let line = 1;
    let column = 1;
    if (diag.file && typeof diag.start === 'number') {
      const lc = diag.file.getLineAndCharacterOfPosition(diag.start);
      line = lc.line + 1;
      column = lc.character + 1;
    }
    const err = new SyntaxError(`${filename}: ${message} (${line}:${column - 1})`);
    err.line = line;
    err.column = column;
    throw err;
  }
  return out.outputText;
}
