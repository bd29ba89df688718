import { createHash } from 'node:crypto';
import { vmResourceId } from '../../../src/emulator';
import { targetWorkflowId, type TargetRef } from '../../../src/runbook/execution';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { planFor, runTarget, runbookFromYaml, stepNamed } from '../../harness/runbooks';

const RG = 'app-rg';
const vm = (name: string): TargetRef => ({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: name });
const vmId = (name: string): string => vmResourceId(SUBSCRIPTION, RG, name);

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    fleet: { virtualMachines: ['vm-1', 'vm-2', 'vm-3', 'vm-4'].map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name })) },
  });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

test('drain -> (patch || inventory) -> start: dependsOn order holds and the independent pair overlaps', async () => {
  const plan = planFor(
    runbookFromYaml(`
name: order
location: westus
targets: { vms: [${RG}/vm-1] }
steps:
  - { name: drain, script: "sleep 1" }
  - { name: patch, dependsOn: [drain], script: "sleep 2" }
  - { name: inventory, dependsOn: [drain], script: "sleep 2" }
  - { name: start, dependsOn: [patch, inventory], script: "echo started" }
`),
  );
  const result = await runTarget(fleet.client, fleet.taskQueue, plan, vm('vm-1'));
  expect(result.state).toBe('Succeeded');
  expect(stepNamed(result, 'start').outputTail).toBe('started\n');

  const runs = await fleet.admin.runs({ vm: vmId('vm-1') });
  const at = (step: string) => {
    const name = plan.steps.find((s) => s.name === step)?.runCommandName;
    const run = runs.find((r) => r.runCommand === name);
    if (!run?.endedAt) throw new Error(`no finished run of ${step}`);
    return { start: Date.parse(run.startedAt), end: Date.parse(run.endedAt) };
  };
  const [drain, patch, inventory, start] = ['drain', 'patch', 'inventory', 'start'].map(at);
  expect(patch.start).toBeGreaterThanOrEqual(drain.end);
  expect(inventory.start).toBeGreaterThanOrEqual(drain.end);
  expect(patch.start).toBeLessThan(inventory.end);
  expect(inventory.start).toBeLessThan(patch.end);
  expect(start.start).toBeGreaterThanOrEqual(Math.max(patch.end, inventory.end));
}, 90_000);

test('a 5 MB output: the blob holds all of it (same sha256) and history holds no more than the 4 KB tail', async () => {
  const bytes = 5 * 1024 * 1024;
  const plan = planFor(
    runbookFromYaml(`
name: big-output
location: westus
targets: { vms: [${RG}/vm-2] }
steps:
  - { name: dump, script: "head -c ${bytes} /dev/zero | tr '\\\\0' 'x'" }
`),
  );
  const handleResult = await runTarget(fleet.client, fleet.taskQueue, plan, vm('vm-2'));
  const dump = stepNamed(handleResult, 'dump');
  expect(dump.state).toBe('Succeeded');
  expect(dump.output?.size).toBe(bytes);
  expect(dump.output?.sha256).toBe(createHash('sha256').update(Buffer.alloc(bytes, 'x')).digest('hex'));
  expect(dump.output?.url).not.toContain('sig=');
  expect(dump.outputTail).toBe('x'.repeat(4096));

  const history = await fleet.client.workflow.getHandle(targetWorkflowId(plan.rolloutId, vm('vm-2'))).fetchHistory();
  const text = JSON.stringify(history);
  // Payloads are base64 in history: look for the decoded run of x's in every payload.
  const decoded = [...text.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
  const longest = Math.max(0, ...decoded.map((d) => Math.max(0, ...(d.match(/x+/g) ?? []).map((run) => run.length))));
  expect(longest).toBeLessThanOrEqual(4096);
  expect(text.length).toBeLessThan(200_000);
}, 120_000);

describe('outcomes: each ends the step with the right state, Azure code/message, and dependents skipped', () => {
  const withDependent = (first: string): string => `
name: outcome
location: westus
targets: { vms: [${RG}/vm-3] }
steps:
  - ${first}
  - { name: after, dependsOn: [first], script: "echo never" }
`;

  test('success', async () => {
    const result = await runTarget(fleet.client, fleet.taskQueue, planFor(runbookFromYaml(withDependent('{ name: first, script: "echo ok" }'))), vm('vm-3'));
    expect(stepNamed(result, 'first')).toMatchObject({ state: 'Succeeded', exitCode: 0, executionState: 'Succeeded' });
    expect(stepNamed(result, 'after').state).toBe('Succeeded');
    expect(result.state).toBe('Succeeded');
  }, 60_000);

  test('non-zero exit', async () => {
    const result = await runTarget(fleet.client, fleet.taskQueue, planFor(runbookFromYaml(withDependent('{ name: first, script: "echo bad >&2; exit 3" }'))), vm('vm-3'));
    expect(stepNamed(result, 'first')).toMatchObject({ state: 'Failed', exitCode: 3, executionState: 'Failed', errorTail: 'bad\n' });
    expect(stepNamed(result, 'after')).toMatchObject({ state: 'Skipped', reason: 'dependency first did not succeed' });
    expect(result.state).toBe('Failed');
  }, 60_000);

  test('timeout', async () => {
    const result = await runTarget(fleet.client, fleet.taskQueue, planFor(runbookFromYaml(withDependent('{ name: first, script: "sleep 30", timeoutInSeconds: 2 }'))), vm('vm-3'));
    expect(stepNamed(result, 'first')).toMatchObject({ state: 'TimedOut', exitCode: -1, executionState: 'Failed' });
    expect(stepNamed(result, 'after').state).toBe('Skipped');
  }, 60_000);

  test('provisioning failure (treatFailureAsDeploymentFailure)', async () => {
    const result = await runTarget(
      fleet.client,
      fleet.taskQueue,
      planFor(runbookFromYaml(withDependent('{ name: first, script: "exit 4", treatFailureAsDeploymentFailure: true }'))),
      vm('vm-3'),
    );
    expect(stepNamed(result, 'first')).toMatchObject({ state: 'Failed', exitCode: 4, failure: { code: 'ProvisioningFailed' } });
    expect(stepNamed(result, 'after').state).toBe('Skipped');
  }, 60_000);

  test('unknown VM: 404 with Azure\'s code and message', async () => {
    const result = await runTarget(fleet.client, fleet.taskQueue, planFor(runbookFromYaml(withDependent('{ name: first, script: "echo hi" }'))), vm('no-such-vm'));
    const first = stepNamed(result, 'first');
    expect(first.state).toBe('Failed');
    expect(first.failure).toMatchObject({ code: 'ResourceNotFound', statusCode: 404 });
    expect(first.failure?.message).toContain("'Microsoft.Compute/virtualMachines/no-such-vm'");
    expect(stepNamed(result, 'after').state).toBe('Skipped');
  }, 60_000);
});

test('forbidden: a read-only principal gets 403 AuthorizationFailed, unaltered', async () => {
  // A second worker, on its own task queue, whose ARM token is a read-only principal's.
  const readOnly = { taskQueue: `${fleet.taskQueue}-ro`, ...(await fleet.startWorker({ azure: { ...fleet.azure, armToken: fleet.emulator.readOnlyToken }, taskQueue: `${fleet.taskQueue}-ro` })) };
  try {
    const plan = planFor(runbookFromYaml(`
name: forbidden
location: westus
targets: { vms: [${RG}/vm-4] }
steps:
  - { name: first, script: "echo hi" }
  - { name: after, dependsOn: [first], script: "echo never" }
`));
    const result = await runTarget(fleet.client, readOnly.taskQueue, plan, vm('vm-4'));
    expect(stepNamed(result, 'first').failure).toMatchObject({ code: 'AuthorizationFailed', statusCode: 403 });
    expect(stepNamed(result, 'first').failure?.message).toMatch(/does not have authorization to perform action 'Microsoft\.Compute\/virtualMachines\/runCommands\/write'/);
    expect(stepNamed(result, 'after').state).toBe('Skipped');
    expect(await fleet.admin.executionCount(vmId('vm-4'), plan.steps[0].runCommandName)).toBe(0);
  } finally {
    await readOnly.stop();
  }
}, 60_000);

