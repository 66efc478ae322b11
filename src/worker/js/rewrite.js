// The acorn half of tools.js, bundled on its own (a third of the size, and
// of the time a worker takes to load it): what every session snippet, every
// top-level await and every syntax error's column needs, without sucrase,
// which only TypeScript and ES modules need (the tools bundle).
export { rewriteTopLevelAwait, rewriteSession, locateSyntaxError } from './tools.js';
