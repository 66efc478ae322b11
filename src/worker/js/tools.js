// Source tools that corral runs inside its own JavaScript engine, in a
// context of their own that never sees a user value: the top-level await
// rewrite (acorn) and the TypeScript / ES module transpiler (sucrase).
// scripts/build-js.mjs bundles this file into a script whose completion value
// is this module's exports object.
//
// The bundle runs with nothing but the ECMAScript built-ins: no `process`, no
// `require`, no Node modules, no DOM.

import { parse } from 'acorn';
import { recursive, base } from 'acorn-walk';

export const version = '1';

const PARSE_OPTIONS = {
  ecmaVersion: 'latest',
  sourceType: 'script',
  allowAwaitOutsideFunction: true,
  allowReturnOutsideFunction: false,
  allowHashBang: true,
};

// Walker overrides that stop at function boundaries, so that only code which
// runs as part of the top-level script is seen. A class body is walked for its
// computed keys and `extends` clause, which do run at top level; its methods,
// field initializers and static blocks do not.
const ignore = () => {};
const visitors = {
  Function: ignore,
  StaticBlock: ignore,
  MethodDefinition(node, st, c) {
    if (node.computed) c(node.key, st, 'Expression');
  },
  PropertyDefinition(node, st, c) {
    if (node.computed) c(node.key, st, 'Expression');
  },
  AwaitExpression(node, st, c) {
    st.hasAwait = true;
    base.AwaitExpression(node, st, c);
  },
  ForOfStatement(node, st, c) {
    if (node.await) st.hasAwait = true;
    if (node.left.type === 'VariableDeclaration') st.forHeads.add(node.left);
    base.ForOfStatement(node, st, c);
  },
  ForInStatement(node, st, c) {
    if (node.left.type === 'VariableDeclaration') st.forHeads.add(node.left);
    base.ForInStatement(node, st, c);
  },
  ForStatement(node, st, c) {
    if (node.init && node.init.type === 'VariableDeclaration') st.forInits.add(node.init);
    base.ForStatement(node, st, c);
  },
  VariableDeclaration(node, st, c) {
    if (node.kind === 'await using') st.hasAwait = true;
    st.declarations.push(node);
    base.VariableDeclaration(node, st, c);
  },
};

// Appends to `out` every name that the binding pattern `node` declares.
function patternNames(node, out) {
  switch (node.type) {
    case 'Identifier':
      out.push(node.name);
      break;
    case 'ObjectPattern':
      for (const prop of node.properties) {
        patternNames(prop.type === 'RestElement' ? prop.argument : prop.value, out);
      }
      break;
    case 'ArrayPattern':
      for (const elt of node.elements) if (elt) patternNames(elt, out);
      break;
    case 'AssignmentPattern':
      patternNames(node.left, out);
      break;
    case 'RestElement':
      patternNames(node.argument, out);
      break;
    default:
      break;
  }
  return out;
}

// Rewrites a script that uses top-level await into one that runs the same
// code inside an async arrow function, in the manner of Node's REPL. The
// rewritten script's completion value is a Promise that resolves to the value
// of the original's last statement when that statement is an expression
// statement, and to undefined otherwise. Top-level declarations become global
// `var` bindings declared ahead of the wrapper, so that later scripts in the
// same global scope still see them.
//
// Everything that is added before the original code goes on its first line,
// and every other edit is made in place without adding line breaks, so a
// position on line N of the original is on line N of the result.
//
// Returns null when the code does not parse with top-level await allowed, or
// parses but has no await outside nested functions: the caller then reports
// its own syntax error for the original code.
//
// `skeleton`, when given, is the code with every function body blanked out
// (src/worker/jsscan.c: spaces where the body was, line breaks kept, the
// same length): the rewrite touches nothing inside a function, so it parses
// the skeleton, which on a 1 MB bundle is most of a second less parsing,
// and applies its edits to the code.
export function rewriteTopLevelAwait(code, skeleton) {
  return rewrite(code, false, skeleton);
}

// Rewrites one snippet of a session (a series of scripts that share a global
// scope, like a notebook) so that every top-level declaration is a property
// of the global object: `var` anywhere outside nested functions, top-level
// `let` and `const` (destructuring included), classes and functions. A later
// snippet may then declare the same name again, and the session's bindings
// can be listed, saved and restored as the global object's own properties.
//
// Code with top-level await is rewritten exactly as rewriteTopLevelAwait
// does, and its completion value is a Promise. Other code gets no wrapper:
// its declarations become assignments to `var`s declared after its directive
// prologue, function declarations stay as they are (a script's are global
// already) and `class C {}` becomes `C=class C {};`. Its completion value is
// the script's own; a declaration as the last statement gives undefined.
// The synchronous form always starts with SESSION_SYNC_MARK, "/**/", which
// the async form never does (it starts with "var " or "(async () => {"), so
// the caller tells them apart by the first four characters.
//
// `let` and `const` lose their temporal dead zone and `const` its
// immutability, as in Node's REPL; block-scoped declarations in nested
// blocks and loop heads stay local. Lines are kept as in rewriteTopLevelAwait.
// Returns null when the code does not parse.
export function rewriteSession(code, skeleton) {
  return rewrite(code, true, skeleton);
}

const SESSION_SYNC_MARK = '/**/';

// The rewrite behind both: with top-level await the code is wrapped in an
// async function; without it, `session` rewrites it in place and otherwise
// there is nothing to do (null).
function rewrite(code, session, skeleton) {
  if (typeof code !== 'string') return null;
  const text = typeof skeleton === 'string' && skeleton.length === code.length ? skeleton : code;
  let ast;
  try {
    ast = parse(text, PARSE_OPTIONS);
  } catch {
    // A skeleton that does not parse (a body the lexer got wrong) is no
    // answer about the code: parse the code itself.
    if (text === code) return null;
    return rewrite(code, session);
  }

  const st = {
    hasAwait: false,
    declarations: [],
    forHeads: new Set(),
    forInits: new Set(),
  };
  recursive(ast, st, visitors);
  const wrap = st.hasAwait;
  if (!wrap && !session) return null;

  const edits = [];
  const edit = (start, end, text) => edits.push({ start, end, text, seq: edits.length });
  const insert = (pos, text) => edit(pos, pos, text);
  // A Set beside the list: a bundle hoists tens of thousands of names, and
  // a linear search per name made the rewrite quadratic.
  const hoisted = [];
  const hoistedSet = new Set();
  const hoist = (name) => {
    if (!hoistedSet.has(name)) {
      hoistedSet.add(name);
      hoisted.push(name);
    }
  };
  const topLevel = new Set(ast.body);

  let bodyStart = 0;
  for (const node of ast.body) {
    if (node.type !== 'ExpressionStatement' || node.directive === undefined) break;
    bodyStart = node.end;
  }

  // Function declarations are hoisted within the wrapper by the language
  // itself, but their bindings are local to it. Copying each one to the
  // global object first thing in the wrapper body, after any directive
  // prologue, makes them visible globally from the start, as in a script.
  // Without a wrapper they are global already.
  if (wrap) {
    const functionNames = new Set();
    for (const node of ast.body) {
      if (node.type === 'FunctionDeclaration') {
        hoist(node.id.name);
        functionNames.add(node.id.name);
      }
    }
    if (functionNames.size > 0) {
      const copies = [...functionNames].map((n) => `this.${n}=${n};`).join('');
      insert(bodyStart, bodyStart > 0 ? `;${copies}` : copies);
    }
  }

  // A `var` anywhere outside nested functions, and a top-level `let` or
  // `const`, becomes an assignment to a hoisted global. A `using` declaration
  // stays as it is, local to the wrapper, so that it is still disposed of.
  for (const node of st.declarations) {
    const kind = node.kind;
    if (!(kind === 'var' || ((kind === 'let' || kind === 'const') && topLevel.has(node)))) continue;
    for (const decl of node.declarations) patternNames(decl.id, []).forEach(hoist);

    if (st.forHeads.has(node)) {
      // `for (var x of y)` becomes `for (x of y)`; the declarator, which has
      // no initializer here, is already a valid assignment target.
      edit(node.start, node.start + kind.length, '');
      continue;
    }

    // `let a = 1, {b} = c;` becomes `void ((a = 1), ({b} = c));`. The `void`
    // keeps the statement's value undefined and keeps it from starting with a
    // parenthesis, which could otherwise continue the previous line. A `var`
    // without an initializer leaves the variable's value alone, while `let x;`
    // sets it to undefined, as each would in a script.
    edit(node.start, node.start + kind.length, 'void (');
    for (const decl of node.declarations) {
      if (decl.init) {
        insert(decl.start, '(');
        insert(decl.end, ')');
      } else if (kind === 'var') {
        edit(decl.start, decl.end, 'void 0');
      } else {
        edit(decl.start, decl.end, `(${decl.id.name}=undefined)`);
      }
    }
    const last = node.declarations[node.declarations.length - 1];
    insert(last.end, ')');
    // A declaration ended by a line break rather than a semicolon would run
    // into a next line that starts with `(` or `[` once it is an expression.
    if (!st.forInits.has(node) && code[node.end - 1] !== ';') insert(node.end, ';');
  }

  // `class C {}` becomes `C=class C {};`: the class keeps its inner binding
  // and its name, and the global is assigned where the declaration was.
  for (const node of ast.body) {
    if (node.type !== 'ClassDeclaration') continue;
    hoist(node.id.name);
    insert(node.start, `${node.id.name}=`);
    insert(node.end, ';');
  }

  // The last statement, ignoring empty ones, gives the completion value:
  // with the wrapper, the Promise's value when it is an expression statement.
  // Without it, a class (now an assignment) or function declaration there
  // is followed by `void 0;`, so that a declaration gives undefined, as
  // `let` and `var` (now `void (...)`) do.
  for (let i = ast.body.length - 1; i >= 0; i--) {
    const node = ast.body[i];
    if (node.type === 'EmptyStatement') continue;
    if (wrap && node.type === 'ExpressionStatement') {
      insert(node.start, 'return (');
      insert(node.expression.end, ')');
    } else if (!wrap && (node.type === 'ClassDeclaration' || node.type === 'FunctionDeclaration')) {
      insert(node.end, 'void 0;');
    }
    break;
  }

  // Without the wrapper, the hoisted `var`s go after the directive prologue,
  // which must stay first; they are inserted ahead of every other edit there.
  if (!wrap && hoisted.length > 0) {
    edits.push({ start: bodyStart, end: bodyStart, text: `${bodyStart > 0 ? ';' : ''}var ${hoisted.join(', ')};`, seq: -1 });
  }

  // A hashbang comment is only valid at the very start of a script; after
  // the wrapper or the mark it is turned into an ordinary line comment.
  if (code.startsWith('#!')) edit(0, 2, '//');

  edits.sort((a, b) => a.start - b.start || a.seq - b.seq);
  let out = '';
  let cursor = 0;
  for (const e of edits) {
    out += code.slice(cursor, e.start) + e.text;
    cursor = Math.max(cursor, e.end);
  }
  out += code.slice(cursor);

  // A comment keeps a directive prologue that follows it a prologue.
  if (!wrap) return SESSION_SYNC_MARK + out;
  const prefix = (hoisted.length > 0 ? `var ${hoisted.join(', ')}; ` : '') + '(async () => {';
  // The closing part goes on a line of its own, so that a line comment at the
  // end of the code cannot swallow it.
  return `${prefix}${out}\n})()`;
}

// Compiles a TypeScript or ES module source to CommonJS JavaScript, for the
// runtime's module loader (host.transpile): `import`/`export` become
// require() and exports (import() becomes a promise of require()), types are
// stripped when options.typescript is true, JSX is compiled for .jsx/.tsx
// files. Line numbers are kept, so errors point at the original line. Newer
// syntax is left alone (the engine has it). On a syntax error, throws a
// SyntaxError "FILENAME: MESSAGE (LINE:COLUMN)" with `line` and `column`
// (1-based) properties.
// The tools context lives as long as the worker, so this cache makes a
// warm worker's second transpilation of the same file free. Keyed by the
// whole input (file name, options and source: the content, not a hash of
// it, so no collision can serve the wrong code); at most TRANSPILE_CACHE
// entries and TRANSPILE_CACHE_BYTES of sources, least recently used first out.
const TRANSPILE_CACHE = 512;
const TRANSPILE_CACHE_BYTES = 16 << 20;
const transpiled = new Map();
let transpiledBytes = 0;

export function transpile(source, filename = 'input.js', options = {}) {
  const typescript = Boolean(options && options.typescript);
  const key = `${typescript ? 't' : 'j'}\0${filename}\0${source}`;
  const hit = transpiled.get(key);
  if (hit !== undefined) {
    transpiled.delete(key);
    transpiled.set(key, hit);
    return hit;
  }
  const out = transpileUncached(`${source}`, filename, typescript);
  transpiled.set(key, out);
  transpiledBytes += key.length + out.length;
  while (transpiled.size > TRANSPILE_CACHE || transpiledBytes > TRANSPILE_CACHE_BYTES) {
    const [oldKey, oldOut] = transpiled.entries().next().value;
    transpiled.delete(oldKey);
    transpiledBytes -= oldKey.length + oldOut.length;
  }
  return out;
}

export function transpileCacheSize() {
  return transpiled.size;
}

// TypeScript that sucrase compiles wrongly: it drops a value namespace
// (`namespace N { export const x = 1 }`) without a word, and passes
// decorators, `accessor` fields and `using` declarations through to an engine
// that has none of them. A TypeScript source in which one of these may appear
// goes to TypeScript's own transpileModule instead, as does one that sucrase
// refuses. The patterns look for each construct where a statement or member
// starts, so that prose in comments ("using a cache", a JSDoc `* @param`, an
// e-mail address) does not match; a false match (the same text in a string)
// only costs time. A comment `// @experimentalDecorators: true` (the form of
// TypeScript's own test cases) selects the older decorators, as that
// compiler option would.
const NEEDS_TSC = new RegExp([
  // namespace N { / export declare module A.B {
  String.raw`^[ \t]*(?:export[ \t]+)?(?:declare[ \t]+)?(?:namespace|module)[ \t]+[\w$.]+[ \t]*\{`,
  // @dec at a line's start, or after ( , { ; (a member or parameter decorator)
  String.raw`(?:^[ \t]*|[({,;][ \t]*)@[A-Za-z_$]`,
  // [static] accessor x
  String.raw`(?:^|[{;])[ \t]*(?:(?:static|public|private|protected|readonly|declare|override)[ \t]+)*accessor[ \t]+[#\w$[]`,
  // using x = / await using x =
  String.raw`\busing[ \t]+[\w$]+[ \t]*=`,
].join('|'), 'm');
const EXPERIMENTAL_DECORATORS = /^\s*\/\/\s*@experimentalDecorators\s*:\s*true\s*$/m;

// TypeScript's transpiler, evaluated in this context on first need by the
// host's loadTypeScript() (see src/worker/js/typescript.js); null when this
// build lacks it.
let typescriptTranspiler;
function tsc() {
  if (typescriptTranspiler === undefined) {
    const load = globalThis.loadTypeScript;
    const m = typeof load === 'function' ? load() : null;
    typescriptTranspiler = m && typeof m.transpile === 'function' ? m : null;
  }
  return typescriptTranspiler;
}

function transpileUncached(source, filename, typescript) {
  if (typescript && NEEDS_TSC.test(source) && tsc()) {
    return tsc().transpile(source, filename, { experimentalDecorators: EXPERIMENTAL_DECORATORS.test(source) });
  }
  try {
    return transpileSucrase(source, filename, typescript);
  } catch (e) {
    // TypeScript may know syntax that sucrase does not; when it refuses the
    // code too, sucrase's message (which keeps lines) is the one reported.
    if (!typescript || !tsc()) throw e;
    try {
      return tsc().transpile(source, filename, { experimentalDecorators: EXPERIMENTAL_DECORATORS.test(source) });
    } catch {
      throw e;
    }
  }
}

function transpileSucrase(source, filename, typescript) {
  // Loaded on first use, so that the top-level await rewrite alone does not
  // pay for evaluating sucrase.
  // eslint-disable-next-line global-require
  const { transform } = require('sucrase');
  const transforms = typescript ? ['typescript', 'imports'] : ['imports'];
  if (/\.[jt]sx$/.test(filename)) transforms.push('jsx');
  try {
    return transform(source, {
      transforms,
      filePath: filename,
      disableESTransforms: true,
      production: true,
      keepUnusedImports: false,
    }).code;
  } catch (e) {
    const message = `${e && e.message}`.replace(/^Error transforming [^:]*: /, '');
    const err = new SyntaxError(`${filename}: ${message}`);
    if (e && e.loc) {
      err.line = e.loc.line;
      err.column = e.loc.column + 1;
    }
    throw err;
  }
}

// Where a script's syntax error is, for the `rejected` outcome: JavaScriptCore
// reports the line of a syntax error but not its column. Returns
// {message, line, column} (1-based) or null when the code parses.
export function locateSyntaxError(code) {
  try {
    parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowAwaitOutsideFunction: true,
                  allowReturnOutsideFunction: false, allowHashBang: true });
    return null;
  } catch (e) {
    if (!e || !e.loc) return null;
    return { message: String(e.message).replace(/ \(\d+:\d+\)$/, ''), line: e.loc.line, column: e.loc.column + 1 };
  }
}
