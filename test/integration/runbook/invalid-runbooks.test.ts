import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runCli } from '../../../src/client/cli';
import type { CliIo } from '../../../src/client/context';
import { testStack } from '../../harness/stack';

const dir = join(__dirname, '..', '..', 'fixtures', 'invalid');
const fixtures = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.expect.json'));

/** The paths a fixture must be rejected at: `# expect: <path>: ...` lines, or its .expect.json. */
function expectedPaths(file: string): string[] {
  const text = readFileSync(join(dir, file), 'utf8');
  const sidecar = join(dir, file.replace(/\.json$/, '.expect.json'));
  if (file.endsWith('.json')) {
    const expect = JSON.parse(readFileSync(sidecar, 'utf8')) as { path: string }[] | { problems: { path: string }[] };
    return (Array.isArray(expect) ? expect : expect.problems).map((p) => p.path);
  }
  return [...text.matchAll(/^# expect: (\S+?):/gm)].map((m) => m[1]);
}

test(`each of the ${fixtures.length} malformed runbooks is refused by \`fleetcmd run\` with its path, and no workflow starts`, async () => {
  const stack = testStack();
  const taskQueue = `invalid-${Date.now()}`;
  expect(fixtures.length).toBeGreaterThanOrEqual(30);
  for (const file of fixtures) {
    const stderr: string[] = [];
    const io: CliIo = { out: () => undefined, err: (t) => void stderr.push(t), isTTY: false, env: {} };
    const code = await runCli(['node', 'fleetcmd', '--address', stack.temporal.address, '--task-queue', taskQueue, 'run', join(dir, file), '--vm', 'rg/vm', '--subscription', 'sub'], io);
    const text = stderr.join('');
    expect({ file, code }).toEqual({ file, code: 2 });
    // A problem of the whole file ("(file)") is printed against the file name alone.
    for (const path of expectedPaths(file).filter((p) => p !== '(file)')) expect({ file, text }).toEqual({ file, text: expect.stringContaining(`${path}: `) });
    expect(text).toContain('nothing was started');
  }
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const started = await client.workflow.count(`TaskQueue = '${taskQueue}'`);
    expect(started.count).toBe(0);
  } finally {
    await connection.close();
  }
}, 120_000);
