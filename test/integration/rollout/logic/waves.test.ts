import { childStartEvents, reports, useLab, within } from './lab';

// Waves, the sliding window inside a wave, and the error budget.
const lab = useLab();

test('waves [1, 2, 100%] with maxConcurrency 2: each wave starts after every target of the one before has reported', async () => {
  const names = ['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4'];
  const r = await lab().start({ names, rollout: { waves: [1, 2, '100%'], maxConcurrency: 2 } });
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Completed', counts: { Succeeded: 5, NotStarted: 0 } });
  expect(report.waves).toEqual([{ size: 1, started: 1, done: 1 }, { size: 2, started: 2, done: 2 }, { size: 2, started: 2, done: 2 }]);

  // In the rollout's own history: every start of a wave comes after every report of the wave before.
  const events = await r.events();
  const startAt = new Map(childStartEvents(events).map((s) => [s.workflowId, s.eventId]));
  const reportAt = new Map(reports(events).map((d) => [d.key, d.eventId]));
  const starts = (from: number, to: number) => Math.min(...names.slice(from, to).map((n) => startAt.get(r.childId(n)) ?? NaN));
  const reported = (from: number, to: number) => Math.max(...names.slice(from, to).map((n) => reportAt.get(r.key(n)) ?? NaN));
  expect(starts(1, 3)).toBeGreaterThan(reported(0, 1));
  expect(starts(3, 5)).toBeGreaterThan(reported(1, 3));
}, 60_000);

test('maxErrors 1, one at a time: the second failure stops new starts; failed and never-started targets are listed', async () => {
  const r = await lab().start({ names: ['ok-0', 'fail-1', 'ok-2', 'fail-3', 'ok-4', 'ok-5'], rollout: { maxConcurrency: 1, maxErrors: 1 } });
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({
    status: 'Stopped',
    stopReason: 'error budget spent: 2 failures, maxErrors 1',
    counts: { Succeeded: 2, Failed: 2, NotStarted: 2, Running: 0, Pending: 0 },
    failedIndices: [1, 3],
    notStartedIndices: [4, 5],
  });
  expect(report.notStartedSample).toEqual([r.key('ok-4'), r.key('ok-5')]);
  expect(await r.started('ok-4')).toBe(false);
}, 60_000);

test('maxErrors "50%" of 4 targets tolerates 2 failures and completes', async () => {
  const r = await lab().start({ names: ['fail-0', 'ok-1', 'fail-2', 'ok-3'], rollout: { maxConcurrency: 1, maxErrors: '50%' } });
  expect(await within(r.result(), 'the rollout')).toMatchObject({ status: 'Completed', maxErrors: 2, counts: { Succeeded: 2, Failed: 2 } });
}, 60_000);
