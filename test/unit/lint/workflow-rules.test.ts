import { ESLint } from 'eslint';
import { join } from 'node:path';

// The lint config's workflow rules, checked on probe sources as if they sat in src/workflows/.
// Type-aware rules need a file on disk in the TS program, so the probes run without them.
const root = join(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const projectConfig = require(join(root, 'eslint.config.js')) as ESLint.Options['baseConfig'];

async function lintWorkflowSource(code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    // jest's sandbox cannot dynamic-import the config file, so it is handed over as a value.
    overrideConfigFile: true,
    baseConfig: projectConfig,
    overrideConfig: {
      languageOptions: { parserOptions: { project: null, projectService: false } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
    },
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, 'src', 'workflows', 'probe.ts') });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

test('a Node built-in imported in workflow code fails lint', async () => {
  const messages = await lintWorkflowSource(`import { readFileSync } from 'fs';\nexport const x = readFileSync;\n`);
  expect(messages).toEqual([expect.stringContaining('no-restricted-imports: ')]);
  expect(messages[0]).toContain('deterministic sandbox');
});

test('a node: built-in imported in workflow code fails lint', async () => {
  const messages = await lintWorkflowSource(`import { randomUUID } from 'node:crypto';\nexport const x = randomUUID;\n`);
  expect(messages).toEqual([expect.stringContaining('no-restricted-imports: ')]);
});

test('a value import of activity code in a workflow fails lint, a type import passes', async () => {
  expect(await lintWorkflowSource(`import { createRunCommand } from '../activities/run-command';\nexport const x = createRunCommand;\n`)).toEqual([
    expect.stringContaining('no-restricted-imports: '),
  ]);
  expect(await lintWorkflowSource(`import type * as activities from '../activities';\nexport type A = typeof activities;\n`)).toEqual([]);
});

test('workflow code importing the Temporal workflow API lints clean', async () => {
  expect(await lintWorkflowSource(`import { sleep } from '@temporalio/workflow';\nexport async function w(): Promise<void> { await sleep(1); }\n`)).toEqual([]);
});
