import { createActivities } from '../../../src/activities';
import { createComputeClient } from '../../../src/azure/clients';
import { vmResourceId } from '../../../src/emulator';
import { TAG_ROLLOUT } from '../../../src/activities/run-command';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { planFor, runTarget, runbookFromYaml, stepNamed } from '../../harness/runbooks';
import { planRunbook } from '../../../src/runbook/to-plan';
import { TEST_POLL } from '../../harness/runbooks';
import type { TargetRef } from '../../../src/runbook/execution';

// One step's life on the real stack, off the paths the chaos suite walks: a
// PUT that outlives its create attempt, an agent that starts the script late,
// storage refusing the output read, and keepLast.

const RG = 'lifecycle-rg';
const VMS = ['slow-put', 'late-agent', 'no-storage', 'keep-1', 'keep-2'];
const vm = (name: string): TargetRef => ({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: name });
const vmId = (name: string): string => vmResourceId(SUBSCRIPTION, RG, name);

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({ fleet: { virtualMachines: VMS.map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name })) } });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

async function runCommandsOn(vmName: string) {
  const client = createComputeClient(fleet.azure, SUBSCRIPTION);
  const found = [];
  for await (const rc of client.virtualMachineRunCommands.listByVirtualMachine(RG, vmName)) found.push(rc);
  return found;
}

/** Longer than a create attempt's 30 s start-to-close. */
const HOLD_MS = 35_000;

test('a PUT that Azure holds past the create attempt\'s lease: the retried create sends the same body, the script runs once, nothing is left', async () => {
  const worker = await fleet.startWorker();
  try {
    await fleet.admin.setRequestFaults({ latencyMs: HOLD_MS, phase: 'before', methods: ['PUT'] });
    const plan = planFor(runbookFromYaml(`
name: slow-put
location: westus
targets: { vms: [${RG}/slow-put] }
steps:
  - { name: once, script: "echo ran once" }
`));
    const result = await runTarget(fleet.client, fleet.taskQueue, plan, vm('slow-put'));
    expect(stepNamed(result, 'once').state).toBe('Succeeded');
    // Any PUT still held lands within the hold: only then can a second execution show.
    await new Promise((r) => setTimeout(r, HOLD_MS + 5_000));
    expect(await fleet.admin.executionCount(vmId('slow-put'), plan.steps[0].runCommandName)).toBe(1);
    expect(await runCommandsOn('slow-put')).toEqual([]);
  } finally {
    await fleet.admin.clearFaults();
    await worker.stop();
  }
}, 300_000);

test('an agent that starts the script late is judged from the script\'s startTime: a script within its timeout succeeds', async () => {
  const worker = await fleet.startWorker();
  try {
    // Grace 3 s, timeout 10 s; the agent starts 8 s late and the script takes 8 s: 16 s after the PUT,
    // past timeout + grace counted from the PUT, well within it counted from the script's start.
    await fleet.admin.setVmFaults({ vm: vmId('late-agent'), agentPickupDelayMs: 8_000 });
    const runbook = runbookFromYaml(`
name: late-agent
location: westus
targets: { vms: [${RG}/late-agent] }
steps:
  - { name: patient, script: "sleep 8; echo done", timeoutInSeconds: 10 }
`);
    const plan = planRunbook(runbook, { rolloutId: `late-${Date.now().toString(36)}`, poll: TEST_POLL, agentGraceSeconds: 3 });
    const result = await runTarget(fleet.client, fleet.taskQueue, plan, vm('late-agent'));
    const step = stepNamed(result, 'patient');
    expect({ state: step.state, exitCode: step.exitCode, failure: step.failure }).toEqual({ state: 'Succeeded', exitCode: 0, failure: undefined });
    expect(await fleet.admin.executionCount(vmId('late-agent'), plan.steps[0].runCommandName)).toBe(1);
  } finally {
    await fleet.admin.setVmFaults({ vm: vmId('late-agent'), agentPickupDelayMs: 0 });
    await worker.stop();
  }
}, 120_000);

test('storage refusing the output read leaves a succeeded step Succeeded, with the output reported unavailable and why', async () => {
  // The output is read with a key storage refuses; the PUT's SAS is signed with the right one.
  const wrongKey = fleet.azure.storageConnectionString?.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('not the account key').toString('base64')}`);
  const refusing = createActivities({ ...fleet.azure, storageConnectionString: wrongKey });
  const worker = await fleet.startWorker({ activities: { collectOutput: refusing.collectOutput } });
  try {
    const plan = planFor(runbookFromYaml(`
name: no-storage
location: westus
targets: { vms: [${RG}/no-storage] }
steps:
  - { name: healthy, script: "echo all good" }
onFailure:
  - { name: rollback, script: "echo rolled back" }
`));
    const result = await runTarget(fleet.client, fleet.taskQueue, plan, vm('no-storage'));
    const step = stepNamed(result, 'healthy');
    expect(result.state).toBe('Succeeded');
    expect(step.state).toBe('Succeeded');
    expect(step.outputTail).toContain('all good');
    expect(step.output).toBeUndefined();
    expect(step.outputUnavailable).toMatch(/^AuthorizationFailure: /);
    expect(result.onFailure).toBeUndefined();
    expect(await fleet.admin.executionCount(vmId('no-storage'), plan.onFailure?.[0].runCommandName ?? '')).toBe(0);
  } finally {
    await worker.stop();
  }
}, 120_000);

test('keepLast 2: after several steps and two rollouts, at most 2 of fleetcmd\'s run commands remain per VM, and a foreign one is untouched', async () => {
  const worker = await fleet.startWorker();
  try {
    const compute = createComputeClient(fleet.azure, SUBSCRIPTION);
    await compute.virtualMachineRunCommands.createOrUpdate(RG, 'keep-1', 'someone-elses', { location: 'westus', source: { script: 'echo mine' } }).submitted();
    const runbook = runbookFromYaml(`
name: keep-two
location: westus
targets: { vms: [${RG}/keep-1, ${RG}/keep-2] }
steps:
  - { name: first, script: "echo 1" }
  - { name: second, dependsOn: [first], script: "echo 2" }
  - { name: third, dependsOn: [second], script: "echo 3" }
cleanup: { keepLast: 2 }
`);
    for (const round of [1, 2]) {
      const plan = planFor(runbook);
      for (const name of ['keep-1', 'keep-2']) {
        const result = await runTarget(fleet.client, fleet.taskQueue, plan, vm(name));
        expect(result.state).toBe('Succeeded');
        const ours = (await runCommandsOn(name)).filter((rc) => rc.tags?.[TAG_ROLLOUT]);
        // The newest two: this rollout's second and third steps.
        expect({ round, names: ours.map((rc) => rc.name).sort() }).toEqual({ round, names: [plan.steps[1].runCommandName, plan.steps[2].runCommandName].sort() });
      }
    }
    expect((await runCommandsOn('keep-1')).map((rc) => rc.name)).toContain('someone-elses');
  } finally {
    await worker.stop();
  }
}, 180_000);
