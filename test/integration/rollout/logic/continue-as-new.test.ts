import { MockActivityEnvironment } from '@temporalio/testing';
import { targetWorkflowActivities } from '../../../../src/activities/target-workflows';
import { waitFor } from '../../../harness/fleet';
import { useLab, within, type LabRollout } from './lab';

// A rollout continues as new after a few child starts (maxChildrenPerRun); what it carries and
// what it learns of targets started by earlier runs.
const lab = useLab();

/** Until the rollout's latest run is one that continued an earlier run. */
async function continued(r: LabRollout): Promise<void> {
  await waitFor(async () => !!(await r.events())[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId, { what: 'the rollout to continue as new' });
}

test('7 targets, 2 starts per run: completes over several runs, counts and failures carried across them', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1', 'fail-2', 'ok-3', 'ok-4', 'ok-5', 'ok-6'], rollout: { maxConcurrency: 3, maxErrors: 1, waves: [3, '100%'] }, maxChildrenPerRun: 2 });
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Completed', counts: { Succeeded: 6, Failed: 1, NotStarted: 0 }, failedIndices: [2] });
  expect(report.waves).toEqual([{ size: 3, started: 3, done: 3 }, { size: 4, started: 4, done: 4 }]);
  expect(report.failures).toEqual([{ key: r.key('fail-2'), reason: 'scripted failure' }]);
  expect((await r.events())[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
}, 60_000);

test('a target started by an earlier run and terminated by an operator frees its slot: recorded Failed, the wave completes', async () => {
  const r = await lab().start({
    names: ['hold-0', 'hold-1', 'ok-2', 'ok-3'],
    rollout: { maxConcurrency: 2, maxErrors: 5 },
    maxChildrenPerRun: 2,
    tuning: { staleCheckIntervalMs: 500 },
  });
  await continued(r);
  await r.terminate('hold-0');
  await r.finish('hold-1', 'Succeeded');
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Completed', counts: { Succeeded: 3, Failed: 1, NotStarted: 0 }, failedIndices: [0] });
  expect(report.failures).toEqual([{ key: r.key('hold-0'), reason: 'target workflow terminated' }]);
}, 60_000);

test('cancel finishes when a target started by an earlier run was terminated and never reports', async () => {
  const r = await lab().start({ names: ['hold-0', 'hold-1', 'ok-2'], rollout: { maxConcurrency: 2, maxErrors: 5 }, maxChildrenPerRun: 2, tuning: { staleCheckIntervalMs: 500 } });
  await continued(r);
  await r.terminate('hold-0');
  await r.handle.executeUpdate('cancel', { args: [{ by: 'carol' }] });
  const report = await within(r.result(), 'the canceled rollout');
  expect(report).toMatchObject({ status: 'Canceled', counts: { Canceled: 1, Failed: 1, NotStarted: 1, Running: 0 }, failedIndices: [0], canceledIndices: [1] });
}, 60_000);

test('describeTargetWorkflows reports closed workflows with how they ended (timed out, not found) and leaves running ones out', async () => {
  const { client } = lab().env;
  const id = (what: string): string => `logic-describe-${what}-${Date.now()}`;
  const input = (vmName: string) => ({ plan: { rolloutId: 'x', runbookName: 'x', location: 'westus', steps: [], cleanup: 'afterCollect' }, target: { kind: 'vm', subscriptionId: 's', resourceGroup: 'rg', vmName } });
  const timedOut = await client.workflow.start('target', { taskQueue: lab().taskQueue, workflowId: id('timeout'), args: [input('hold-t')], workflowExecutionTimeout: '1s' });
  const running = await client.workflow.start('target', { taskQueue: lab().taskQueue, workflowId: id('running'), args: [input('hold-r')] });
  await expect(timedOut.result()).rejects.toThrow();
  const missing = id('missing');

  const closed = await new MockActivityEnvironment({}, { client }).run(targetWorkflowActivities().describeTargetWorkflows, { workflowIds: [timedOut.workflowId, running.workflowId, missing] });
  expect(closed).toEqual([
    { workflowId: timedOut.workflowId, end: 'TimedOut' },
    { workflowId: missing, end: 'NotFound' },
  ]);
  await running.terminate('test over');
}, 60_000);
