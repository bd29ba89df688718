import { WorkflowFailedError } from '@temporalio/client';
import { vmResourceId } from '../../../src/emulator';
import { targetWorkflowId, type RunbookPlan, type TargetRef } from '../../../src/runbook/execution';
import { SUBSCRIPTION, startFleet, waitFor, type Fleet } from '../../harness/fleet';
import { planFor, runbookFromYaml, startTarget } from '../../harness/runbooks';

const RG = 'durable-rg';
const vm = (name: string): TargetRef => ({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: name });
const vmId = (name: string): string => vmResourceId(SUBSCRIPTION, RG, name);
const machines = (names: string[]) => ({ virtualMachines: names.map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name })) });

// Two fleets: `steady` runs a 10 s and a 120 s script side by side for the whole file (their
// histories are compared in the last test); `crashy` has workers that tests kill.
let steady: Fleet;
let crashy: Fleet;
const long: { plan: RunbookPlan; seconds: number; target: TargetRef }[] = [];

function oneStep(name: string, script: string, extra = ''): RunbookPlan {
  return planFor(runbookFromYaml(`
name: ${name}
location: westus
targets: { vms: [${RG}/x] }
steps:
  - { name: only, script: "${script}"${extra} }
`));
}

beforeAll(async () => {
  steady = await startFleet({ fleet: machines(['long-10', 'long-120']) });
  crashy = await startFleet({ fleet: machines(['vm-1', 'vm-2', 'vm-3']) });
  await steady.startWorker();
  for (const seconds of [10, 120]) {
    const entry = { plan: oneStep(`sleep-${seconds}`, `sleep ${seconds}; echo slept ${seconds}`), seconds, target: vm(`long-${seconds}`) };
    await startTarget(steady.client, steady.taskQueue, entry.plan, entry.target);
    long.push(entry);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([steady?.close(), crashy?.close()]);
});

async function runOf(vmName: string, runCommandName: string) {
  return (await crashy.admin.runs({ vm: vmId(vmName), runCommand: runCommandName }))[0];
}

test('kill -9 of the worker while a script runs: a new worker finishes the runbook, each step ran exactly once', async () => {
  const plan = planFor(runbookFromYaml(`
name: crash-mid-script
location: westus
targets: { vms: [${RG}/vm-1] }
steps:
  - { name: first, script: "sleep 4; echo one" }
  - { name: second, dependsOn: [first], script: "echo two" }
`));
  const first = await crashy.spawnWorker();
  const handle = await startTarget(crashy.client, crashy.taskQueue, plan, vm('vm-1'));
  await waitFor(() => runOf('vm-1', plan.steps[0].runCommandName), { what: 'the first script to start', timeoutMs: 60_000 });
  first.kill('SIGKILL');

  await crashy.spawnWorker();
  const result = await handle.result();
  expect(result.state).toBe('Succeeded');
  for (const step of plan.steps) expect(await crashy.admin.executionCount(vmId('vm-1'), step.runCommandName)).toBe(1);
}, 180_000);

test('kill -9 of the worker right after its PUT reached Azure: the retried create sends no second PUT, each step ran once', async () => {
  const plan = planFor(runbookFromYaml(`
name: crash-after-put
location: westus
targets: { vms: [${RG}/vm-2] }
steps:
  - { name: first, script: "sleep 2; echo one" }
  - { name: second, dependsOn: [first], script: "echo two" }
`));
  // Azure accepts the PUT, but its answer is held back: the worker dies not knowing the PUT took effect.
  await crashy.admin.setRequestFaults({ latencyMs: 15_000, phase: 'after', methods: ['PUT'] });
  const first = await crashy.spawnWorker();
  const handle = await startTarget(crashy.client, crashy.taskQueue, plan, vm('vm-2'));
  await waitFor(() => runOf('vm-2', plan.steps[0].runCommandName), { what: 'the PUT to start the script', timeoutMs: 60_000 });
  first.kill('SIGKILL');
  await crashy.admin.clearFaults();

  await crashy.spawnWorker();
  const result = await handle.result();
  expect(result.state).toBe('Succeeded');
  for (const step of plan.steps) expect(await crashy.admin.executionCount(vmId('vm-2'), step.runCommandName)).toBe(1);
}, 180_000);

test('cancelling a running runbook deletes its run commands, which kills the scripts', async () => {
  const plan = planFor(runbookFromYaml(`
name: cancel-me
location: westus
targets: { vms: [${RG}/vm-3] }
steps:
  - { name: left, script: "sleep 120" }
  - { name: right, script: "sleep 120" }
  - { name: after, dependsOn: [left, right], script: "echo never" }
`));
  const worker = await crashy.startWorker();
  try {
    const handle = await startTarget(crashy.client, crashy.taskQueue, plan, vm('vm-3'));
    const running = await waitFor(
      async () => {
        const runs = await Promise.all(plan.steps.slice(0, 2).map((s) => runOf('vm-3', s.runCommandName)));
        return runs.every((r) => r?.pid && !r.endedAt) ? runs : undefined;
      },
      { what: 'both scripts to run' },
    );
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);

    const client = (await import('../../../src/azure/clients')).createComputeClient(crashy.azure, SUBSCRIPTION);
    const left: string[] = [];
    for await (const rc of client.virtualMachineRunCommands.listByVirtualMachine(RG, 'vm-3')) left.push(rc.name ?? '');
    expect(left).toEqual([]);
    for (const run of running) {
      const pid = run?.pid as number;
      expect(() => process.kill(pid, 0)).toThrow();
    }
    expect(await crashy.admin.executionCount(vmId('vm-3'), plan.steps[2].runCommandName)).toBe(0);
  } finally {
    await worker.stop();
  }
}, 120_000);

test('a 10 s and a 120 s script write the same number of history events', async () => {
  const counts: number[] = [];
  for (const entry of long) {
    const handle = steady.client.workflow.getHandle(targetWorkflowId(entry.plan.rolloutId, entry.target));
    const result = await handle.result();
    expect(result.state).toBe('Succeeded');
    const { events } = await handle.fetchHistory();
    counts.push(events?.length ?? 0);
  }
  process.stderr.write(`history events: 10 s script ${counts[0]}, 120 s script ${counts[1]}\n`);
  expect(counts[1]).toBe(counts[0]);
}, 400_000);
