// `npm test`: installs what the tests need (npm ci, a build, the Temporal
// CLI), then runs the unit tests and the integration tests (which start the
// Temporal dev server, Azurite and the emulator themselves), and prints one
// closing line with the totals: passed, failed, skipped (scripts/test-totals.js).
// A skipped test (skip, xit, todo) is a defect: the run fails when any test
// was skipped. Extra arguments go to jest; with a name filter (-t), jest
// reports the tests it leaves out as skipped, so those are counted but do not
// fail the run.
const { readFileSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');
const { root, ensureInstalled, build, ensureTemporalCli } = require('./bootstrap');
const { filtersByName, totalsOf, verdict } = require('./test-totals');

ensureInstalled();
build();
ensureTemporalCli();

const extra = process.argv.slice(2);
const out = mkdtempSync(join(tmpdir(), 'fleetcmd-jest-'));
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const reports = [];
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
    reports.push(JSON.parse(readFileSync(outputFile, 'utf8')));
  } catch {
    reports.push(undefined);
  }
}
rmSync(out, { recursive: true, force: true });
const totals = totalsOf(reports);
const { line, passed } = verdict(totals, filtersByName(extra));
process.stdout.write(`\n${line}\n`);
if (totals.failed === 0 && !passed) process.stderr.write('a skipped test is a defect: make it run, or delete it\n');
process.exit(passed ? status : status || 1);
