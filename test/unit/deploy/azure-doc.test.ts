import { readFileSync } from 'node:fs';
import { definedSearchAttributes, fromRoot, moduleGraph, repoPath, settingsReadBy, workerSettings } from './source-settings';

/**
 * docs/azure.md is how a user points fleetcmd at a real subscription without
 * a code change; these checks keep it from falling behind the code.
 */

const doc = readFileSync(repoPath('docs', 'azure.md'), 'utf8');

/** Settings the doc must name: those the worker, the Azure configuration and the codec read. */
const documentedSources = [
  repoPath('src', 'worker.ts'),
  repoPath('src', 'azure', 'config.ts'),
  repoPath('src', 'codec', 'keys.ts'),
  repoPath('src', 'codec', 'server.ts'),
];

function missingFromDoc(names: Iterable<string>): string[] {
  return [...names].filter((name) => !doc.includes(`\`${name}\``)).sort();
}

test.each(documentedSources.map((file) => [fromRoot(file), file]))('names every FLEETCMD_* setting %s reads', (_, file) => {
  const names = settingsReadBy([file]);
  expect(names.size).toBeGreaterThan(0);
  expect(missingFromDoc(names)).toEqual([]);
});

test('names every FLEETCMD_* setting of every module the worker loads', () => {
  expect(moduleGraph(repoPath('src', 'worker.ts')).length).toBeGreaterThan(1);
  expect(missingFromDoc(workerSettings())).toEqual([]);
});

test('gives a default or says "unset" for every setting in its tables', () => {
  const rows = doc.split('\n').filter((line) => /^\| `FLEETCMD_[A-Z0-9_]+` \|/.test(line));
  expect(rows.length).toBeGreaterThan(0);
  const withoutDefault = rows.filter((row) => (row.split('|')[2] ?? '').trim() === '').map((row) => row.split('|')[1].trim());
  expect(withoutDefault).toEqual([]);
});

test("names DefaultAzureCredential's service principal and workload identity variables", () => {
  for (const name of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_FEDERATED_TOKEN_FILE']) expect(doc).toContain(`\`${name}\``);
  expect(doc).toContain('DefaultAzureCredential');
  expect(doc).toContain('az login');
});

test('registers every search attribute the workflows define, with its type', () => {
  const defined = definedSearchAttributes();
  expect(defined.length).toBeGreaterThan(0);
  for (const { name, type } of defined) {
    expect(type).toBe('KEYWORD');
    expect(doc).toMatch(new RegExp(`temporal operator search-attribute create --namespace \\S+ --name ${name} --type Keyword`));
  }
});

test('its custom role grants exactly the run-command and read actions fleetcmd calls', () => {
  const block = /```json\n([\s\S]*?)\n```/.exec(doc);
  expect(block).not.toBeNull();
  const role = JSON.parse((block as RegExpExecArray)[1]) as { Actions: string[]; DataActions: string[] };
  const runCommands = (parent: string) => ['read', 'write', 'delete'].map((verb) => `Microsoft.Compute/${parent}/runCommands/${verb}`);
  expect([...role.Actions].sort()).toEqual(
    [
      'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
      ...runCommands('virtualMachines'),
      ...runCommands('virtualMachineScaleSets/virtualMachines'),
    ].sort(),
  );
  expect(role.DataActions).toEqual([]);
});

test('names the built-in roles for run commands and for output storage', () => {
  for (const role of ['Virtual Machine Contributor', 'Storage Blob Data Contributor', 'Storage Blob Delegator']) expect(doc).toContain(role);
});

test("states Compute's run-command write limits per VM and per subscription and region", () => {
  expect(doc).toMatch(/per VM \| 12 \| 4 per minute/);
  expect(doc).toMatch(/per subscription and region \| 1,500 \| 500 per minute/);
});
