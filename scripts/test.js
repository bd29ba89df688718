// `npm test`: installs what the tests need (npm ci, a build, the Temporal
// CLI), then runs the unit tests and the integration tests (which start the
// Temporal dev server, Azurite and the emulator themselves), and prints one
// closing line with the totals. Extra arguments go to jest.
const { readFileSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');
const { root, ensureInstalled, build, ensureTemporalCli } = require('./bootstrap');

ensureInstalled();
build();
ensureTemporalCli();

const extra = process.argv.slice(2);
const out = mkdtempSync(join(tmpdir(), 'fleetcmd-jest-'));
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const totals = { passed: 0, failed: 0, suitesFailed: 0 };
let status = 0;

for (const [project, flags] of [
  ['unit', []],
  ['integration', ['--runInBand']],
]) {
  const outputFile = join(out, `${project}.json`);
  const r = spawnSync(process.execPath, [jest, '--selectProjects', project, ...flags, '--json', `--outputFile=${outputFile}`, ...(process.env.CI ? ['--ci'] : []), ...extra], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.signal) process.exit(130);
  if (r.status !== 0) status = r.status || 1;
  try {
    const report = JSON.parse(readFileSync(outputFile, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests;
    totals.suitesFailed += report.numFailedTestSuites;
  } catch {
    totals.suitesFailed += 1;
  }
}
rmSync(out, { recursive: true, force: true });
if (totals.suitesFailed && !totals.failed) totals.failed = totals.suitesFailed;
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed\n`);
process.exit(status);
