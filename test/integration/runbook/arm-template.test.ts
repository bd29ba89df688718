import { runCli } from '../../../src/client/cli';
import type { CliIo } from '../../../src/client/context';
import { vmResourceId } from '../../../src/emulator';
import { loadRunbookFile } from '../../../src/runbook/load';
import { planRunbook } from '../../../src/runbook/to-plan';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { testStack } from '../../harness/stack';

const RG = 'arm-rg';
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ fleet: { virtualMachines: [{ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'web-001' }] } });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t), isTTY: false, env: {} };
}

test("the Azure docs' two-command template imports as firstRunCommand then secondRunCommand", async () => {
  const loaded = await loadRunbookFile('examples/arm/two-run-commands.json');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  expect(loaded.runbook.steps.map((s) => [s.name, s.dependsOn])).toEqual([
    ['firstRunCommand', []],
    ['secondRunCommand', ['firstRunCommand']],
  ]);
});

test('the same two-command template, with bash scripts, runs in order on a VM through `fleetcmd run`', async () => {
  const io = captureIo();
  const rolloutId = `arm-${Date.now()}`;
  const code = await runCli(
    ['node', 'fleetcmd', '--address', testStack().temporal.address, '--task-queue', fleet.taskQueue, 'run', 'examples/arm/two-run-commands-linux.json', '--vm', `${RG}/web-001`, '--subscription', SUBSCRIPTION, '--id', rolloutId],
    io,
  );
  expect(io.stderr.join('')).not.toContain('fleetcmd:');
  expect(code).toBe(0);
  const out = io.stdout.join('');
  expect(out).toMatch(/firstRunCommand\s+ok/);
  expect(out).toMatch(/secondRunCommand\s+ok/);
  expect(out).toContain('first: value1 value2');
  // The protected parameter reached the script (its length is printed), never its value.
  expect(out).toContain('second: 32 characters of greeting');
  expect(out).not.toContain('hello from a protected parameter');

  const loaded = await loadRunbookFile('examples/arm/two-run-commands-linux.json');
  if (!loaded.ok) throw new Error('unreadable');
  const plan = planRunbook(loaded.runbook, { rolloutId });
  const runs = await fleet.admin.runs({ vm: vmResourceId(SUBSCRIPTION, RG, 'web-001') });
  const [first, second] = plan.steps.map((s) => runs.find((r) => r.runCommand === s.runCommandName));
  expect(first?.endedAt).toBeDefined();
  expect(Date.parse(second?.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(first?.endedAt ?? ''));
}, 120_000);
