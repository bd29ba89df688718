import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../src/activities';
import { createComputeClient } from '../../../src/azure/clients';
import { rolloutHandle, startRollout } from '../../../src/client/rollouts';
import { scaleSetVmResourceId, vmResourceId } from '../../../src/emulator';
import type { TargetRef } from '../../../src/runbook/execution';
import type { Runbook } from '../../../src/runbook/runbook';
import { runCommandName } from '../../../src/runbook/plan';
import { SUBSCRIPTION } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';
import { fleetcmd, runbookFile, useFleet } from '../cli/helpers';

/**
 * Machines live in their own regions: a run command is created in its
 * machine's location, whatever the runbook's `location` says (a default
 * only). The emulator refuses a mismatched location as Azure does.
 */
const RG = 'region-rg';
const fleet = useFleet({
  virtualMachines: [
    { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'west-00', location: 'westus', tags: { role: 'web' } },
    { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'east-00', location: 'eastus', tags: { role: 'web' } },
    { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'east-01', location: 'eastus' },
    { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'east-02', location: 'eastus' },
  ],
  virtualMachineScaleSets: [{ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'east-vmss', location: 'East US', instances: 2 }],
});

function runbookOver(targets: string): Runbook {
  return runbookFromYaml(`
name: regions
location: westus
targets: ${targets}
steps:
  - { name: work, script: "echo ran" }
rollout: { waves: ["100%"], maxConcurrency: 5 }
`);
}

const nameOf = (rolloutId: string): string => runCommandName({ rolloutId, stepName: 'work' });

test("the emulator refuses a run command whose location is not its VM's, with Azure's error", async () => {
  const compute = createComputeClient(fleet().azure, SUBSCRIPTION);
  await expect(compute.virtualMachineRunCommands.beginCreateOrUpdate(RG, 'east-00', 'wrong-place', { location: 'westus', source: { script: 'echo no' } })).rejects.toMatchObject({
    statusCode: 400,
    code: 'InvalidParameter',
    message: "The location 'westus' of run command 'wrong-place' does not match the location 'eastus' of its virtual machine 'east-00'.",
  });
});

test("a rollout over listed VMs and scale-set VMs in two regions creates each run command in its machine's region", async () => {
  const runbook = runbookOver(`{ subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}], tags: { role: web }, scaleSets: [{ name: east-vmss }] }`);
  const rolloutId = `regions-listed-${randomUUID().slice(0, 8)}`;
  await startRollout(fleet().client, { runbook, taskQueue: fleet().taskQueue, rolloutId, poll: TEST_POLL });
  const report = await rolloutHandle(fleet().client, rolloutId).result();
  expect({ failures: report.failures, counts: report.counts }).toMatchObject({ failures: [], counts: { Succeeded: 4, Failed: 0 } });
  const name = nameOf(rolloutId);
  const machines = [vmResourceId(SUBSCRIPTION, RG, 'west-00'), vmResourceId(SUBSCRIPTION, RG, 'east-00'), scaleSetVmResourceId(SUBSCRIPTION, RG, 'east-vmss', '0'), scaleSetVmResourceId(SUBSCRIPTION, RG, 'east-vmss', '1')];
  for (const machine of machines) expect({ machine, runs: await fleet().admin.executionCount(machine, name) }).toEqual({ machine, runs: 1 });
}, 90_000);

test("a rollout over VMs named explicitly (not listed) looks up each machine's region before its steps", async () => {
  const runbook = runbookOver(`{ subscriptionId: ${SUBSCRIPTION}, vms: [${RG}/east-01, "${vmResourceId(SUBSCRIPTION, RG, 'west-00')}"], scaleSets: [{ name: east-vmss, resourceGroup: ${RG}, instanceIds: ["1"] }] }`);
  const rolloutId = `regions-named-${randomUUID().slice(0, 8)}`;
  await startRollout(fleet().client, { runbook, taskQueue: fleet().taskQueue, rolloutId, poll: TEST_POLL });
  const report = await rolloutHandle(fleet().client, rolloutId).result();
  expect({ failures: report.failures, counts: report.counts }).toMatchObject({ failures: [], counts: { Succeeded: 3, Failed: 0 } });
  const name = nameOf(rolloutId);
  for (const machine of [vmResourceId(SUBSCRIPTION, RG, 'east-01'), vmResourceId(SUBSCRIPTION, RG, 'west-00'), scaleSetVmResourceId(SUBSCRIPTION, RG, 'east-vmss', '1')]) {
    expect({ machine, runs: await fleet().admin.executionCount(machine, name) }).toEqual({ machine, runs: 1 });
  }
}, 90_000);

test("fleetcmd run --vm on a VM and on a scale-set VM outside the runbook's location runs there", async () => {
  const file = runbookFile(`
name: regions-run
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: work, script: "echo ran in $(basename $FLEETCMD_EMULATOR_VM)" }
`);
  for (const [vm, machine] of [
    ['east-02', vmResourceId(SUBSCRIPTION, RG, 'east-02')],
    ['east-vmss/0', scaleSetVmResourceId(SUBSCRIPTION, RG, 'east-vmss', '0')],
  ]) {
    const rolloutId = `regions-run-${randomUUID().slice(0, 8)}`;
    const run = await fleetcmd(fleet(), ['run', file, '--vm', `${RG}/${vm}`, '--id', rolloutId]);
    expect({ vm, code: run.code, out: run.out }).toMatchObject({ vm, code: 0, out: expect.stringContaining('work             ok') });
    expect({ vm, runs: await fleet().admin.executionCount(machine, runCommandName({ rolloutId, stepName: 'work' })) }).toEqual({ vm, runs: 1 });
  }
}, 90_000);

test("a worker reads a machine's region once, and a machine Azure does not know leaves the runbook's location to the PUT", async () => {
  const { targetLocation } = createActivities(fleet().azure);
  const env = new MockActivityEnvironment();
  const target: TargetRef = { kind: 'vmssVm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, scaleSetName: 'east-vmss', instanceId: '1' };
  const gets = async (): Promise<number> => (await fleet().admin.requestCounts()).byMethod.GET ?? 0;
  const before = await gets();
  expect(await env.run(targetLocation, { target })).toEqual({ location: 'eastus' });
  expect(await env.run(targetLocation, { target })).toEqual({ location: 'eastus' });
  expect((await gets()) - before).toBe(1);
  const missing: TargetRef = { kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: 'no-such-vm' };
  expect(await env.run(targetLocation, { target: missing })).toEqual({});
});
