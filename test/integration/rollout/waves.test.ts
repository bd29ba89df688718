import { vmResourceId } from '../../../src/emulator';
import { rolloutHandle, startRollout } from '../../../src/client/rollouts';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';

const RG = 'roll-rg';
const names = Array.from({ length: 200 }, (_, i) => `vm-${String(i).padStart(3, '0')}`);

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    fleet: { virtualMachines: names.map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name, tags: { role: 'web' } })) },
  });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

test('200 targets, waves [1, 10%, 100%], maxConcurrency 20: never more than 20 at once, waves in order, all complete', async () => {
  const runbook = runbookFromYaml(`
name: waves
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}], tags: { role: web } }
steps:
  - { name: work, script: "sleep 2; echo done" }
rollout: { waves: [1, "10%", "100%"], maxConcurrency: 20 }
`);
  const handle = await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL });
  const report = await handle.result();
  expect(report.status).toBe('Completed');
  expect(report.counts).toMatchObject({ Succeeded: 200, Failed: 0, NotStarted: 0 });
  expect(report.waves.map((w) => w.size)).toEqual([1, 20, 179]);
  expect(await fleet.admin.peakConcurrency()).toBeLessThanOrEqual(20);
  expect(await fleet.admin.peakConcurrency()).toBeGreaterThan(10);

  const runs = await fleet.admin.runs();
  const byVm = new Map(runs.map((r) => [r.vm.toLowerCase(), r]));
  const span = (from: number, to: number) => {
    const rs = names.slice(from, to).map((n) => byVm.get(vmResourceId(SUBSCRIPTION, RG, n).toLowerCase()));
    return { firstStart: Math.min(...rs.map((r) => Date.parse(r?.startedAt ?? ''))), lastEnd: Math.max(...rs.map((r) => Date.parse(r?.endedAt ?? ''))) };
  };
  const [w1, w2, w3] = [span(0, 1), span(1, 21), span(21, 200)];
  expect(w2.firstStart).toBeGreaterThanOrEqual(w1.lastEnd);
  expect(w3.firstStart).toBeGreaterThanOrEqual(w2.lastEnd);
  expect(runs).toHaveLength(200);
  expect(rolloutHandle(fleet.client, report.rolloutId).workflowId).toBe(handle.workflowId);
}, 300_000);
