import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { targetWorkflowId } from '../../../src/runbook/execution';
import { vmResourceId } from '../../../src/emulator';
import type { RunbookPlan, TargetResult } from '../../../src/runbook/execution';
import { planRunbook } from '../../../src/runbook/to-plan';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runTarget, runbookFromYaml, stepNamed } from '../../harness/runbooks';

// Chaos scenario R4's hung agent at its smallest: one VM whose agent starts the script, says
// Running, and never reports again. DESIGN: the step fails once timeoutInSeconds plus the
// plan's agent grace have passed, with a reason that says the agent went silent.
const RG = 'hung-rg';
const TIMEOUT_SECONDS = 4;
const GRACE_SECONDS = 3;
const target = { kind: 'vm' as const, subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: 'hung-1' };

let fleet: Fleet;
let plan: RunbookPlan;
let result: TargetResult;
let history: temporal.api.history.v1.IHistoryEvent[];

beforeAll(async () => {
  fleet = await startFleet({ fleet: { virtualMachines: [{ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'hung-1' }] } });
  await fleet.startWorker();
  const runbook = runbookFromYaml(`
name: hung
location: westus
targets: { vms: [${RG}/hung-1] }
steps:
  - { name: probe, script: "sleep 1; echo probed", timeoutInSeconds: ${TIMEOUT_SECONDS} }
`);
  plan = planRunbook(runbook, { rolloutId: `hung-${randomUUID().slice(0, 8)}`, poll: TEST_POLL, agentGraceSeconds: GRACE_SECONDS });
  await fleet.admin.setVmFaults({ vm: vmResourceId(SUBSCRIPTION, RG, 'hung-1'), hungAgent: true });
  result = await runTarget(fleet.client, fleet.taskQueue, plan, target);
  history = (await fleet.client.workflow.getHandle(targetWorkflowId(plan.rolloutId, target)).fetchHistory()).events ?? [];
}, 120_000);

afterAll(async () => {
  await fleet?.close();
});

test('a hung agent fails its step as AgentUnresponsive, the script having run once', async () => {
  const probe = stepNamed(result, 'probe');
  expect(probe.state).toBe('Failed');
  expect(probe.failure?.code).toBe('AgentUnresponsive');
  expect(await fleet.admin.executionCount(vmResourceId(SUBSCRIPTION, RG, 'hung-1'), plan.steps[0].runCommandName)).toBe(1);
});

test('a hung agent is waited for timeoutInSeconds + the agent grace, no less', () => {
  const scheduled = history.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitRunCommand');
  const ended = history.find((e) => {
    const id = e.activityTaskFailedEventAttributes?.scheduledEventId ?? e.activityTaskTimedOutEventAttributes?.scheduledEventId;
    return id != null && Number(id) === Number(scheduled?.eventId);
  });
  const waitedSeconds = (millis(ended?.eventTime) - millis(scheduled?.eventTime)) / 1000;
  expect(waitedSeconds).toBeGreaterThanOrEqual(TIMEOUT_SECONDS + GRACE_SECONDS);
});

function millis(t: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6);
}
