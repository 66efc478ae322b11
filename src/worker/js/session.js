// Session state: the bindings a session's snippets leave on the global
// object, saved as JSON text after each snippet and restored into a fresh
// context when the session's worker is gone.
//
// The engine evaluates this bundle in the session's context after the
// runtime's globals are installed and before any user code, keeps the
// exports object, and calls:
//
//   init(globalObject)  once, first: records the baseline, every own key the
//                       global object has now (the runtime's, not the user's).
//   restore(json)       then, in a fresh context that continues a session:
//                       defines the stored bindings. Returns how many.
//   snapshot(maxBytes)  after each snippet: the user's bindings, every own
//                       string-keyed property of the global object that is
//                       not in the baseline, as JSON text.
//
// Every built-in this module uses is captured when the bundle is evaluated,
// and it never reaches one through an object user code can change: no method
// lookups on prototypes, no iteration protocol (no for-of, spread or array
// destructuring), no [[Set]] on objects that could inherit a setter (internal
// records have a null prototype; arrays and objects are filled with
// defineProperty and null-prototype descriptors). So a snippet that replaces
// or poisons Object.keys, Map.prototype.forEach, JSON.stringify,
// Array.prototype[Symbol.iterator] or sets accessors on Object.prototype
// changes nothing here. User code does run while a snapshot reads nested
// values (getters, Proxy traps), as it does in structuredClone; what it
// throws fails that binding only. Global accessors are never called.
//
// The snapshot, {"v":1,"vars":[ENTRY...]} (plus "omitted":N when N entries
// did not fit under maxBytes at all), lists the bindings sorted by name:
//
//   {"name":NAME,"type":TYPE,"persisted":true,"value":ENC}
//   {"name":NAME,"type":TYPE,"persisted":false,"reason":TEXT}
//
// TYPE is "undefined", "null", "boolean", "number", "bigint", "string",
// "symbol", "function", "class", "object" (a plain object), "Array", "Map",
// "Set", "Date", "RegExp", an error's name, "ArrayBuffer", "DataView", a
// typed array's name, "Number"/"String"/"Boolean"/"BigInt" (boxed), "Promise",
// another constructor's name, or "accessor" (a global getter/setter pair).
//
// ENC, the value encoding, is JSON:
//
//   "text" | 12.5 | true | false | null      strings, finite numbers other
//                                            than -0, booleans, null: as is
//                                            (an integer past 2^53 with ".0")
//   ["u"]                                    undefined
//   ["n","NaN"|"Infinity"|"-Infinity"|"-0"]  the other numbers
//   ["i","-123"]                             a BigInt, in decimal
//   ["w",["ab",0,"c",55296]]                 a string holding a NUL or a lone
//                                            surrogate, which strict JSON
//                                            parsers refuse: its other runs
//                                            as strings, those code units as
//                                            numbers (also for keys and a
//                                            RegExp's source)
//   ["@",ID]                                 an object met before: a shared
//                                            reference or a cycle
//
// and for objects, each with an ID (0, 1, 2... in the order met, counted
// across the whole snapshot, so two bindings can share an object):
//
//   ["o",ID,PAIRS]           a plain object (prototype Object.prototype)
//   ["O",ID,PAIRS]           a plain object with a null prototype
//   ["a",ID,[ENC...]]        an array without holes, or
//   ["a",ID,[ENC...],PAIRS]  one that also has other (non-index) properties
//   ["A",ID,LENGTH,PAIRS]    an array with holes: PAIRS holds the index keys
//                            present and any others
//   ["m",ID,[[ENC,ENC]...]]  a Map: [key, value] in insertion order
//   ["s",ID,[ENC...]]        a Set
//   ["d",ID,TIME]            a Date: its time value, or null when invalid
//   ["r",ID,SOURCE,FLAGS,ENC]  a RegExp, ENC its lastIndex
//   ["B",ID,BASE64]          an ArrayBuffer, or
//   ["B",ID,BASE64,MAX]      a resizable one with its maxByteLength
//   ["t",ID,KIND,BUF,OFFSET,LENGTH]  a typed array (KIND "Uint8Array"...) on
//                            the ArrayBuffer BUF (["B",...] or ["@",ID])
//   ["v",ID,BUF,OFFSET,BYTELENGTH]   a DataView
//   ["e",ID,KIND,OWN,PAIRS]  an error; KIND is the built-in constructor
//                            (Error, TypeError, ... AggregateError) whose
//                            prototype it has, OWN the [key, ENC] pairs of the
//                            own properties name, message, stack, cause,
//                            errors, line, column and sourceURL it has, PAIRS
//                            its other enumerable ones
//   ["x",ID,ENC]             a Number, String, Boolean or BigInt object
//
// PAIRS is [[KEY,ENC]...] over the own enumerable string keys, in their own
// order, so that "__proto__" is an ordinary key; KEY is a string or a ["w"]
// form. A binding whose name needs the ["w"] form is omitted. An object's ID is assigned
// before its contents are encoded, so a nested ["@",ID] can point back at it.
//
// Not stored (persisted:false, with the reason): functions and classes,
// symbols, Promises, WeakMaps, WeakSets, WeakRefs, FinalizationRegistries,
// instances of any other prototype (user classes included), the global
// object, and any value that holds one of these somewhere ("cfg.handlers[2]
// is a function"); a value nested more than MAX_DEPTH levels; a value whose
// encoding does not fit under maxBytes; a value whose reading throws.
// restore() defines each of these as an accessor that throws a
// ReferenceError naming the reason when read, and that turns into a plain
// data property when assigned, so running the defining code again works.
// snapshot() carries such a placeholder over, unread, while it is unassigned.

const MAX_DEPTH = 1000;
const MAX_REASON = 300;
const MAX_TYPE = 100;
const MAX_PATH = 200;

// --- intrinsics, captured before any user code runs -------------------------

const ObjectCtor = Object;
const ObjectPrototype = Object.prototype;
const ObjectKeys = Object.keys;
const ArrayCtor = Array;
const ArrayPrototype = Array.prototype;
const ArrayIsArray = Array.isArray;
const {
  apply: ReflectApply,
  defineProperty: ReflectDefineProperty,
  deleteProperty: ReflectDeleteProperty,
  getOwnPropertyDescriptor: ReflectGetOwnPropertyDescriptor,
  getPrototypeOf: ReflectGetPrototypeOf,
  ownKeys: ReflectOwnKeys,
  setPrototypeOf: ReflectSetPrototypeOf,
} = Reflect;
const JSONStringify = JSON.stringify;
const JSONParse = JSON.parse;
const MathFloor = Math.floor;
const BigIntCtor = BigInt;
const TypeErrorCtor = TypeError;
const ReferenceErrorCtor = ReferenceError;
const global = globalThis;

// uncurry(Map.prototype.get)(map, key) calls the original method, whatever
// Map.prototype.get or Function.prototype.call have become since.
const uncurry = (fn) => ReflectApply(Function.prototype.bind, Function.prototype.call, [fn]);
const getter = (proto, key) => {
  const d = ReflectGetOwnPropertyDescriptor(proto, key);
  return d && d.get ? uncurry(d.get) : null;
};

const hasOwn = uncurry(ObjectPrototype.hasOwnProperty);
const FunctionToString = uncurry(Function.prototype.toString);
const StringSlice = uncurry(String.prototype.slice);
const StringCharCodeAt = uncurry(String.prototype.charCodeAt);
const StringFromCharCode = String.fromCharCode;
const ArraySort = uncurry(ArrayPrototype.sort);
const RegExpExec = uncurry(RegExp.prototype.exec);

const MapCtor = Map;
const MapPrototype = Map.prototype;
const MapGet = uncurry(MapPrototype.get);
const MapSet = uncurry(MapPrototype.set);
const MapDelete = uncurry(MapPrototype.delete);
const MapForEach = uncurry(MapPrototype.forEach);
const MapSize = getter(MapPrototype, 'size');
const SetCtor = Set;
const SetPrototype = Set.prototype;
const SetAdd = uncurry(SetPrototype.add);
const SetForEach = uncurry(SetPrototype.forEach);
const SetSize = getter(SetPrototype, 'size');

const DateCtor = Date;
const DateGetTime = uncurry(Date.prototype.getTime);

const RegExpCtor = RegExp;
const RegExpSource = getter(RegExp.prototype, 'source');
// [getter, flag] in the order of RegExp.prototype.flags.
const REGEXP_FLAGS = [];
{
  const names = [['hasIndices', 'd'], ['global', 'g'], ['ignoreCase', 'i'], ['multiline', 'm'], ['dotAll', 's'],
    ['unicode', 'u'], ['unicodeSets', 'v'], ['sticky', 'y']];
  for (let i = 0; i < names.length; i++) {
    const g = getter(RegExp.prototype, names[i][0]);
    if (g) REGEXP_FLAGS[REGEXP_FLAGS.length] = [g, names[i][1]];
  }
}

const ArrayBufferCtor = ArrayBuffer;
const ArrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const ArrayBufferResizable = getter(ArrayBuffer.prototype, 'resizable');
const ArrayBufferMaxByteLength = getter(ArrayBuffer.prototype, 'maxByteLength');
const Uint8ArrayCtor = Uint8Array;
const TypedArrayPrototype = ReflectGetPrototypeOf(Uint8Array.prototype);
const SymbolToStringTag = Symbol.toStringTag;
const TypedArrayTag = getter(TypedArrayPrototype, SymbolToStringTag);
const TypedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
const TypedArrayByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const TypedArrayLength = getter(TypedArrayPrototype, 'length');
const DataViewCtor = DataView;
const DataViewBuffer = getter(DataView.prototype, 'buffer');
const DataViewByteOffset = getter(DataView.prototype, 'byteOffset');
const DataViewByteLength = getter(DataView.prototype, 'byteLength');

const NumberValueOf = uncurry(Number.prototype.valueOf);
const StringValueOf = uncurry(String.prototype.valueOf);
const BooleanValueOf = uncurry(Boolean.prototype.valueOf);
const BigIntValueOf = uncurry(BigInt.prototype.valueOf);
const SymbolValueOf = uncurry(Symbol.prototype.valueOf);

// What an object is, by its prototype: K_* below. Filled at evaluation.
const K_NONE = 0; // not storable; st.cdesc says why
const K_PLAIN = 1;
const K_NULL = 2;
const K_ARRAY = 3;
const K_MAP = 4;
const K_SET = 5;
const K_DATE = 6;
const K_REGEXP = 7;
const K_BUFFER = 8;
const K_TYPED = 9;
const K_VIEW = 10;
const K_ERROR = 11;
const K_BOXED = 12;
const K_REFUSED = 13; // a built-in that cannot be stored: Promise, WeakMap...

const KINDS = new MapCtor(); // prototype -> [K_*, name]
const TYPED = { __proto__: null }; // typed array name -> constructor
const ERRORS = { __proto__: null }; // error constructor name -> constructor
{
  const put = (proto, kind, name) => MapSet(KINDS, proto, [kind, name]);
  put(ArrayPrototype, K_ARRAY, 'Array');
  put(MapPrototype, K_MAP, 'Map');
  put(SetPrototype, K_SET, 'Set');
  put(Date.prototype, K_DATE, 'Date');
  put(RegExp.prototype, K_REGEXP, 'RegExp');
  put(ArrayBuffer.prototype, K_BUFFER, 'ArrayBuffer');
  put(DataView.prototype, K_VIEW, 'DataView');
  put(Number.prototype, K_BOXED, 'Number');
  put(String.prototype, K_BOXED, 'String');
  put(Boolean.prototype, K_BOXED, 'Boolean');
  put(BigInt.prototype, K_BOXED, 'BigInt');
  const typed = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
    'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
  for (let i = 0; i < typed.length; i++) {
    const ctor = global[typed[i]];
    if (typeof ctor !== 'function') continue;
    TYPED[typed[i]] = ctor;
    put(ctor.prototype, K_TYPED, typed[i]);
  }
  const errors = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
    'AggregateError'];
  for (let i = 0; i < errors.length; i++) {
    const ctor = global[errors[i]];
    if (typeof ctor !== 'function') continue;
    ERRORS[errors[i]] = ctor;
    put(ctor.prototype, K_ERROR, errors[i]);
  }
  const refused = ['Promise', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Symbol'];
  for (let i = 0; i < refused.length; i++) {
    const ctor = global[refused[i]];
    if (typeof ctor === 'function') put(ctor.prototype, K_REFUSED, refused[i]);
  }
}
// The own properties of an error that the ["e"] form keeps, non-enumerable
// (JavaScriptCore gives errors line, column and sourceURL).
const ERROR_OWN = ['name', 'message', 'stack', 'cause', 'errors', 'line', 'column', 'sourceURL'];

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_VALUE[StringCharCodeAt(B64, i)] = i;

const NON_ASCII = /[^\x00-\x7f]/;
// A code unit that JSON can carry but strict parsers refuse (jansson, which
// the supervisor checks snapshots with, refuses "\u0000" and lone
// surrogates): the ["w"] form keeps such strings out of the JSON text.
const AWKWARD = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const CLASS_NEXT = /^[\s{/]$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const PLAIN_INTEGER = /^-?[0-9]+$/;

// --- state ------------------------------------------------------------------

let G = null; // the global object, once init() has run
// { name: true } for the global's own string keys at init(), less the names
// restore() defines. Symbol keys are never listed, so none are recorded.
let baseline = null;
let placeholders = null; // Map: a placeholder's getter -> {type, reason}

// A null-prototype data property descriptor, reused: its `value` is set
// right before each defineProperty call and cleared after.
const DATA = { __proto__: null, value: undefined, writable: true, enumerable: true, configurable: true };
const HIDDEN = { __proto__: null, value: undefined, writable: true, enumerable: false, configurable: true };

function define(obj, key, value) {
  DATA.value = value;
  const ok = ReflectDefineProperty(obj, key, DATA);
  DATA.value = undefined;
  return ok;
}

function defineHidden(obj, key, value) {
  HIDDEN.value = value;
  const ok = ReflectDefineProperty(obj, key, HIDDEN);
  HIDDEN.value = undefined;
  return ok;
}

function append(arr, value) {
  define(arr, arr.length, value);
}

function notInitialized(what) {
  return new TypeErrorCtor(`session: ${what}() was called before init()`);
}

// --- init -------------------------------------------------------------------

// Records the baseline, every own key of globalObject now, and forgets any
// earlier init() and its placeholders: call it once per context, before
// restore() and before any user code. Returns nothing.
export function init(globalObject) {
  if (globalObject === null || (typeof globalObject !== 'object' && typeof globalObject !== 'function')) {
    throw new TypeErrorCtor('session: init() needs the global object');
  }
  G = globalObject;
  baseline = { __proto__: null };
  placeholders = new MapCtor();
  const keys = ReflectOwnKeys(G);
  for (let i = 0; i < keys.length; i++) if (typeof keys[i] === 'string') baseline[keys[i]] = true;
}

// --- snapshot ---------------------------------------------------------------

// Thrown (never seen by user code) to unwind an encoding that failed; the
// failure itself is in the encoder's state.
const STOP = { __proto__: null };
const F_NOT_STORABLE = 1;
const F_THREW = 2;
const F_TOO_DEEP = 3;
const F_TOO_LARGE = 4;

function newState() {
  return {
    __proto__: null,
    memo: new MapCtor(), // object -> id
    objs: { __proto__: null }, // id -> object, to undo a failed binding
    nextId: 0,
    units: 0, // UTF-16 units produced so far for this binding, about
    limit: 0, // ... and the most it may reach
    type: null, // the top-level value's TYPE
    ckind: K_NONE, // classify()'s answer: kind, name, why not storable
    cname: '',
    cdesc: '',
    fail: 0, // F_*: why the encoding stopped
    failDesc: '',
    failError: undefined,
    path: '', // where, from the binding down
    pathCut: false,
    entryBytes: -1, // a persisted entry's UTF-8 length, once known
  };
}

function stop(st, fail, desc) {
  st.fail = fail;
  st.failDesc = desc;
  st.path = '';
  return STOP;
}

// On the way out of a container: an exception from user code becomes the
// binding's failure; the container's key is put in front of the path.
function unwind(st, e, segment) {
  if (e !== STOP) {
    st.fail = F_THREW;
    st.failError = e;
    st.path = '';
  }
  if (!st.pathCut) {
    st.path = segment + st.path;
    if (st.path.length > MAX_PATH) {
      st.path = `${StringSlice(st.path, 0, MAX_PATH)}…`;
      st.pathCut = true;
    }
  }
  return STOP;
}

function keySegment(key) {
  return RegExpExec(IDENTIFIER, key) !== null ? `.${key}` : `[${JSONStringify(key)}]`;
}

function grow(st, n) {
  st.units += n;
  if (st.units > st.limit) throw stop(st, F_TOO_LARGE, '');
}

function isClass(fn) {
  let src;
  try {
    src = FunctionToString(fn);
  } catch {
    return false;
  }
  // A method named `class` reads "class() {...}".
  return src.length > 5 && src[0] === 'c' && src[1] === 'l' && src[2] === 'a' && src[3] === 's' && src[4] === 's'
    && RegExpExec(CLASS_NEXT, src[5]) !== null;
}

// A description of an object of no storable kind, from its prototype chain
// (own data properties only: no getter runs). Sets st.cname and st.cdesc.
function describeOther(st, proto) {
  let p = proto;
  for (let i = 0; i < 50 && p !== null && p !== ObjectPrototype; i++) {
    const c = ReflectGetOwnPropertyDescriptor(p, 'constructor');
    if (c && hasOwn(c, 'value') && typeof c.value === 'function') {
      const n = ReflectGetOwnPropertyDescriptor(c.value, 'name');
      const name = n && hasOwn(n, 'value') && typeof n.value === 'string' ? n.value : '';
      if (name !== '') {
        st.cname = name;
        // A class of the runtime's, such as URL or Headers, is a global.
        const g = name in baseline ? ReflectGetOwnPropertyDescriptor(G, name) : undefined;
        if (g && hasOwn(g, 'value') && g.value === c.value) st.cdesc = `${article(name)} ${name} object`;
        else if (!isClass(c.value)) st.cdesc = `an instance of ${name}`;
        else if (hasMethods(p)) st.cdesc = `an instance of ${name} (a class with methods)`;
        else st.cdesc = `an instance of ${name} (a class)`;
        return;
      }
    }
    const t = ReflectGetOwnPropertyDescriptor(p, SymbolToStringTag);
    if (t && hasOwn(t, 'value') && typeof t.value === 'string' && t.value !== '') {
      st.cname = t.value;
      st.cdesc = `${article(t.value)} ${t.value} object`;
      return;
    }
    p = ReflectGetPrototypeOf(p);
  }
  st.cname = 'object';
  st.cdesc = 'an object whose prototype is not Object.prototype';
}

function article(word) {
  const c = word[0];
  return c === 'A' || c === 'E' || c === 'I' || c === 'O' || c === 'a' || c === 'e' || c === 'i' || c === 'o' ? 'an' : 'a';
}

function hasMethods(proto) {
  const keys = ReflectOwnKeys(proto);
  for (let i = 0; i < keys.length; i++) if (keys[i] !== 'constructor') return true;
  return false;
}

// What obj is: sets st.ckind (K_*), st.cname (its TYPE) and, for K_NONE,
// st.cdesc. Brand checks make sure that an object which only inherits from
// Map.prototype (say) is not taken for a Map.
function classify(st, obj) {
  st.cdesc = '';
  if (obj === G) {
    st.ckind = K_NONE;
    st.cname = 'object';
    st.cdesc = 'the global object';
    return;
  }
  const proto = ReflectGetPrototypeOf(obj);
  if (proto === ObjectPrototype || proto === null) {
    st.ckind = proto === null ? K_NULL : K_PLAIN;
    st.cname = 'object';
    return;
  }
  const known = MapGet(KINDS, proto);
  if (known === undefined) {
    st.ckind = K_NONE;
    describeOther(st, proto);
    return;
  }
  const kind = known[0];
  const name = known[1];
  st.ckind = kind;
  st.cname = name;
  let real = true;
  try {
    switch (kind) {
      case K_ARRAY: real = ArrayIsArray(obj); break;
      case K_MAP: MapSize(obj); break;
      case K_SET: SetSize(obj); break;
      case K_DATE: DateGetTime(obj); break;
      case K_REGEXP: RegExpSource(obj); break;
      case K_BUFFER: ArrayBufferByteLength(obj); break;
      case K_TYPED: real = TypedArrayTag(obj) === name; break;
      case K_VIEW: DataViewByteLength(obj); break;
      case K_BOXED:
        if (name === 'Number') NumberValueOf(obj);
        else if (name === 'String') StringValueOf(obj);
        else if (name === 'Boolean') BooleanValueOf(obj);
        else BigIntValueOf(obj);
        break;
      case K_REFUSED:
        st.ckind = K_NONE;
        if (name === 'Symbol') {
          SymbolValueOf(obj);
          st.cdesc = 'a Symbol object';
        } else {
          st.cdesc = `a ${name}`;
        }
        break;
      default: break;
    }
  } catch {
    real = false;
  }
  if (!real) {
    st.ckind = K_NONE;
    st.cname = 'object';
    st.cdesc = `an object that inherits from ${name}.prototype but is not ${article(name)} ${name}`;
  }
}

function encode(st, v, depth) {
  switch (typeof v) {
    case 'string':
      grow(st, v.length + 2);
      return encodeString(v);
    case 'number':
      if (v !== v) return '["n","NaN"]';
      if (v === Infinity) return '["n","Infinity"]';
      if (v === -Infinity) return '["n","-Infinity"]';
      if (v === 0 && 1 / v < 0) return '["n","-0"]';
      // An integer past 2^53 is written as a real ("1e+21" already is), so
      // that no C parser takes it for an integer that overflows.
      if (v >= 9007199254740992 || v <= -9007199254740992) {
        const t = `${v}`;
        return RegExpExec(PLAIN_INTEGER, t) !== null ? `${t}.0` : t;
      }
      return `${v}`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '["u"]';
    case 'bigint': {
      const s = `${v}`;
      grow(st, s.length + 8);
      return `["i","${s}"]`;
    }
    case 'symbol':
      throw stop(st, F_NOT_STORABLE, 'a symbol');
    case 'function':
      throw stop(st, F_NOT_STORABLE, isClass(v) ? 'a class' : 'a function');
    default:
      if (v === null) return 'null';
      return encodeObject(st, v, depth);
  }
}

function encodeObject(st, obj, depth) {
  const seen = MapGet(st.memo, obj);
  if (seen !== undefined) {
    if (depth === 0) {
      classify(st, obj);
      st.type = st.cname;
    }
    return `["@",${seen}]`;
  }
  if (depth >= MAX_DEPTH) throw stop(st, F_TOO_DEEP, '');
  classify(st, obj);
  const kind = st.ckind;
  const name = st.cname;
  if (depth === 0) st.type = name;
  if (kind === K_NONE) throw stop(st, F_NOT_STORABLE, st.cdesc);
  const id = st.nextId++;
  MapSet(st.memo, obj, id);
  st.objs[id] = obj;
  grow(st, 8);
  switch (kind) {
    case K_PLAIN: return `["o",${id},${encodePairs(st, obj, ObjectKeys(obj), 0, depth)}]`;
    case K_NULL: return `["O",${id},${encodePairs(st, obj, ObjectKeys(obj), 0, depth)}]`;
    case K_ARRAY: return encodeArray(st, obj, id, depth);
    case K_MAP: return encodeMap(st, obj, id, depth);
    case K_SET: return encodeSet(st, obj, id, depth);
    case K_DATE: {
      const t = DateGetTime(obj);
      return `["d",${id},${t === t ? `${t}` : 'null'}]`;
    }
    case K_REGEXP: return encodeRegExp(st, obj, id, depth);
    case K_BUFFER: return encodeBuffer(st, obj, id);
    case K_TYPED: {
      const buffer = TypedArrayBuffer(obj);
      const offset = TypedArrayByteOffset(obj);
      const length = TypedArrayLength(obj);
      return `["t",${id},"${name}",${encodeViewBuffer(st, buffer, depth)},${offset},${length}]`;
    }
    case K_VIEW: {
      const buffer = DataViewBuffer(obj);
      const offset = DataViewByteOffset(obj);
      const length = DataViewByteLength(obj);
      return `["v",${id},${encodeViewBuffer(st, buffer, depth)},${offset},${length}]`;
    }
    case K_ERROR: return encodeError(st, obj, id, name, depth);
    default: { // K_BOXED
      let p;
      if (name === 'Number') p = NumberValueOf(obj);
      else if (name === 'String') p = StringValueOf(obj);
      else if (name === 'Boolean') p = BooleanValueOf(obj);
      else p = BigIntValueOf(obj);
      return `["x",${id},${encode(st, p, depth + 1)}]`;
    }
  }
}

// The ArrayBuffer under a typed array or DataView at depth, as an object of
// its own (so views of one buffer share it by ID); a failure inside it is
// reported at the view's ".buffer".
function encodeViewBuffer(st, buffer, depth) {
  try {
    return encodeObject(st, buffer, depth + 1);
  } catch (e) {
    throw unwind(st, e, '.buffer');
  }
}

// [[KEY,ENC]...] for keys[from...] of obj, its own enumerable string keys,
// each read with [[Get]] as structuredClone reads them (a getter runs).
// skip(key), when given, leaves a key out; segmentOf(key) names the key in
// a failure's path (keySegment unless given).
function encodePairs(st, obj, keys, from, depth, skip, segmentOf) {
  let out = '[';
  let key = '';
  try {
    for (let i = from; i < keys.length; i++) {
      key = keys[i];
      if (skip !== undefined && skip(key)) continue;
      const value = obj[key];
      const k = encodeString(key);
      grow(st, k.length + 4);
      out += `${out.length > 1 ? ',' : ''}[${k},${encode(st, value, depth + 1)}]`;
    }
  } catch (e) {
    throw unwind(st, e, segmentOf !== undefined ? segmentOf(key) : keySegment(key));
  }
  return `${out}]`;
}

function isIndexKey(key) {
  const n = +key;
  return n >>> 0 === n && n !== 4294967295 && `${n}` === key;
}

// An array's key in a failure's path: an index as [i], other keys as
// keySegment has them.
function elementSegment(key) {
  return isIndexKey(key) ? `[${key}]` : keySegment(key);
}

function encodeArray(st, arr, id, depth) {
  const length = arr.length;
  if (typeof length !== 'number' || !(length >= 0 && length <= 4294967295) || MathFloor(length) !== length) {
    throw new TypeErrorCtor('an array with an invalid length');
  }
  const keys = ObjectKeys(arr);
  // Own keys list an array's indices first, in ascending order: when the
  // key at length - 1 is that index, all of 0..length-1 are there.
  if (keys.length >= length && (length === 0 || keys[length - 1] === `${length - 1}`)) {
    let out = `["a",${id},[`;
    let i = 0;
    try {
      for (; i < length; i++) {
        grow(st, 1);
        out += `${i > 0 ? ',' : ''}${encode(st, arr[i], depth + 1)}`;
      }
    } catch (e) {
      throw unwind(st, e, `[${i}]`);
    }
    if (keys.length === length) return `${out}]]`;
    return `${out}],${encodePairs(st, arr, keys, length, depth)}]`;
  }
  // With holes (or a Proxy's own order): every key as a pair.
  return `["A",${id},${length},${encodePairs(st, arr, keys, 0, depth, undefined, elementSegment)}]`;
}

function mapKeyText(key) {
  if (typeof key === 'string') return JSONStringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || key === null || key === undefined) return `${key}`;
  if (typeof key === 'bigint') return `${key}n`;
  return '…';
}

function encodeMap(st, map, id, depth) {
  let out = '';
  let n = 0;
  let segment = '';
  try {
    MapForEach(map, (value, key) => {
      segment = `.keys()[${n}]`;
      const k = encode(st, key, depth + 1);
      segment = `.get(${mapKeyText(key)})`;
      const v = encode(st, value, depth + 1);
      grow(st, 4);
      out += `${n > 0 ? ',' : ''}[${k},${v}]`;
      n++;
    });
  } catch (e) {
    throw unwind(st, e, segment);
  }
  return `["m",${id},[${out}]]`;
}

function encodeSet(st, set, id, depth) {
  let out = '';
  let n = 0;
  try {
    SetForEach(set, (value) => {
      grow(st, 1);
      out += `${n > 0 ? ',' : ''}${encode(st, value, depth + 1)}`;
      n++;
    });
  } catch (e) {
    throw unwind(st, e, `.values()[${n}]`);
  }
  return `["s",${id},[${out}]]`;
}

function encodeRegExp(st, re, id, depth) {
  const source = encodeString(RegExpSource(re));
  let flags = '';
  for (let i = 0; i < REGEXP_FLAGS.length; i++) if (REGEXP_FLAGS[i][0](re)) flags += REGEXP_FLAGS[i][1];
  grow(st, source.length + 12);
  let lastIndex;
  try {
    lastIndex = encode(st, re.lastIndex, depth + 1);
  } catch (e) {
    throw unwind(st, e, '.lastIndex');
  }
  return `["r",${id},${source},"${flags}",${lastIndex}]`;
}

function encodeBuffer(st, buffer, id) {
  const length = ArrayBufferByteLength(buffer);
  grow(st, 4 * MathFloor((length + 2) / 3));
  const max = ArrayBufferResizable !== null && ArrayBufferResizable(buffer) ? `,${ArrayBufferMaxByteLength(buffer)}` : '';
  return `["B",${id},"${base64Encode(new Uint8ArrayCtor(buffer, 0, length), length)}"${max}]`;
}

function encodeError(st, err, id, kind, depth) {
  let own = '[';
  let key = '';
  try {
    for (let i = 0; i < ERROR_OWN.length; i++) {
      key = ERROR_OWN[i];
      if (!hasOwn(err, key)) continue;
      if (key === 'name') {
        const n = err.name;
        if (typeof n === 'string' && depth === 0) st.type = n === '' ? kind : StringSlice(n, 0, MAX_TYPE);
        own += `${own.length > 1 ? ',' : ''}["name",${encode(st, n, depth + 1)}]`;
      } else {
        own += `${own.length > 1 ? ',' : ''}["${key}",${encode(st, err[key], depth + 1)}]`;
      }
    }
  } catch (e) {
    throw unwind(st, e, `.${key}`);
  }
  const rest = encodePairs(st, err, ObjectKeys(err), 0, depth, isErrorOwn);
  return `["e",${id},"${kind}",${own}],${rest}]`;
}

function isErrorOwn(key) {
  for (let i = 0; i < ERROR_OWN.length; i++) if (key === ERROR_OWN[i]) return true;
  return false;
}

function base64Encode(bytes, n) {
  let out = '';
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const t = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[t >> 18] + B64[(t >> 12) & 63] + B64[(t >> 6) & 63] + B64[t & 63];
  }
  if (n - i === 1) {
    const t = bytes[i] << 16;
    out += `${B64[t >> 18]}${B64[(t >> 12) & 63]}==`;
  } else if (n - i === 2) {
    const t = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += `${B64[t >> 18]}${B64[(t >> 12) & 63]}${B64[(t >> 6) & 63]}=`;
  }
  return out;
}

// The UTF-8 length of a string whose lone surrogates, if any, are escaped
// (as JSON.stringify leaves them): a pair counts 4, other units 1 to 3.
function utf8Length(s) {
  if (RegExpExec(NON_ASCII, s) === null) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = StringCharCodeAt(s, i);
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n;
}

// A thrown value as text, without running user code: a primitive as it is,
// an object by the name and message found as data properties on it or its
// prototypes.
function describeThrown(e) {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
    return typeof e === 'symbol' ? 'a symbol' : typeof e === 'string' ? JSONStringify(e) : `${e}`;
  }
  let name = '';
  let message = '';
  try {
    name = dataProperty(e, 'name');
    message = dataProperty(e, 'message');
  } catch {
    // A Proxy's trap threw: what is known so far is all there is.
  }
  if (typeof name !== 'string') name = '';
  if (typeof message !== 'string') message = '';
  if (name === '' && message === '') return 'an exception';
  return name === '' ? message : message === '' ? name : `${name}: ${message}`;
}

function dataProperty(obj, key) {
  let p = obj;
  for (let i = 0; i < 50 && p !== null; i++) {
    const d = ReflectGetOwnPropertyDescriptor(p, key);
    if (d) return hasOwn(d, 'value') ? d.value : undefined;
    p = ReflectGetPrototypeOf(p);
  }
  return undefined;
}

function clip(s, n) {
  return s.length > n ? `${StringSlice(s, 0, n - 1)}…` : s;
}

function entryNotPersisted(nameJSON, type, reason) {
  return `{"name":${nameJSON},"type":${text(clip(type, MAX_TYPE))},"persisted":false,"reason":${
    text(clip(reason, MAX_REASON))}}`;
}

// Calls fn(i, c), in order, for each code unit c (at index i) of s that
// AWKWARD stands for: a NUL, or a surrogate that is not half of a pair. One
// walk, so that encodeString and text agree on which units those are; the
// callers test AWKWARD first, which spares the walk for almost every string.
function forEachAwkward(s, fn) {
  for (let i = 0; i < s.length; i++) {
    const c = StringCharCodeAt(s, i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = StringCharCodeAt(s, i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) fn(i, c);
  }
}

// JSON text of a string: as JSON.stringify writes it, or, when it holds a
// NUL or a lone surrogate, ["w",PARTS]: its well-formed runs as strings and
// each such code unit as a number.
function encodeString(s) {
  if (RegExpExec(AWKWARD, s) === null) return JSONStringify(s);
  let out = '["w",[';
  let start = 0;
  const piece = (end) => {
    if (end > start) out += `${out.length > 6 ? ',' : ''}${JSONStringify(StringSlice(s, start, end))}`;
  };
  forEachAwkward(s, (i, c) => {
    piece(i);
    out += `${out.length > 6 ? ',' : ''}${c}`;
    start = i + 1;
  });
  piece(s.length);
  return `${out}]]`;
}

// JSON text of a string that is only shown (a type, a reason): each NUL or
// lone surrogate becomes U+FFFD.
function text(s) {
  if (RegExpExec(AWKWARD, s) === null) return JSONStringify(s);
  let out = '';
  let start = 0;
  forEachAwkward(s, (i) => {
    out += `${StringSlice(s, start, i)}\ufffd`;
    start = i + 1;
  });
  return JSONStringify(out + StringSlice(s, start, s.length));
}

// Returns the snapshot: JSON text {"v":1,"vars":[...]} of the user's
// bindings, at most maxBytes bytes of UTF-8 (no cap when maxBytes is not a
// positive number). A value that would go over is left out with a reason;
// an entry that cannot fit even without its value is omitted and counted in
// "omitted". Never throws once init() has run.
export function snapshot(maxBytes) {
  if (G === null) throw notInitialized('snapshot');
  const cap = typeof maxBytes === 'number' && maxBytes > 0 ? MathFloor(maxBytes) : Infinity;
  try {
    return snapshotUnder(cap);
  } catch (e) {
    // Not reached by design; an empty answer would lose the stored state.
    return `{"v":1,"vars":[],"error":${text(clip(describeThrown(e), MAX_REASON))}}`;
  }
}

function snapshotUnder(cap) {
  // The user's names, compacted in place in the array ownKeys made: each
  // store is to an index the array already has, so nothing inherited runs.
  const names = ReflectOwnKeys(G);
  let n = 0;
  for (let i = 0; i < names.length; i++) {
    const k = names[i];
    if (typeof k === 'string' && !(k in baseline)) names[n++] = k;
  }
  names.length = n;
  ArraySort(names);

  // The envelope, and room for the ',"omitted":N' that may end it.
  const head = '{"v":1,"vars":[';
  const envelope = head.length + 2 + 24;
  let used = envelope;
  let out = head;
  let count = 0;
  let omitted = 0;
  const st = newState();

  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const desc = ReflectGetOwnPropertyDescriptor(G, name);
    if (desc === undefined) continue;
    // A name that JSON text cannot carry safely (see AWKWARD) is left out.
    if (RegExpExec(AWKWARD, name) !== null) {
      omitted++;
      continue;
    }
    const nameJSON = JSONStringify(name);
    const comma = count > 0 ? 1 : 0;
    let entry;
    st.entryBytes = -1;
    if (hasOwn(desc, 'get')) {
      const ph = desc.get !== undefined ? MapGet(placeholders, desc.get) : undefined;
      entry = ph !== undefined
        ? entryNotPersisted(nameJSON, ph.type, ph.reason)
        : entryNotPersisted(nameJSON, 'accessor', 'an accessor property');
    } else {
      entry = encodeBinding(st, name, nameJSON, desc.value, cap, used + comma, used - envelope);
    }
    const bytes = (st.entryBytes >= 0 ? st.entryBytes : utf8Length(entry)) + comma;
    if (used + bytes > cap) {
      omitted++;
      continue;
    }
    out += comma ? `,${entry}` : entry;
    used += bytes;
    count++;
  }
  return omitted > 0 ? `${out}],"omitted":${omitted}}` : `${out}]}`;
}

// The entry for one binding that is a data property: persisted when its
// value encodes and the entry fits in cap - used bytes, else not, with the
// reason (others: the bytes other bindings already take). A binding that
// fails gives its object ids back.
function encodeBinding(st, name, nameJSON, value, cap, used, others) {
  const firstId = st.nextId;
  st.units = 0;
  st.limit = cap - used;
  st.type = null;
  st.fail = 0;
  st.path = '';
  st.pathCut = false;
  let enc = null;
  try {
    enc = encode(st, value, 0);
  } catch (e) {
    if (e !== STOP) {
      st.fail = F_THREW;
      st.failError = e;
      st.path = '';
    }
  }
  let type = st.type !== null ? st.type : value === null ? 'null' : typeof value;
  if (type === 'function' && st.fail === F_NOT_STORABLE && st.path === '' && st.failDesc === 'a class') type = 'class';
  let size = -1;
  if (enc !== null) {
    const entry = `{"name":${nameJSON},"type":${text(clip(type, MAX_TYPE))},"persisted":true,"value":${enc}}`;
    const bytes = utf8Length(entry);
    if (used + bytes <= cap) {
      st.entryBytes = bytes;
      return entry;
    }
    st.fail = F_TOO_LARGE;
    size = utf8Length(enc);
  }
  for (let id = firstId; id < st.nextId; id++) {
    MapDelete(st.memo, st.objs[id]);
    delete st.objs[id];
  }
  st.nextId = firstId;
  let reason;
  const where = name + st.path;
  switch (st.fail) {
    case F_NOT_STORABLE:
      reason = st.path === '' ? st.failDesc : `${where} is ${st.failDesc}`;
      break;
    case F_TOO_DEEP:
      reason = `nested more than ${MAX_DEPTH} levels deep`;
      break;
    case F_TOO_LARGE:
      reason = `too large to store (${size >= 0 ? size : `more than ${st.limit}`} bytes; the session state cap is ${cap}${
        others > 0 && (size < 0 || size <= cap) ? `, and other bindings take ${others} of it` : ''})`;
      break;
    default:
      reason = `reading ${where} threw ${describeThrown(st.failError)}`;
      break;
  }
  st.failError = undefined;
  return entryNotPersisted(nameJSON, type, reason);
}

// --- restore ----------------------------------------------------------------

function malformed(where, what) {
  return new TypeErrorCtor(`session state: ${where}: ${what}`);
}

function isIndex(n, max) {
  return typeof n === 'number' && n >= 0 && n <= max && MathFloor(n) === n;
}

// Defines the bindings of a snapshot on the global object: a persisted one
// as a data property with the decoded value, any other one as a
// placeholder accessor. Returns how many names it defined (both kinds). The
// whole snapshot is decoded before anything is defined: on malformed input
// it throws a TypeError "session state: WHERE: WHAT" and defines nothing.
export function restore(json) {
  if (G === null) throw notInitialized('restore');
  if (typeof json !== 'string') throw malformed('input', 'not a string');
  let doc;
  try {
    doc = JSONParse(json);
  } catch (e) {
    throw malformed('input', `not JSON (${describeThrown(e)})`);
  }
  if (doc === null || typeof doc !== 'object' || ArrayIsArray(doc)) throw malformed('input', 'not an object');
  if (!hasOwn(doc, 'v') || doc.v !== 1) throw malformed('v', 'not 1');
  if (!hasOwn(doc, 'vars') || !ArrayIsArray(doc.vars)) throw malformed('vars', 'not an array');
  const vars = doc.vars;
  const d = { __proto__: null, ids: { __proto__: null }, where: '' };
  const seen = { __proto__: null };
  const plan = [];
  for (let i = 0; i < vars.length; i++) {
    const where = `vars[${i}]`;
    const e = vars[i];
    if (e === null || typeof e !== 'object' || ArrayIsArray(e)) throw malformed(where, 'not an object');
    const name = hasOwn(e, 'name') ? e.name : undefined;
    if (typeof name !== 'string') throw malformed(where, 'no name');
    if (name in seen) throw malformed(where, `the name ${JSONStringify(name)} again`);
    seen[name] = true;
    d.where = `${where} (${clip(JSONStringify(name), 60)})`;
    const type = hasOwn(e, 'type') ? e.type : undefined;
    if (typeof type !== 'string') throw malformed(d.where, 'no type');
    const persisted = hasOwn(e, 'persisted') ? e.persisted : undefined;
    if (persisted === true) {
      if (!hasOwn(e, 'value')) throw malformed(d.where, 'no value');
      append(plan, { __proto__: null, name, persisted, value: decode(d, e.value, 0) });
    } else if (persisted === false) {
      const reason = hasOwn(e, 'reason') ? e.reason : undefined;
      if (typeof reason !== 'string') throw malformed(d.where, 'no reason');
      append(plan, { __proto__: null, name, persisted, type, reason });
    } else {
      throw malformed(d.where, 'persisted is not a boolean');
    }
  }
  let count = 0;
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i];
    const ok = p.persisted ? define(G, p.name, p.value) : placeholder(p.name, p.type, p.reason);
    if (!ok) continue;
    // A restored name is the user's, even one the runtime also defines.
    delete baseline[p.name];
    count++;
  }
  return count;
}

function placeholder(name, type, reason) {
  const message = `${name} could not be restored after the session's worker was restarted: ${
    reason}${reason[reason.length - 1] === '.' ? '' : '.'} Run the code that defines it again.`;
  const get = function () {
    throw new ReferenceErrorCtor(message);
  };
  const set = function (value) {
    define(G, name, value);
  };
  MapSet(placeholders, get, { __proto__: null, type, reason });
  return ReflectDefineProperty(G, name, { __proto__: null, get, set, enumerable: true, configurable: true });
}

function register(d, id, obj) {
  if (!isIndex(id, 2 ** 53) || id in d.ids) throw malformed(d.where, `a bad or repeated object id ${JSONStringify(id)}`);
  d.ids[id] = obj;
}

function decodePairs(d, obj, pairs, depth) {
  if (!ArrayIsArray(pairs)) throw malformed(d.where, 'properties that are not an array');
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (!ArrayIsArray(pair) || pair.length !== 2) throw malformed(d.where, 'a property that is not [key, value]');
    const key = decodeText(d, pair[0]);
    if (!define(obj, key, decode(d, pair[1], depth + 1))) throw malformed(d.where, `cannot define ${text(key)}`);
  }
}

function decodeBuffer(d, x, depth) {
  const b = decode(d, x, depth + 1);
  try {
    ArrayBufferByteLength(b);
  } catch {
    throw malformed(d.where, 'a view whose buffer is not an ArrayBuffer');
  }
  return b;
}

function decode(d, x, depth) {
  if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  if (!ArrayIsArray(x) || x.length === 0 || typeof x[0] !== 'string') throw malformed(d.where, 'a value that is not an encoding');
  if (depth > MAX_DEPTH + 2) throw malformed(d.where, 'nested too deeply');
  const tag = x[0];
  const n = x.length;
  switch (tag) {
    case 'u':
      return undefined;
    case 'w':
      return decodeText(d, x);
    case 'n':
      if (x[1] === 'NaN') return NaN;
      if (x[1] === 'Infinity') return Infinity;
      if (x[1] === '-Infinity') return -Infinity;
      if (x[1] === '-0') return -0;
      throw malformed(d.where, 'a bad number');
    case 'i':
      if (typeof x[1] !== 'string' || RegExpExec(DECIMAL, x[1]) === null) throw malformed(d.where, 'a bad BigInt');
      return BigIntCtor(x[1]);
    case '@':
      if (!(x[1] in d.ids)) throw malformed(d.where, `a reference to an unknown object ${JSONStringify(x[1])}`);
      return d.ids[x[1]];
    case 'o':
    case 'O': {
      if (n !== 3) break;
      const obj = tag === 'o' ? {} : { __proto__: null };
      register(d, x[1], obj);
      decodePairs(d, obj, x[2], depth);
      return obj;
    }
    case 'a': {
      if ((n !== 3 && n !== 4) || !ArrayIsArray(x[2])) break;
      const arr = [];
      register(d, x[1], arr);
      const items = x[2];
      for (let i = 0; i < items.length; i++) define(arr, i, decode(d, items[i], depth + 1));
      if (n === 4) decodePairs(d, arr, x[3], depth);
      return arr;
    }
    case 'A': {
      if (n !== 4 || !isIndex(x[2], 4294967295)) break;
      const arr = new ArrayCtor(x[2]);
      register(d, x[1], arr);
      decodePairs(d, arr, x[3], depth);
      if (arr.length !== x[2]) throw malformed(d.where, 'an array index past its length');
      return arr;
    }
    case 'm': {
      if (n !== 3 || !ArrayIsArray(x[2])) break;
      const map = new MapCtor();
      register(d, x[1], map);
      const entries = x[2];
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (!ArrayIsArray(e) || e.length !== 2) throw malformed(d.where, 'a Map entry that is not [key, value]');
        const key = decode(d, e[0], depth + 1);
        MapSet(map, key, decode(d, e[1], depth + 1));
      }
      return map;
    }
    case 's': {
      if (n !== 3 || !ArrayIsArray(x[2])) break;
      const set = new SetCtor();
      register(d, x[1], set);
      const items = x[2];
      for (let i = 0; i < items.length; i++) SetAdd(set, decode(d, items[i], depth + 1));
      return set;
    }
    case 'd': {
      if (n !== 3 || (x[2] !== null && typeof x[2] !== 'number')) break;
      const date = new DateCtor(x[2] === null ? NaN : x[2]);
      register(d, x[1], date);
      return date;
    }
    case 'r': {
      if (n !== 5 || typeof x[3] !== 'string') break;
      const source = decodeText(d, x[2]);
      let re;
      try {
        re = new RegExpCtor(source, x[3]);
      } catch (e) {
        throw malformed(d.where, `a bad RegExp (${describeThrown(e)})`);
      }
      register(d, x[1], re);
      re.lastIndex = decode(d, x[4], depth + 1);
      return re;
    }
    case 'B': {
      if ((n !== 3 && n !== 4) || typeof x[2] !== 'string') break;
      const max = n === 4 ? x[3] : undefined;
      if (max !== undefined && !isIndex(max, 2 ** 53)) break;
      const buffer = base64Decode(d, x[2], max);
      register(d, x[1], buffer);
      return buffer;
    }
    case 't': {
      if (n !== 6 || typeof x[2] !== 'string' || !(x[2] in TYPED) || !isIndex(x[4], 2 ** 53) || !isIndex(x[5], 2 ** 53)) break;
      const buffer = decodeBuffer(d, x[3], depth);
      let view;
      try {
        view = new TYPED[x[2]](buffer, x[4], x[5]);
      } catch (e) {
        throw malformed(d.where, `a bad ${x[2]} (${describeThrown(e)})`);
      }
      register(d, x[1], view);
      return view;
    }
    case 'v': {
      if (n !== 5 || !isIndex(x[3], 2 ** 53) || !isIndex(x[4], 2 ** 53)) break;
      const buffer = decodeBuffer(d, x[2], depth);
      let view;
      try {
        view = new DataViewCtor(buffer, x[3], x[4]);
      } catch (e) {
        throw malformed(d.where, `a bad DataView (${describeThrown(e)})`);
      }
      register(d, x[1], view);
      return view;
    }
    case 'e': {
      if (n !== 5 || typeof x[2] !== 'string' || !(x[2] in ERRORS) || !ArrayIsArray(x[3])) break;
      // Made by Error itself and given the kind's prototype, so that no
      // constructor reads its arguments (AggregateError iterates one).
      const err = new ERRORS.Error();
      ReflectSetPrototypeOf(err, ERRORS[x[2]].prototype);
      // Where it was made here says nothing: only the stored ones stay.
      for (let i = 0; i < ERROR_OWN.length; i++) ReflectDeleteProperty(err, ERROR_OWN[i]);
      register(d, x[1], err);
      const own = x[3];
      for (let i = 0; i < own.length; i++) {
        const pair = own[i];
        if (!ArrayIsArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || !isErrorOwn(pair[0])) {
          throw malformed(d.where, 'a bad error property');
        }
        defineHidden(err, pair[0], decode(d, pair[1], depth + 1));
      }
      decodePairs(d, err, x[4], depth);
      return err;
    }
    case 'x': {
      if (n !== 3) break;
      const p = decode(d, x[2], depth + 1);
      if (p === null || (typeof p !== 'number' && typeof p !== 'string' && typeof p !== 'boolean' && typeof p !== 'bigint')) {
        throw malformed(d.where, 'a boxed value that is not a number, string, boolean or BigInt');
      }
      const box = ObjectCtor(p);
      register(d, x[1], box);
      return box;
    }
    default:
      throw malformed(d.where, `an unknown tag ${JSONStringify(clip(tag, 20))}`);
  }
  throw malformed(d.where, `a malformed ${JSONStringify(tag)} value`);
}

// A string written by encodeString: JSON's, or ["w",PARTS].
function decodeText(d, x) {
  if (typeof x === 'string') return x;
  if (!ArrayIsArray(x) || x.length !== 2 || x[0] !== 'w' || !ArrayIsArray(x[1])) throw malformed(d.where, 'a bad string');
  const parts = x[1];
  let s = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (typeof p === 'string') s += p;
    else if (isIndex(p, 0xffff)) s += StringFromCharCode(p);
    else throw malformed(d.where, 'a bad string');
  }
  return s;
}

function base64Decode(d, s, max) {
  const len = s.length;
  if (len % 4 !== 0) throw malformed(d.where, 'bad base64');
  let pad = 0;
  if (len > 0 && s[len - 1] === '=') pad = s[len - 2] === '=' ? 2 : 1;
  const n = (len / 4) * 3 - pad;
  if (max !== undefined && max < n) throw malformed(d.where, 'an ArrayBuffer longer than its maxByteLength');
  let buffer;
  try {
    buffer = max === undefined ? new ArrayBufferCtor(n) : new ArrayBufferCtor(n, { __proto__: null, maxByteLength: max });
  } catch (e) {
    throw malformed(d.where, `an ArrayBuffer that cannot be made (${describeThrown(e)})`);
  }
  const bytes = new Uint8ArrayCtor(buffer);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = i + 2 < len - pad ? sextet(s, i + 2) : 0;
    const e = i + 3 < len - pad ? sextet(s, i + 3) : 0;
    if ((a | b | c | e) < 0) throw malformed(d.where, 'bad base64');
    const t = (a << 18) | (b << 12) | (c << 6) | e;
    bytes[o++] = t >> 16;
    if (o < n) bytes[o++] = (t >> 8) & 255;
    if (o < n) bytes[o++] = t & 255;
  }
  return buffer;
}

function sextet(s, i) {
  const c = StringCharCodeAt(s, i);
  return c < 128 ? B64_VALUE[c] : -1;
}
