import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The closing line of `npm test` and whether the run passes, computed from
 * the reports of a real jest run over a throwaway folder of tests.
 */

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  suitesFailed: number;
}
interface TestTotals {
  filtersByName(args: string[]): boolean;
  totalsOf(reports: (object | undefined)[]): Totals;
  verdict(totals: Totals, nameFiltered: boolean): { line: string; passed: boolean };
}

const root = join(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { filtersByName, totalsOf, verdict } = require(join(root, 'scripts', 'test-totals.js')) as TestTotals;

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'fleetcmd-totals-'));
  writeFileSync(join(folder, 'package.json'), '{}');
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs jest on one test file of the given body and returns its --json report. */
function jestReport(name: string, body: string, args: string[] = []): object {
  writeFileSync(join(folder, `${name}.test.js`), body);
  const outputFile = join(folder, `${name}.json`);
  spawnSync(process.execPath, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--rootDir', folder, '--json', `--outputFile=${outputFile}`, ...args, `${name}.test.js`], {
    cwd: folder,
    stdio: 'ignore',
  });
  return JSON.parse(readFileSync(outputFile, 'utf8')) as object;
}

jest.setTimeout(60_000);

test('a run with a skipped and a todo test counts both as skipped and fails', () => {
  const report = jestReport('skips', "test('runs', () => {});\ntest.skip('skipped', () => {});\ntest.todo('later');\nxit('also skipped', () => {});\n");
  const totals = totalsOf([report]);
  expect(verdict(totals, false)).toEqual({ line: '1 passed, 0 failed, 3 skipped', passed: false });
});

test('a conditionally skipped describe block counts every test in it', () => {
  const report = jestReport('conditional', "const here = false;\n(here ? describe : describe.skip)('block', () => { test('a', () => {}); test('b', () => {}); });\ntest('c', () => {});\n");
  expect(verdict(totalsOf([report]), false)).toEqual({ line: '1 passed, 0 failed, 2 skipped', passed: false });
});

test('the totals of both projects add up, and a run with nothing skipped or failed passes', () => {
  const first = jestReport('first', "test('a', () => {});\ntest('b', () => {});\n");
  const second = jestReport('second', "test('c', () => {});\n");
  expect(verdict(totalsOf([first, second]), false)).toEqual({ line: '3 passed, 0 failed, 0 skipped', passed: true });
});

test('a failed test fails the run', () => {
  const report = jestReport('failing', "test('a', () => {});\ntest('b', () => { expect(1).toBe(2); });\n");
  expect(verdict(totalsOf([report]), false)).toEqual({ line: '1 passed, 1 failed, 0 skipped', passed: false });
});

test('a suite that fails before its tests run counts as a failure', () => {
  const report = jestReport('broken', "throw new Error('cannot load');\n");
  expect(verdict(totalsOf([report]), false)).toEqual({ line: '0 passed, 1 failed, 0 skipped', passed: false });
});

test('a project whose report is missing counts as a failure', () => {
  expect(verdict(totalsOf([undefined]), false)).toEqual({ line: '0 passed, 1 failed, 0 skipped', passed: false });
});

test('tests a name filter leaves out are reported as skipped but do not fail the run', () => {
  const args = ['-t', 'wanted'];
  const report = jestReport('filtered', "test('wanted', () => {});\ntest('other', () => {});\n", args);
  expect(filtersByName(args)).toBe(true);
  expect(verdict(totalsOf([report]), filtersByName(args))).toEqual({ line: '1 passed, 0 failed, 1 skipped (left out by -t)', passed: true });
});

test('a name filter is recognised in each spelling jest accepts, and nothing else is taken for one', () => {
  for (const args of [['-t', 'x'], ['-tx'], ['--testNamePattern', 'x'], ['--testNamePattern=x']]) expect(filtersByName(args)).toBe(true);
  for (const args of [[], ['test/unit'], ['--ci'], ['--testPathPattern', 'x']]) expect(filtersByName(args)).toBe(false);
});
