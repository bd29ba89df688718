// The closing line of `npm test`, from jest's --json reports of its projects.
// Node built-ins only, like every script here.

/** True when the jest arguments filter tests by name: jest reports the tests it leaves out as skipped. */
function filtersByName(args) {
  return args.some((arg) => arg === '-t' || /^-t./.test(arg) || arg.startsWith('--testNamePattern'));
}

/**
 * Adds up jest reports (undefined for a project whose report could not be
 * read). Skipped counts pending (skip, xit, filtered out) and todo tests.
 */
function totalsOf(reports) {
  const totals = { passed: 0, failed: 0, skipped: 0, suitesFailed: 0 };
  for (const report of reports) {
    if (!report) {
      totals.suitesFailed += 1;
      continue;
    }
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.skipped += report.numPendingTests + report.numTodoTests;
    totals.suitesFailed += report.numFailedTestSuites;
  }
  // A suite that fails before its tests run (a syntax error, a failing beforeAll) reports no failed test.
  if (totals.suitesFailed && !totals.failed) totals.failed = totals.suitesFailed;
  return totals;
}

/**
 * The closing line, and whether the run passes: no failure, and no skipped
 * test unless a name filter left tests out on purpose.
 */
function verdict(totals, nameFiltered) {
  const note = nameFiltered && totals.skipped ? ' (left out by -t)' : '';
  return {
    line: `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped${note}`,
    passed: totals.failed === 0 && (totals.skipped === 0 || nameFiltered),
  };
}

module.exports = { filtersByName, totalsOf, verdict };
