import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { startRollout } from '../../../src/client/rollouts';
import { TemporalServer } from '../../../src/devstack/temporal-server';
import { obtainTemporalCli } from '../../../src/devstack/temporal-cli';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';
import { testStack } from '../../harness/stack';

// A Temporal dev server of its own, whose continue-as-new suggestion comes early, so the
// rollout must carry its state across several runs. `npm test` runs 400 targets; the
// 2,000-target figure comes from FLEETCMD_CAN_TARGETS=2000 (see BENCHMARKS.md).
const TARGETS = Number(process.env.FLEETCMD_CAN_TARGETS ?? 400);
const SUGGEST_AT = 500;
const RG = 'can-rg';

let server: TemporalServer;
let fleet: Fleet;

beforeAll(async () => {
  const cli = await obtainTemporalCli();
  if (cli.type !== 'existing-path') throw new Error('this test restarts its own dev server: it needs a Temporal CLI binary');
  server = await TemporalServer.start({
    cliPath: cli.path,
    dataDir: mkdtempSync(join(testStack().tmpDir, 'temporal-can-')),
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AT },
  });
  const virtualMachines = Array.from({ length: TARGETS }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `vm-${String(i).padStart(4, '0')}` }));
  fleet = await startFleet({ temporalAddress: server.address, fleet: { virtualMachines } });
  await fleet.startWorker();
}, 120_000);

afterAll(async () => {
  await fleet?.close();
  await server?.stop();
});

test(`${TARGETS} targets with continue-as-new suggested at ${SUGGEST_AT} events: completes, and no workflow's history passes 10,240 events`, async () => {
  const runbook = runbookFromYaml(`
name: many
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: touch, script: "echo ok" }
rollout: { maxConcurrency: 100 }
`);
  const handle = await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL });
  const report = await handle.result();
  expect(report.status).toBe('Completed');
  expect(report.counts).toMatchObject({ Succeeded: TARGETS, Failed: 0, NotStarted: 0 });
  expect((await fleet.admin.counters()).executions.filter((e) => e.count === 1)).toHaveLength(TARGETS);

  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    const runs: WorkflowExecutionInfo[] = [];
    for await (const e of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(e);
    let largestChild = 0;
    for await (const e of client.workflow.list({ query: `WorkflowType = 'target'` })) largestChild = Math.max(largestChild, e.historyLength);
    const largestRollout = Math.max(...runs.map((r) => r.historyLength));
    process.stderr.write(`${TARGETS} targets in ${Math.round(report.elapsedMs / 1000)} s; rollout runs: ${runs.length}, largest rollout run history ${largestRollout} events, largest target history ${largestChild} events\n`);
    expect(runs.length).toBeGreaterThan(1);
    expect(Math.max(largestRollout, largestChild)).toBeLessThan(10_240);
  } finally {
    await connection.close();
  }
}, 900_000);
