import { startRollout } from '../../../src/client/rollouts';
import { targetKey, type TargetRef } from '../../../src/runbook/execution';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';

const RG = 'budget-rg';
// 30 VMs; every third one from index 2 fails (10 failures in all). Names sort in index order.
const failing = new Set([2, 5, 8, 11, 14, 17, 20, 23, 26, 29]);
const names = Array.from({ length: 30 }, (_, i) => `vm-${String(i).padStart(3, '0')}${failing.has(i) ? '-fail' : ''}`);
const vm = (name: string): TargetRef => ({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: name });

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ fleet: { virtualMachines: names.map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name })) } });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

test('maxErrors 3 with 10 scripted failures: new starts stop after the 4th failure, the rest are NotStarted and listed', async () => {
  const runbook = runbookFromYaml(`
name: budget
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - name: patch
    script: |
      case "$FLEETCMD_EMULATOR_VM" in *-fail) echo "package locked" >&2; exit 2;; esac
      echo patched
rollout: { maxConcurrency: 1, maxErrors: 3 }
`);
  const report = await (await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL })).result();

  // One at a time, in order: targets 0..11 ran; the 4th failure (index 11) spent the budget.
  expect(report.status).toBe('Stopped');
  expect(report.stopReason).toBe('error budget spent: 4 failures, maxErrors 3');
  expect(report.counts).toMatchObject({ Succeeded: 8, Failed: 4, Canceled: 0, NotStarted: 18, Running: 0, Pending: 0 });
  expect(report.failedIndices).toEqual([2, 5, 8, 11]);
  expect(report.notStartedIndices).toEqual(Array.from({ length: 18 }, (_, i) => 12 + i));
  expect(report.notStartedSample[0]).toBe(targetKey(vm(names[12])));
  expect(report.failures.map((f) => f.key)).toEqual([2, 5, 8, 11].map((i) => targetKey(vm(names[i]))));
  expect(report.failures[0].reason).toContain('package locked');
  expect((await fleet.admin.runs()).length).toBe(12);

  // The report groups outcomes: 8 alike successes, 4 alike failures.
  const groups = report.groups.map((g) => [g.count, g.signature.state, g.signature.exitCode]);
  expect(groups).toEqual(expect.arrayContaining([[8, 'Succeeded', 0], [4, 'Failed', 2]]));
}, 120_000);

test('with several in flight when the budget is spent, the in-flight targets finish and count', async () => {
  const runbook = runbookFromYaml(`
name: budget-window
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - name: patch
    script: |
      case "$FLEETCMD_EMULATOR_VM" in *-fail) exit 2;; esac
      sleep 1
rollout: { maxConcurrency: 5, maxErrors: 0 }
`);
  const report = await (await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL })).result();
  expect(report.status).toBe('Stopped');
  const { Succeeded, Failed, NotStarted, Running } = report.counts;
  expect(Running).toBe(0);
  expect(Failed).toBeGreaterThanOrEqual(1);
  expect(Succeeded + Failed + NotStarted).toBe(30);
  // Nothing started after the first failure was recorded, yet everything started before it finished.
  expect(NotStarted).toBeGreaterThan(0);
}, 120_000);
