import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { vmResourceId } from '../../../src/emulator';
import { createSchedule, deleteSchedule, describeSchedule, pauseSchedule, triggerSchedule, type CreateScheduleOptions } from '../../../src/client/schedules';
import { targetWorkflowId } from '../../../src/runbook/execution';
import { runCommandName } from '../../../src/runbook/plan';
import type { RolloutReport } from '../../../src/runbook/rollout';
import { SUBSCRIPTION, startFleet, waitFor, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';

/**
 * Schedules on the real dev server, rolling out on the emulator: a schedule
 * fires on its own, `trigger` fires at once, and a firing's window stops new
 * starts. Each test has its own resource group, so run records never mix.
 */

const vmNames = (n: number) => Array.from({ length: n }, (_, i) => `vm-${String(i).padStart(2, '0')}`);
const GROUPS = { auto: vmNames(2), trigger: vmNames(1), window: vmNames(10), late: vmNames(6) };

let fleet: Fleet;
const created: string[] = [];

beforeAll(async () => {
  fleet = await startFleet({
    fleet: {
      virtualMachines: Object.entries(GROUPS).flatMap(([rg, names]) => names.map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: `sched-${rg}`, name }))),
    },
  });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  // No schedule may outlive this file: pause, let rollouts in flight end, delete.
  for (const id of created) await retire(id).catch(() => undefined);
  await fleet?.close();
}, 60_000);

/** A schedule of a runbook over one of the resource groups, with fast polling. */
async function scheduleOf(group: keyof typeof GROUPS, options: Partial<CreateScheduleOptions> & { script?: string; rollout?: string }): Promise<{ scheduleId: string; runbookName: string }> {
  const scheduleId = `sched-${group}-${randomUUID().slice(0, 8)}`;
  const runbookName = `scheduled-${group}-${randomUUID().slice(0, 8)}`;
  const runbook = runbookFromYaml(`
name: ${runbookName}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [sched-${group}] }
steps:
  - { name: work, script: "${options.script ?? 'sleep 1; echo done'}" }
rollout: ${options.rollout ?? '{ maxConcurrency: 10 }'}
`);
  await createSchedule(fleet.client, { scheduleId, runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL, ...options });
  created.push(scheduleId);
  return { scheduleId, runbookName };
}

async function retire(scheduleId: string): Promise<void> {
  try {
    await pauseSchedule(fleet.client, scheduleId);
    const { running } = await describeSchedule(fleet.client, scheduleId);
    await Promise.all(running.map((id) => fleet.client.workflow.getHandle(id).result().catch(() => undefined)));
    await deleteSchedule(fleet.client, scheduleId);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/** When each target workflow the rollout started began (targets it never started are skipped). */
async function targetStarts(rolloutId: string, group: keyof typeof GROUPS): Promise<number[]> {
  const starts: number[] = [];
  for (const name of GROUPS[group]) {
    try {
      starts.push((await fleet.client.workflow.getHandle(targetWorkflowId(rolloutId, { kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: `sched-${group}`, vmName: name })).describe()).startTime.getTime());
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return starts;
}

const reportOf = (rolloutId: string): Promise<RolloutReport> => fleet.client.workflow.getHandle(rolloutId).result();

test('a schedule every 5 s starts rollouts on its own, findable by runbook, each firing with new run-command names', async () => {
  const { scheduleId, runbookName } = await scheduleOf('auto', { every: '5s' });

  const firings = await waitFor(
    async () => {
      const done = (await describeSchedule(fleet.client, scheduleId)).recentActions.filter((a) => a.status === 'Completed');
      return done.length >= 2 && done.slice(0, 2);
    },
    { timeoutMs: 45_000, what: 'two completed firings' },
  );
  await retire(scheduleId);

  const rolloutIds = firings.map((f) => f.rolloutId);
  expect(new Set(rolloutIds).size).toBe(2);
  for (const rolloutId of rolloutIds) {
    expect(rolloutId.startsWith(`${scheduleId}-`)).toBe(true);
    const report = await reportOf(rolloutId);
    expect(report).toMatchObject({ rolloutId, status: 'Completed', counts: { Succeeded: 2, Failed: 0, NotStarted: 0 } });
  }

  // Each firing ran its own run command once on each VM; the two never share a name.
  const names = rolloutIds.map((rolloutId) => runCommandName({ rolloutId, stepName: 'work' }));
  expect(names[0]).not.toBe(names[1]);
  for (const vm of GROUPS.auto.map((n) => vmResourceId(SUBSCRIPTION, 'sched-auto', n))) {
    for (const name of names) expect(await fleet.admin.executionCount(vm, name)).toBe(1);
  }

  const found = await waitFor(
    async () => {
      const ids: string[] = [];
      for await (const wf of fleet.client.workflow.list({ query: `FleetcmdRunbook = '${runbookName}'` })) ids.push(wf.workflowId);
      return rolloutIds.every((id) => ids.includes(id)) && ids;
    },
    { timeoutMs: 10_000, what: 'the rollouts in visibility by FleetcmdRunbook' },
  );
  expect(found.every((id) => id.startsWith(`${scheduleId}-`))).toBe(true);
}, 90_000);

test('trigger starts a rollout at once on a paused schedule', async () => {
  // Sundays at 03:00: it would not fire during the test by itself.
  const { scheduleId } = await scheduleOf('trigger', { cron: ['0 3 * * SUN'], paused: true });

  const { rolloutId } = await triggerSchedule(fleet.client, scheduleId);
  expect(rolloutId).toBeDefined();
  const report = await reportOf(rolloutId ?? '');
  expect(report).toMatchObject({ status: 'Completed', counts: { Succeeded: 1, Failed: 0 } });

  const details = await describeSchedule(fleet.client, scheduleId);
  expect(details).toMatchObject({ paused: true, actionsTaken: 1 });
  expect(details.recentActions.map((a) => [a.rolloutId, a.status])).toEqual([[rolloutId, 'Completed']]);
}, 60_000);

test('a 5 s window closing mid-rollout leaves the remaining targets NotStarted with the reason, none started after its end', async () => {
  const { scheduleId } = await scheduleOf('window', {
    cron: ['0 3 * * SUN'],
    paused: true,
    windowSeconds: 5,
    script: 'sleep 2; echo done',
    rollout: '{ maxConcurrency: 1 }',
  });
  const { rolloutId } = await triggerSchedule(fleet.client, scheduleId);
  if (!rolloutId) throw new Error('trigger started no rollout');
  const report = await reportOf(rolloutId);

  const succeeded = report.counts.Succeeded;
  expect(report.status).toBe('Stopped');
  expect(report.stopReason).toBe('maintenance window closed');
  expect(succeeded).toBeGreaterThanOrEqual(1);
  expect(succeeded).toBeLessThan(10);
  expect(report.counts).toMatchObject({ Failed: 0, Canceled: 0, Running: 0, NotStarted: 10 - succeeded });
  expect(report.notStartedIndices).toHaveLength(10 - succeeded);

  const windowEnd = Date.parse(report.startedAt) + 5_000;
  // The rollout's decision: every target workflow it started, started before the window's end.
  const started = await targetStarts(rolloutId, 'window');
  expect(started).toHaveLength(succeeded);
  for (const t of started) expect(t).toBeLessThanOrEqual(windowEnd);

  // On the machines: exactly those targets ran the script. A script starts a
  // moment after its target (a PUT and the agent's pickup), hence the margin.
  const runName = runCommandName({ rolloutId, stepName: 'work' });
  const runs = (await fleet.admin.runs({ runCommand: runName })).filter((r) => r.vm.toLowerCase().includes('/resourcegroups/sched-window/'));
  expect(runs).toHaveLength(succeeded);
  for (const run of runs) expect(Date.parse(run.startedAt)).toBeLessThan(windowEnd + 1_500);
}, 60_000);

test('a firing its worker picks up late measures its window from the time the schedule fired for', async () => {
  // No worker polls this queue when the schedule fires: the firing waits, as it would for a worker that is down.
  const taskQueue = `late-${randomUUID()}`;
  const { scheduleId } = await scheduleOf('late', {
    cron: ['0 3 * * SUN'],
    paused: true,
    windowSeconds: 6,
    script: 'sleep 1; echo done',
    rollout: '{ maxConcurrency: 1 }',
    taskQueue,
  });
  const firedAt = Date.now();
  const { rolloutId } = await triggerSchedule(fleet.client, scheduleId);
  if (!rolloutId) throw new Error('trigger started no rollout');
  await new Promise((r) => setTimeout(r, 4_000));
  const worker = await fleet.startWorker({ taskQueue });
  try {
    const report = await reportOf(rolloutId);
    // The window ran from the firing, 4 s before any worker saw it, not from the pickup.
    const startedAt = Date.parse(report.startedAt);
    expect(startedAt).toBeGreaterThanOrEqual(firedAt - 1_000);
    expect(startedAt).toBeLessThan(firedAt + 2_000);
    expect(report.status).toBe('Stopped');
    expect(report.stopReason).toBe('maintenance window closed');
    const starts = await targetStarts(rolloutId, 'late');
    expect(starts).toHaveLength(report.counts.Succeeded);
    for (const t of starts) expect(t).toBeLessThanOrEqual(startedAt + 6_000);
  } finally {
    await worker.stop();
  }
}, 60_000);
