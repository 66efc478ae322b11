// The TAP runner of the JS test files: runs each {name, fn} in order (fn may
// be async), prints "ok"/"not ok" with the error's stack as diagnostics, then
// "N passed, M failed", and returns the number failed (1 when there is
// no test at all).
export async function runTap(tests) {
  if (tests.length === 0) {
    // A filter that selects nothing must not pass as a clean run.
    console.log('1..1\nnot ok 1 - no test was selected\n0 passed, 1 failed');
    return 1;
  }
  console.log(`1..${tests.length}`);
  let passed = 0;
  let failed = 0;
  for (const [i, t] of tests.entries()) {
    try {
      await t.fn();
      passed++;
      console.log(`ok ${i + 1} - ${t.name}`);
    } catch (e) {
      failed++;
      console.log(`not ok ${i + 1} - ${t.name}`);
      const detail = (e && e.stack) || String(e);
      console.log(detail.split('\n').map((l) => `  # ${l}`).join('\n'));
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}
