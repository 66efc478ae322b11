// performance: now() and timeOrigin from the host (coarsened there), and
// the User Timing marks and measures.

'use strict';

const state = require('../state.js');
const { invalidArgType } = require('../errors.js');
const DOMException = require('./domexception.js');

const CUSTOM_INSPECT = Symbol.for('nodejs.util.inspect.custom');

class PerformanceEntry {
  constructor(name, entryType, startTime, duration, detail) {
    Object.defineProperties(this, {
      name: { value: name, enumerable: true },
      entryType: { value: entryType, enumerable: true },
      startTime: { value: startTime, enumerable: true },
      duration: { value: duration, enumerable: true },
      detail: { value: detail === undefined ? null : detail, enumerable: true },
    });
  }

  toJSON() {
    return { name: this.name, entryType: this.entryType, startTime: this.startTime, duration: this.duration, detail: this.detail };
  }
}

class PerformanceMark extends PerformanceEntry {}
class PerformanceMeasure extends PerformanceEntry {}

const kCreate = Symbol('kCreate');

class Performance {
  #entries = [];

  constructor(key) {
    if (key !== kCreate) throw new TypeError('Illegal constructor');
  }

  now() {
    return state.host.now();
  }

  get timeOrigin() {
    return state.host.timeOrigin;
  }

  mark(name, options = {}) {
    if (arguments.length === 0) throw invalidArgType('name', 'string', undefined);
    const start = options && options.startTime !== undefined ? Number(options.startTime) : this.now();
    const m = new PerformanceMark(`${name}`, 'mark', start, 0, options && options.detail);
    this.#entries.push(m);
    return m;
  }

  measure(name, startOrOptions, endMark) {
    let start = 0;
    let end = this.now();
    let detail;
    const at = (v) => {
      if (typeof v === 'number') return v;
      const found = this.#entries.filter((e) => e.entryType === 'mark' && e.name === `${v}`).pop();
      if (!found) throw new DOMException(`The "${v}" performance mark has not been set`, 'SyntaxError');
      return found.startTime;
    };
    if (startOrOptions !== null && typeof startOrOptions === 'object') {
      if (startOrOptions.start !== undefined) start = at(startOrOptions.start);
      if (startOrOptions.end !== undefined) end = at(startOrOptions.end);
      else if (startOrOptions.duration !== undefined) end = start + Number(startOrOptions.duration);
      detail = startOrOptions.detail;
    } else {
      if (startOrOptions !== undefined) start = at(startOrOptions);
      if (endMark !== undefined) end = at(endMark);
    }
    const m = new PerformanceMeasure(`${name}`, 'measure', start, end - start, detail);
    this.#entries.push(m);
    return m;
  }

  getEntries() {
    return this.#entries.slice();
  }

  getEntriesByName(name, type) {
    return this.#entries.filter((e) => e.name === `${name}` && (type === undefined || e.entryType === type));
  }

  getEntriesByType(type) {
    return this.#entries.filter((e) => e.entryType === type);
  }

  clearMarks(name) {
    this.#entries = this.#entries.filter((e) => e.entryType !== 'mark' || (name !== undefined && e.name !== `${name}`));
  }

  clearMeasures(name) {
    this.#entries = this.#entries.filter((e) => e.entryType !== 'measure' || (name !== undefined && e.name !== `${name}`));
  }

  toJSON() {
    return { timeOrigin: this.timeOrigin };
  }

  [CUSTOM_INSPECT](depth, opts, inspect) {
    if (depth < 0) return 'Performance';
    return `Performance ${inspect ? inspect({ timeOrigin: this.timeOrigin }, opts) : '{}'}`;
  }
}
Object.defineProperty(Performance.prototype, Symbol.toStringTag, { value: 'Performance', configurable: true });

let instance = null;
function performance() {
  if (!instance) instance = new Performance(kCreate);
  return instance;
}

module.exports = { performance, Performance, PerformanceEntry, PerformanceMark, PerformanceMeasure };
