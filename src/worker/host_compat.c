/* host_compat — what the engine does differently from V8 in a way code
 * sees, made V8's in every context (engine.c install_common calls
 * host_compat_install): a script compiled once per engine, evaluated per
 * context, and handed the global object. */
#include "worker/engine_internal.h"

/* Two places where what JavaScriptCore does differs from V8 in a way code
 * sees: dates and JSON.parse's messages.
 *
 * V8 (and so Node) reads an ISO date whose day is past its month's end
 * but at most 31 ("2020-02-30", "2021-04-31T10:00") by rolling it over to
 * the next month; JavaScriptCore makes it an Invalid Date. Date is wrapped
 * so that such a string (and only one JSC refuses) goes V8's way, in
 * `new Date(s)` and `Date.parse(s)`; everything else is the engine's own
 * Date, whose prototype, statics and subclassing stay as they are. */
static const char lenient_date_src[] =
	"(function (g) {\n"
	"  'use strict';\n"
	"  const D = g.Date, parse = D.parse, J = g.JSON, jparse = J.parse, dp = Object.defineProperty;\n"
	"  function realizeDate() {\n"
	"  const ISO = /^([+-]\\d{6}|\\d{4})-(\\d{2})-(\\d{2})(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?(Z|[+-]\\d{2}:\\d{2})?)?$/;\n"
	"  function lenient(s) {\n"
	"    const m = ISO.exec(s);\n"
	"    if (!m || +m[3] < 29 || +m[3] > 31) return NaN;\n"
	"    const y = +m[1], mo = +m[2] - 1, d = +m[3], h = +(m[4] || 0), mi = +(m[5] || 0), sec = +(m[6] || 0);\n"
	"    const ms = m[7] ? +(m[7] + '00').slice(0, 3) : 0;\n"
	"    if (mo > 11 || h > 24 || mi > 59 || sec > 59 || (h === 24 && (mi || sec || ms))) return NaN;\n"
	"    if (m[4] !== undefined && m[8] === undefined) return new D(y, mo, d, h, mi, sec, ms).getTime();\n"
	"    let off = 0;\n"
	"    if (m[8] && m[8] !== 'Z') off = (m[8][0] === '-' ? -1 : 1) * (+m[8].slice(1, 3) * 60 + +m[8].slice(4, 6)) * 60000;\n"
	"    const t = new D(0); t.setUTCFullYear(y, mo, d); t.setUTCHours(h, mi, sec, ms);\n"
	"    return t.getTime() - off;\n"
	"  }\n"
	"  const Date = function Date(...args) {\n"
	"    if (new.target === undefined) return D();\n"
	"    if (args.length === 1 && typeof args[0] === 'string' && parse(args[0]) !== parse(args[0])) {\n"
	"      const t = lenient(args[0]);\n"
	"      if (t === t) return Reflect.construct(D, [t], new.target);\n"
	"    }\n"
	"    return Reflect.construct(D, args, new.target);\n"
	"  };\n"
	"  Object.defineProperty(Date, 'prototype', { value: D.prototype, writable: false, enumerable: false, configurable: false });\n"
	"  Object.defineProperty(Date, 'length', { value: 7, configurable: true });\n"
	"  Object.defineProperty(Date, 'now', { value: D.now, writable: true, configurable: true });\n"
	"  Object.defineProperty(Date, 'UTC', { value: D.UTC, writable: true, configurable: true });\n"
	"  Object.defineProperty(Date, 'parse', { value: { parse(s) { const t = parse(s); return t === t ? t : lenient(`${s}`); } }.parse, writable: true, configurable: true });\n"
	"  Object.defineProperty(D.prototype, 'constructor', { value: Date, writable: true, configurable: true });\n"
	"  Object.defineProperty(g, 'Date', { value: Date, writable: true, configurable: true });\n"
	"  return Date;\n"
	"  }\n"
	"  function realizeJson() {\n"
	/* JSON.parse's SyntaxError says what V8's says ("Expected property
	 * name or '}' in JSON at position 1"), found by a validator that runs
	 * only when the engine's parse failed; the error is the engine's own. */
	"  function jsonMessage(s) {\n"
	"    const n = s.length;\n"
	"    let i = 0;\n"
	"    const special = s === 'NaN' || s === 'Infinity' || s === 'undefined' || s === '[object Object]';\n"
	"    const Fail = function (m) { this.m = m; };\n"
	"    const at = (msg, p) => new Fail(`${msg} in JSON at position ${p}`);\n"
	"    const token = (p) => {\n"
	"      if (p >= n) return new Fail('Unexpected end of JSON input');\n"
	"      if (special) return new Fail(`\"${s}\" is not valid JSON`);\n"
	"      let ctx;\n"
	"      if (n < 21) ctx = `\"${s}\"`;\n"
	"      else if (p < 10) ctx = `\"${s.slice(0, p + 10)}\"...`;\n"
	"      else if (p < n - 10) ctx = `...\"${s.slice(p - 10, p + 10)}\"...`;\n"
	"      else ctx = `...\"${s.slice(p - 10)}\"`;\n"
	"      return new Fail(`Unexpected token '${s[p]}', ${ctx} is not valid JSON`);\n"
	"    };\n"
	"    const digit = (c) => c >= '0' && c <= '9';\n"
	"    const ws = () => { while (i < n && (s[i] === ' ' || s[i] === '\\t' || s[i] === '\\n' || s[i] === '\\r')) i++; };\n"
	"    const str = () => {\n"
	"      for (i++; ; ) {\n"
	"        if (i >= n) throw at('Unterminated string', i);\n"
	"        const c = s.charCodeAt(i);\n"
	"        if (c === 34) { i++; return; }\n"
	"        if (c === 92) {\n"
	"          i++;\n"
	"          if (i >= n) throw token(n);\n"
	"          if ('\"\\\\/bfnrt'.includes(s[i])) { i++; continue; }\n"
	"          if (s[i] !== 'u') throw at('Bad escaped character', i);\n"
	"          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(s[i + k] || '')) throw at('Bad Unicode escape', i + k);\n"
	"          i += 5;\n"
	"          continue;\n"
	"        }\n"
	"        if (c < 32) throw at('Bad control character in string literal', i);\n"
	"        i++;\n"
	"      }\n"
	"    };\n"
	"    const num = () => {\n"
	"      if (s[i] === '-') { i++; if (!digit(s[i])) throw at('No number after minus sign', i); }\n"
	"      if (s[i] === '0') { i++; if (digit(s[i])) throw at('Unexpected number', i); } else while (digit(s[i])) i++;\n"
	"      if (s[i] === '.') { i++; if (!digit(s[i])) throw at('Unterminated fractional number', i); while (digit(s[i])) i++; }\n"
	"      if (s[i] === 'e' || s[i] === 'E') {\n"
	"        i++;\n"
	"        if (s[i] === '+' || s[i] === '-') i++;\n"
	"        if (!digit(s[i])) throw at('Exponent part is missing a number', i);\n"
	"        while (digit(s[i])) i++;\n"
	"      }\n"
	"    };\n"
	"    const value = () => {\n"
	"      ws();\n"
	"      if (i >= n) throw token(i);\n"
	"      const c = s[i];\n"
	"      if (c === '{') {\n"
	"        i++; ws();\n"
	"        if (s[i] === '}') { i++; return; }\n"
	"        if (s[i] !== '\"') throw at(\"Expected property name or '}'\", i);\n"
	"        str(); ws();\n"
	"        if (s[i] !== ':') throw at(\"Expected ':' after property name\", i);\n"
	"        i++; value();\n"
	"        for (;;) {\n"
	"          ws();\n"
	"          if (s[i] === '}') { i++; return; }\n"
	"          if (s[i] !== ',') throw at(\"Expected ',' or '}' after property value\", i);\n"
	"          i++; ws();\n"
	"          if (s[i] !== '\"') throw at('Expected double-quoted property name', i);\n"
	"          str(); ws();\n"
	"          if (s[i] !== ':') throw token(i);\n"
	"          i++; value();\n"
	"        }\n"
	"      }\n"
	"      if (c === '[') {\n"
	"        i++; ws();\n"
	"        if (s[i] === ']') { i++; return; }\n"
	"        value();\n"
	"        for (;;) {\n"
	"          ws();\n"
	"          if (s[i] === ']') { i++; return; }\n"
	"          if (s[i] !== ',') throw at(\"Expected ',' or ']' after array element\", i);\n"
	"          i++; value();\n"
	"        }\n"
	"      }\n"
	"      if (c === '\"') return str();\n"
	"      if (c === '-' || digit(c)) return num();\n"
	"      for (const lit of ['true', 'false', 'null']) {\n"
	"        if (c !== lit[0]) continue;\n"
	"        for (let k = 1; k < lit.length; k++) if (s[i + k] !== lit[k]) throw token(i + k);\n"
	"        i += lit.length;\n"
	"        return;\n"
	"      }\n"
	"      throw token(i);\n"
	"    };\n"
	"    try {\n"
	"      value(); ws();\n"
	"      if (i < n) throw new Fail(`Unexpected non-whitespace character after JSON at position ${i}`);\n"
	"    } catch (f) {\n"
	"      if (f instanceof Fail) return f.m;\n"
	"      throw f;\n"
	"    }\n"
	"    return null;\n"
	"  }\n"
	"  Object.defineProperty(J, 'parse', { value: { parse(text, reviver) {\n"
	"    try {\n"
	"      return arguments.length > 1 ? jparse(text, reviver) : jparse(text);\n"
	"    } catch (e) {\n"
	"      if (e !== null && typeof e === 'object' && e.name === 'SyntaxError') {\n"
	"        let m = null;\n"
	"        try { m = jsonMessage(`${text}`); } catch {}\n"
	"        if (m) { try { Object.defineProperty(e, 'message', { value: m, writable: true, configurable: true }); } catch {} }\n"
	"      }\n"
	"      throw e;\n"
	"    }\n"
	"  } }.parse, writable: true, configurable: true });\n"
	"  return J.parse;\n"
	"  }\n"
	/* Both are made on first use: a context whose code never reads Date
	 * or JSON.parse pays for two accessors only. */
	"  dp(g, 'Date', { configurable: true, enumerable: false, get: () => realizeDate(),\n"
	"    set: (v) => dp(g, 'Date', { value: v, writable: true, configurable: true }) });\n"
	"  dp(J, 'parse', { configurable: true, enumerable: false, get: () => realizeJson(),\n"
	"    set: (v) => dp(J, 'parse', { value: v, writable: true, configurable: true }) });\n"
	"})";

void host_compat_install(struct exec *x, JSObjectRef global)
{
	struct engine *e = x->eng;
	if (!e->date_script) {
		JSStringRef src = JSStringCreateWithUTF8CString(lenient_date_src);
		JSStringRef url = JSStringCreateWithUTF8CString("corral:compat");
		e->date_script = JSScriptCreateFromString(e->group, url, 1, src, NULL, NULL);
		JSStringRelease(src);
		JSStringRelease(url);
		if (!e->date_script)
			return;
	}
	JSValueRef exc = NULL;
	JSValueRef fn = JSScriptEvaluate(x->ctx, e->date_script, NULL, &exc);
	if (fn && !exc && JSValueIsObject(x->ctx, fn))
		JSObjectCallAsFunction(x->ctx, (JSObjectRef)fn, NULL, 1, (JSValueRef *)&global, &exc);
}

