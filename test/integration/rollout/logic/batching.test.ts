import { waitFor } from '../../../harness/fleet';
import { childStarts, perWorkflowTask, useLab, within } from './lab';

// What one workflow task of a rollout does is bounded: child starts and cancel requests go out in
// batches (500 in production; 2 here, through the test-only tuning input), so cancelling
// thousands of targets never puts thousands of commands, or pending requests, in one task.
const lab = useLab();
const BATCH = 2;
const names = Array.from({ length: 6 }, (_, i) => `hold-${i}`);

test(`6 starts with a start batch of ${BATCH}: at most ${BATCH} start commands per workflow task`, async () => {
  const r = await lab().start({ names, rollout: { maxConcurrency: 6 }, tuning: { startBatch: BATCH } });
  await waitFor(async () => childStarts(await r.events()).length === 6 && (await r.progress()).counts.Running === 6, { what: 'six targets in flight' });
  const perTask = perWorkflowTask(await r.events(), 'startChildWorkflowExecutionInitiatedEventAttributes');
  expect(perTask.reduce((a, b) => a + b, 0)).toBe(6);
  expect(Math.max(...perTask)).toBeLessThanOrEqual(BATCH);
  await Promise.all(names.map((n) => r.finish(n, 'Succeeded')));
  expect(await within(r.result(), 'the rollout')).toMatchObject({ status: 'Completed', counts: { Succeeded: 6 } });
}, 60_000);

test(`cancelling 6 targets in flight with a cancel batch of ${BATCH}: at most ${BATCH} cancel requests per workflow task, all canceled`, async () => {
  const r = await lab().start({ names, rollout: { maxConcurrency: 6 }, tuning: { cancelBatch: BATCH } });
  await waitFor(async () => (await r.progress()).counts.Running === 6, { what: 'six targets in flight' });
  await r.handle.executeUpdate('cancel', { args: [{ by: 'carol' }] });
  const report = await within(r.result(), 'the canceled rollout');
  expect(report).toMatchObject({ status: 'Canceled', counts: { Canceled: 6, Running: 0 } });
  const perTask = perWorkflowTask(await r.events(), 'requestCancelExternalWorkflowExecutionInitiatedEventAttributes');
  expect(perTask.reduce((a, b) => a + b, 0)).toBe(6);
  expect(Math.max(...perTask)).toBeLessThanOrEqual(BATCH);
}, 60_000);
