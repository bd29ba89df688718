/**
 * Every malformed runbook under test/fixtures/invalid is rejected with the
 * path and sentence its expectation names (a `# expect: <path>: <fragment>`
 * line per problem in YAML, a sibling `.expect.json` for JSON), and with no
 * other problem; every runbook under test/fixtures/valid is accepted.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbookFile } from '../../../src/runbook/load';

const invalidDir = join(__dirname, '../../fixtures/invalid');
const validDir = join(__dirname, '../../fixtures/valid');

interface Expectation {
  path: string;
  message: string;
}

const isRunbookFile = (file: string) => /\.(ya?ml|json)$/.test(file) && !file.endsWith('.expect.json') && !file.endsWith('.parameters.json');
const invalidFiles = readdirSync(invalidDir).filter(isRunbookFile).sort();
const validFiles = readdirSync(validDir).filter(isRunbookFile).sort();

function expectationsOf(file: string): Expectation[] {
  if (file.endsWith('.json')) {
    return JSON.parse(readFileSync(join(invalidDir, file.replace(/\.json$/, '.expect.json')), 'utf8')) as Expectation[];
  }
  return readFileSync(join(invalidDir, file), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => {
      const rest = line.slice('# expect: '.length);
      const colon = rest.indexOf(': ');
      const path = rest.slice(0, colon);
      return { path: path === '(file)' ? '' : path, message: rest.slice(colon + 2) };
    });
}

describe('malformed runbooks', () => {
  it('number at least 35', () => {
    expect(invalidFiles.length).toBeGreaterThanOrEqual(35);
  });

  it.each(invalidFiles)('%s is rejected with the expected path and sentence, and nothing else', async (file) => {
    const expectations = expectationsOf(file);
    expect(expectations.length).toBeGreaterThan(0);
    const result = await loadRunbookFile(join(invalidDir, file));
    if (result.ok) throw new Error(`${file} was accepted`);
    for (const expectation of expectations) {
      expect(result.problems).toContainEqual(
        expect.objectContaining({ path: expectation.path, message: expect.stringContaining(expectation.message) }),
      );
    }
    expect(result.problems).toHaveLength(expectations.length);
  });

  it.each(invalidFiles)('%s: every problem is a plain sentence', async (file) => {
    const result = await loadRunbookFile(join(invalidDir, file));
    if (result.ok) throw new Error(`${file} was accepted`);
    for (const problem of result.problems) {
      expect(problem.message.length).toBeGreaterThan(5);
      expect(problem.message).not.toMatch(/Invalid input|expected .* received|\[object Object\]|undefined/);
    }
  });
});

describe('valid runbooks', () => {
  it.each(validFiles)('%s is accepted', async (file) => {
    const result = await loadRunbookFile(join(validDir, file));
    if (!result.ok) throw new Error(`${file}: ${JSON.stringify(result.problems)}`);
    expect(result.runbook.steps.length).toBeGreaterThan(0);
  });
});
