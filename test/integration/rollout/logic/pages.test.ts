import type { RolloutProgress } from '../../../../src/runbook/rollout';
import { waitFor } from '../../../harness/fleet';
import { childStarts, useLab, within, type LabRollout } from './lab';

// A page of targets is read from storage by an activity (loadTargets). Whatever happened while
// the rollout waited for it (pause, cancel, a spent error budget, a closed window) decides what
// starts from it: nothing, in each of these cases.
const lab = useLab();

/** Until the rollout has taken in the held page: its result event and a workflow task after it. */
async function pageTakenIn(r: LabRollout): Promise<void> {
  await waitFor(async () => {
    const events = await r.events();
    const loads = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadTargets').map((e) => String(e.eventId)));
    const loaded = events.findIndex((e) => loads.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)));
    return loaded >= 0 && events.slice(loaded).some((e) => e.workflowTaskCompletedEventAttributes);
  }, { what: 'the rollout to take in the page' });
}

test('paused while a page of targets loads: nothing from the page starts', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1'], holdLoadsAt: [0] });
  const load = r.load(0);
  await within(load.entered, 'loadTargets');
  expect((await r.handle.executeUpdate<RolloutProgress, [{ by: string }]>('pause', { args: [{ by: 'bob' }] })).status).toBe('Paused');
  load.release();
  await pageTakenIn(r);
  expect(childStarts(await r.events())).toEqual([]);
  expect((await r.progress()).counts).toMatchObject({ Running: 0, Pending: 2 });

  await r.handle.executeUpdate('resume', { args: [{ by: 'bob' }] });
  expect(await within(r.result(), 'the rollout')).toMatchObject({ status: 'Completed', counts: { Succeeded: 2 } });
}, 60_000);

test('canceled while a page of targets loads: nothing from the page starts, the rollout ends Canceled', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1'], holdLoadsAt: [0] });
  const load = r.load(0);
  await within(load.entered, 'loadTargets');
  await r.handle.executeUpdate('cancel', { args: [{ by: 'carol' }] });
  load.release();
  expect(await within(r.result(), 'the rollout')).toMatchObject({ status: 'Canceled', counts: { NotStarted: 2, Canceled: 0, Succeeded: 0 } });
  expect(await r.started('ok-0')).toBe(false);
}, 60_000);

test('the error budget spent while a page loads (after continue-as-new): nothing from the page starts', async () => {
  // Run 1 starts hold-0 and hold-1 and continues as new; run 2 has no page yet and loads one from index 2.
  const r = await lab().start({ names: ['hold-0', 'hold-1', 'ok-2', 'ok-3'], rollout: { maxConcurrency: 3, maxErrors: 0 }, maxChildrenPerRun: 2, holdLoadsAt: [2] });
  const load = r.load(2);
  await within(load.entered, 'loadTargets from index 2');
  await r.finish('hold-1', 'Failed', 'scripted failure');
  await waitFor(async () => (await r.progress()).counts.Failed === 1, { what: 'the failure to be recorded' });
  load.release();
  await pageTakenIn(r);
  expect(childStarts(await r.events())).toEqual([]);
  await r.finish('hold-0', 'Succeeded');
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Stopped', stopReason: 'error budget spent: 1 failures, maxErrors 0', counts: { Succeeded: 1, Failed: 1, NotStarted: 2 } });
  expect(await r.started('ok-2')).toBe(false);
}, 60_000);

test('the window closing while a page loads: nothing from the page starts, the rollout is Stopped', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1'], rollout: { windowSeconds: 2 }, holdLoadsAt: [0] });
  const load = r.load(0);
  await within(load.entered, 'loadTargets');
  const { startedAt } = await r.progress();
  await waitFor(async () => Date.now() > Date.parse(startedAt) + 2_500, { what: 'the window to close' });
  load.release();
  expect(await within(r.result(), 'the rollout')).toMatchObject({ status: 'Stopped', stopReason: 'maintenance window closed', counts: { NotStarted: 2 } });
  expect(await r.started('ok-0')).toBe(false);
}, 60_000);
