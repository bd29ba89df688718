import { createComputeClient } from '../../../src/azure/clients';
import { startRollout, steer } from '../../../src/client/rollouts';
import { vmResourceId } from '../../../src/emulator';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';

// Cancel while the create of a step is still in flight: Azure holds the PUT for
// 0, 5, 15 or 35 s (35 s outlives the create attempt's 30 s lease), and the
// rollout is cancelled 4 s after it started. Whatever the hold, once the
// rollout reports Canceled no script of the cancelled step may still be
// running or finish later, and no run command of fleetcmd's may remain.

const RG = 'cancel-create-rg';
const HOLDS_S = [0, 5, 15, 35];
const vmsOf = (hold: number): string[] => [`hold-${hold}-a`, `hold-${hold}-b`];

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    fleet: { virtualMachines: HOLDS_S.flatMap((h) => vmsOf(h).map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name }))) },
  });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

async function runCommandsOn(vmName: string): Promise<string[]> {
  const client = createComputeClient(fleet.azure, SUBSCRIPTION);
  const names: string[] = [];
  for await (const rc of client.virtualMachineRunCommands.listByVirtualMachine(RG, vmName)) names.push(rc.name ?? '');
  return names;
}

test.each(HOLDS_S)('cancel 4 s into a rollout whose PUTs Azure holds %i s: no script runs on after Canceled, no run command remains', async (hold) => {
  await fleet.admin.clearFaults();
  if (hold > 0) await fleet.admin.setRequestFaults({ latencyMs: hold * 1000, phase: 'before', methods: ['PUT'] });
  const names = vmsOf(hold);
  const runbook = runbookFromYaml(`
name: cancel-during-create-${hold}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, vms: [${names.map((n) => `${RG}/${n}`).join(', ')}] }
steps:
  - { name: work, script: "sleep 20; echo finished" }
rollout: { maxConcurrency: 2 }
`);
  const handle = await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL });
  const startedAt = Date.now();
  await new Promise((r) => setTimeout(r, 4_000));
  await steer(handle, 'cancel', { by: 'tester' });
  const report = await handle.result();
  const canceledAt = Date.now();
  expect(report.status).toBe('Canceled');

  // A held PUT that was going to land has landed by now; give any script it started time to run to its end.
  await new Promise((r) => setTimeout(r, Math.max(0, startedAt + hold * 1000 + 25_000 - Date.now())));
  await fleet.admin.clearFaults();

  const runs = (await fleet.admin.runs()).filter((r) => names.some((n) => r.vm === vmResourceId(SUBSCRIPTION, RG, n)));
  const stillRunning = runs.filter((r) => !r.endedAt);
  const endedAfterCancel = runs.filter((r) => r.endedAt && Date.parse(r.endedAt) > canceledAt);
  const finished = runs.filter((r) => r.executionState === 'Succeeded');
  expect({ stillRunning, endedAfterCancel, finished }).toEqual({ stillRunning: [], endedAfterCancel: [], finished: [] });
  for (const name of names) expect(await runCommandsOn(name)).toEqual([]);
}, 240_000);
