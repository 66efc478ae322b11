// perf_hooks: the global performance object and the entry classes.

'use strict';

const perf = require('../web/performance.js');

class PerformanceObserver {
  constructor(callback) {
    this.callback = callback;
  }
  observe() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
  static get supportedEntryTypes() {
    return ['mark', 'measure'];
  }
}

module.exports = {
  performance: perf.performance(),
  Performance: perf.Performance,
  PerformanceEntry: perf.PerformanceEntry,
  PerformanceMark: perf.PerformanceMark,
  PerformanceMeasure: perf.PerformanceMeasure,
  PerformanceObserver,
  constants: {},
};
