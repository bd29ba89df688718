import { randomUUID } from 'node:crypto';
import { createComputeClient } from '../../../src/azure/clients';
import { targetKey } from '../../../src/runbook/execution';
import { SUBSCRIPTION, startFleet, waitFor, type Fleet } from '../../harness/fleet';
import { awaitRollout, awaitTargetsClosed, chaosFleet, chaosRunbook, startChaosRollout, underTest } from '../../chaos/rollout';
import { verifyRollout } from '../../chaos/verify';

// The chaos suite's invariants are only as good as their check: it must see a script that ran
// twice even when every target says Succeeded.
const RG = 'verify-rg';
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ fleet: chaosFleet(RG, 3).definition });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

test('the invariant check reports a script that ran twice as a duplicated execution', async () => {
  const { targets } = chaosFleet(RG, 3);
  const runbook = chaosRunbook('verify', RG, ['{ name: only, script: "echo once" }'], '{ maxConcurrency: 3 }');
  const rollout = await startChaosRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, rolloutId: `verify-${randomUUID().slice(0, 8)}` });
  const end = await awaitRollout(rollout.handle, Date.now() + 120_000, () => undefined);
  if (!('report' in end)) throw new Error('the rollout did not end');
  // As a scenario does: a target reports just before it closes.
  expect(await awaitTargetsClosed(fleet.client, rollout.rolloutId, targets, Date.now() + 60_000)).toEqual([]);

  // Behind fleetcmd's back, the first target's run command is created again: Azure runs it a second time.
  const name = rollout.steps[0].runCommandName;
  const compute = createComputeClient(fleet.azure, SUBSCRIPTION);
  await compute.virtualMachineRunCommands.beginCreateOrUpdate(RG, targets[0].vmName, name, { location: 'westus', source: { script: 'echo twice' } });
  const vmId = underTest(targets)[0].vmId;
  await waitFor(async () => (await fleet.admin.executionCount(vmId, name)) === 2, { what: 'the second execution' });

  const verification = await verifyRollout({ client: fleet.client, admin: fleet.admin, rolloutId: rollout.rolloutId, steps: rollout.steps, targets: underTest(targets), report: end.report });
  expect(verification.counts).toEqual({ Succeeded: 3, Failed: 0, NotStarted: 0, Lost: 0 });
  expect(verification.executions.duplicated).toEqual([`${targetKey(targets[0])} only: ran 2 times`]);
  expect(verification.executions.exactlyOnce).toBe(2);
  expect(verification.violations).toEqual([`duplicated execution ${targetKey(targets[0])} only: ran 2 times`]);
}, 180_000);
