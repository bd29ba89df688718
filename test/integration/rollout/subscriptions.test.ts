import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { rolloutHandle, startRollout } from '../../../src/client/rollouts';
import { vmResourceId } from '../../../src/emulator';
import { targetWorkflowId, type TargetRef, type TargetResult } from '../../../src/runbook/execution';
import { runCommandName } from '../../../src/runbook/plan';
import { SUBSCRIPTION } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';
import { testStack } from '../../harness/stack';
import { fleetcmd, runbookFile, useFleet } from '../cli/helpers';

/**
 * The same resource group and VM name in two subscriptions are two machines:
 * their target workflows, the rollout's bookkeeping and their output blobs
 * must not collide, and what a person reads must tell them apart.
 */
const OTHER = '00000000-0000-0000-0000-0000000000b2';
const RG = 'twin-rg';
const fleet = useFleet({
  virtualMachines: [
    { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'twin' },
    { subscriptionId: OTHER, resourceGroup: RG, name: 'twin' },
    { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'single' },
  ],
});
const twins = [SUBSCRIPTION, OTHER].map((subscriptionId): TargetRef => ({ kind: 'vm', subscriptionId, resourceGroup: RG, vmName: 'twin' }));

function twinsYaml(name: string, script: string): string {
  return `
name: ${name}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, vms: ["${vmResourceId(SUBSCRIPTION, RG, 'twin')}", "${vmResourceId(OTHER, RG, 'twin')}"] }
steps:
  - { name: work, script: ${JSON.stringify(script)} }
rollout: { waves: ["100%"], maxConcurrency: 2, maxErrors: 2 }
`;
}

async function blobText(url: string): Promise<string> {
  const blobName = decodeURIComponent(new URL(url).pathname.split('/').slice(3).join('/'));
  const container = BlobServiceClient.fromConnectionString(testStack().azurite.connectionString).getContainerClient('fleetcmd-output');
  return (await container.getBlobClient(blobName).downloadToBuffer()).toString('utf8');
}

test('one rollout over rg/vm of the same names in two subscriptions runs both, once each, with outputs of their own', async () => {
  const runbook = runbookFromYaml(twinsYaml('twins', 'echo "I am $FLEETCMD_EMULATOR_VM"'));
  const rolloutId = `twins-${randomUUID().slice(0, 8)}`;
  await startRollout(fleet().client, { runbook, taskQueue: fleet().taskQueue, rolloutId, poll: TEST_POLL });
  const report = await rolloutHandle(fleet().client, rolloutId).result();
  expect({ failures: report.failures, counts: report.counts }).toMatchObject({ failures: [], counts: { Succeeded: 2, Failed: 0 } });

  const name = runCommandName({ rolloutId, stepName: 'work' });
  for (const subscriptionId of [SUBSCRIPTION, OTHER]) {
    expect({ subscriptionId, runs: await fleet().admin.executionCount(vmResourceId(subscriptionId, RG, 'twin'), name) }).toEqual({ subscriptionId, runs: 1 });
  }

  const workflowIds = twins.map((t) => targetWorkflowId(rolloutId, t));
  expect(new Set(workflowIds).size).toBe(2);
  const results = await Promise.all(workflowIds.map((id) => fleet().client.workflow.getHandle(id).result() as Promise<TargetResult>));
  const outputs = results.map((r) => r.steps[0].output);
  expect(outputs.map((o) => o?.url).filter(Boolean)).toHaveLength(2);
  expect(outputs[0]?.url).not.toBe(outputs[1]?.url);
  for (const [i, subscriptionId] of [SUBSCRIPTION, OTHER].entries()) {
    const url = outputs[i]?.url ?? '';
    expect(url).toContain(subscriptionId);
    expect(await blobText(url)).toBe(`I am ${vmResourceId(subscriptionId, RG, 'twin')}\n`);
  }
}, 90_000);

test('plan and status name each twin with its subscription; within one subscription they name it once and show rg/vm', async () => {
  const file = runbookFile(twinsYaml('twins-shown', 'echo "failing on purpose" >&2; exit 3'));
  const plan = await fleetcmd(fleet(), ['plan', file]);
  expect(plan.code).toBe(0);
  expect(plan.out).toContain(`    ${SUBSCRIPTION}/${RG}/twin\n    ${OTHER}/${RG}/twin\n`);

  const rolloutId = `twins-shown-${randomUUID().slice(0, 8)}`;
  await startRollout(fleet().client, { runbook: runbookFromYaml(twinsYaml('twins-shown', 'echo "failing on purpose" >&2; exit 3')), taskQueue: fleet().taskQueue, rolloutId, poll: TEST_POLL });
  await rolloutHandle(fleet().client, rolloutId).result();
  const status = await fleetcmd(fleet(), ['status', rolloutId]);
  expect(status.out).toContain(`  ${SUBSCRIPTION}/${RG}/twin: work: failing on purpose`);
  expect(status.out).toContain(`  ${OTHER}/${RG}/twin: work: failing on purpose`);

  const single = runbookFile(`
name: single
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, vms: [${RG}/single, ${RG}/twin] }
steps:
  - { name: work, script: "exit 3" }
rollout: { waves: ["100%"], maxConcurrency: 2, maxErrors: 2 }
`);
  const singlePlan = await fleetcmd(fleet(), ['plan', single]);
  expect(singlePlan.out).toContain(`targets: 2, resolved through ARM in subscription ${SUBSCRIPTION}`);
  expect(singlePlan.out).toContain(`    ${RG}/single\n    ${RG}/twin\n`);
}, 90_000);
