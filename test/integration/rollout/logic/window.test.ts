import { randomUUID } from 'node:crypto';
import { createSchedule, deleteSchedule, describeSchedule, pauseSchedule } from '../../../../src/client/schedules';
import type { RolloutReport } from '../../../../src/runbook/rollout';
import { waitFor } from '../../../harness/fleet';
import { runbookFromYaml } from '../../../harness/runbooks';
import { useLab, within } from './lab';

// The maintenance window: no target starts after it closes, whatever the rollout was waiting for.
const lab = useLab();

test('a window closing while a target runs: the target finishes, the rest are NotStarted, the rollout is Stopped', async () => {
  const r = await lab().start({ names: ['hold-0', 'ok-1', 'ok-2'], rollout: { maxConcurrency: 1, windowSeconds: 2 } });
  await waitFor(() => r.started('hold-0'), { what: 'hold-0 to start' });
  const { startedAt } = await r.progress();
  await waitFor(async () => Date.now() > Date.parse(startedAt) + 2_000 && (await r.progress()).status === 'Stopping', { what: 'the window to close' });
  await r.finish('hold-0', 'Succeeded');
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Stopped', stopReason: 'maintenance window closed', counts: { Succeeded: 1, NotStarted: 2 }, notStartedIndices: [1, 2] });
  expect(await r.started('ok-1')).toBe(false);
}, 60_000);

test('a window closing while the rollout awaits approval stops it, with the reason', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1', 'ok-2'], rollout: { waves: [1, '100%'], approval: 'afterFirstWave', windowSeconds: 3 } });
  await waitFor(async () => (await r.progress()).status === 'AwaitingApproval', { what: 'AwaitingApproval' });
  // Nobody approves: the window's end alone must end the rollout.
  const report = await within(r.result(), 'the rollout awaiting approval past its window');
  expect(report).toMatchObject({
    status: 'Stopped',
    stopReason: 'maintenance window closed while awaiting approval',
    counts: { Succeeded: 1, NotStarted: 2 },
    notStartedIndices: [1, 2],
  });
}, 60_000);

test('a scheduled rollout left awaiting approval ends with its window, so the next firing is not skipped', async () => {
  const group = lab().register(['ok-0', 'ok-1']);
  const scheduleId = `logic-sched-${randomUUID().slice(0, 8)}`;
  const runbook = runbookFromYaml(`
name: approval-window
location: westus
targets: { subscriptionId: 00000000-0000-0000-0000-00000000cafe, resourceGroups: [${group}] }
steps:
  - { name: work, script: "true" }
rollout: { waves: [1, "100%"], approval: afterFirstWave }
`);
  await createSchedule(lab().env.client, { scheduleId, runbook, taskQueue: lab().taskQueue, every: '4s', windowSeconds: 2 });
  try {
    const stopped = await waitFor(
      async () => {
        const { recentActions } = await describeSchedule(lab().env.client, scheduleId);
        const ended = recentActions.filter((a) => a.status === 'Stopped');
        return ended.length >= 2 && ended.slice(0, 2);
      },
      { what: 'two firings to end at their windows', timeoutMs: 40_000 },
    );
    for (const { rolloutId } of stopped) {
      const report = await lab().env.client.workflow.getHandle(rolloutId).result() as RolloutReport;
      expect(report).toMatchObject({ status: 'Stopped', stopReason: 'maintenance window closed while awaiting approval', counts: { Succeeded: 1, NotStarted: 1 } });
    }
    expect((await describeSchedule(lab().env.client, scheduleId)).skippedOverlap).toBe(0);
  } finally {
    await pauseSchedule(lab().env.client, scheduleId);
    const { running } = await describeSchedule(lab().env.client, scheduleId);
    await Promise.all(running.map((id) => lab().env.client.workflow.getHandle(id).terminate('test over')));
    await deleteSchedule(lab().env.client, scheduleId);
  }
}, 90_000);
