import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { runCli } from '../../../../src/client/cli';
import type { CliIo } from '../../../../src/client/context';
import type { RolloutProgress } from '../../../../src/runbook/rollout';
import { waitFor } from '../../../harness/fleet';
import { testStack } from '../../../harness/stack';
import { useLab, within, workflowTaskFailures, type Lab, type LabRollout } from './lab';

// Pause, resume, cancel and approve, answered from the rollout's first moment (while its
// targets are still being resolved) and refused with a reason when they do not apply.
const lab = useLab();

const steer = (r: LabRollout, verb: 'pause' | 'resume' | 'cancel' | 'approve', args: { by: string; note?: string; reason?: string } = { by: 'tester' }) =>
  within(r.handle.executeUpdate<RolloutProgress, [typeof args]>(verb, { args: [args] }), `the ${verb} update`);

async function cli(l: Lab, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTTY: false, env: { USER: 'tester' }, columns: () => 120 };
  const { address, namespace } = testStack().temporal;
  const code = await runCli(['node', 'fleetcmd', '--address', address, '--namespace', namespace, '--task-queue', l.taskQueue, ...args], io);
  return { code, out: out.join(''), err: err.join('') };
}

test('pause and resume while targets are being resolved are answered, nothing starts while paused, and the rollout then finishes', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1', 'ok-2'], holdResolve: true });
  await r.resolving;

  expect((await steer(r, 'pause')).status).toBe('Paused');
  expect((await steer(r, 'resume')).status).toBe('Resolving');
  const paused = await cli(lab(), ['pause', r.rolloutId, '--by', 'bob']);
  expect(paused).toMatchObject({ code: 0, err: '' });
  expect(paused.out).toContain(`rollout ${r.rolloutId} paused`);

  r.releaseResolve();
  // Resolved while paused: the rollout knows its fleet and starts none of it.
  const settled = await waitFor(async () => {
    const p = await r.progress();
    return p.total === 3 ? p : undefined;
  }, { what: 'the targets to be resolved' });
  expect(settled).toMatchObject({ status: 'Paused', counts: { Running: 0, Pending: 3 } });
  expect(await r.started('ok-0')).toBe(false);

  expect((await steer(r, 'resume')).status).toBe('Running');
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Completed', counts: { Succeeded: 3 } });
  expect(workflowTaskFailures(await r.events())).toEqual([]);
}, 60_000);

test('cancel while targets are being resolved ends the rollout Canceled with every target NotStarted', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1'], holdResolve: true });
  await r.resolving;
  expect((await steer(r, 'cancel', { by: 'carol', reason: 'wrong day' })).status).toBe('Stopping');
  r.releaseResolve();
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Canceled', stopReason: 'canceled by carol: wrong day', counts: { NotStarted: 2, Succeeded: 0 }, notStartedIndices: [0, 1] });
  expect(await r.started('ok-0')).toBe(false);
  expect(workflowTaskFailures(await r.events())).toEqual([]);
}, 60_000);

test('approve while targets are being resolved is refused with an ApplicationFailure naming the state; the CLI prints it and exits 2', async () => {
  const r = await lab().start({ names: ['ok-0'], holdResolve: true, rollout: { waves: [1], approval: 'betweenWaves' } });
  await r.resolving;
  const refused = await r.handle.executeUpdate('approve', { args: [{ by: 'alice' }] }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (refused as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause?.message).toBe(`approve: rollout ${r.rolloutId} is Resolving, not awaiting approval`);

  const printed = await cli(lab(), ['approve', r.rolloutId, '--by', 'alice']);
  expect(printed).toMatchObject({ code: 2, out: '' });
  expect(printed.err).toContain(`approve: rollout ${r.rolloutId} is Resolving, not awaiting approval`);

  r.releaseResolve();
  expect(await within(r.result(), 'the rollout')).toMatchObject({ status: 'Completed' });
  expect(workflowTaskFailures(await r.events())).toEqual([]);
}, 60_000);

test('approval afterFirstWave: the second wave waits; approved while paused, it starts on resume, and the report records the note', async () => {
  const r = await lab().start({ names: ['ok-0', 'ok-1', 'ok-2'], rollout: { waves: [1, '100%'], approval: 'afterFirstWave' } });
  const waiting = await waitFor(async () => {
    const p = await r.progress();
    return p.status === 'AwaitingApproval' ? p : undefined;
  }, { what: 'AwaitingApproval' });
  expect(waiting.counts).toMatchObject({ Succeeded: 1, Pending: 2 });
  expect(await r.started('ok-1')).toBe(false);
  // Pause and approval are independent: approving a paused rollout records the approval, and it stays paused.
  expect((await steer(r, 'pause')).status).toBe('Paused');
  expect((await steer(r, 'approve', { by: 'alice', note: 'canary fine' })).status).toBe('Paused');
  expect(await r.started('ok-1')).toBe(false);
  await steer(r, 'resume');
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Completed', counts: { Succeeded: 3 } });
  expect(report.approvals).toEqual([expect.objectContaining({ wave: 0, by: 'alice', note: 'canary fine' })]);
}, 60_000);

test('pause, resume and cancel of a rollout that is stopping are refused with the reason', async () => {
  const r = await lab().start({ names: ['stubborn-0', 'ok-1'], rollout: { maxConcurrency: 1 } });
  await waitFor(() => r.started('stubborn-0'), { what: 'stubborn-0 to start' });
  await steer(r, 'cancel', { by: 'carol' });
  const refusals: Record<string, string> = {
    pause: `pause: rollout ${r.rolloutId} is Stopping (canceled by carol); it starts nothing more`,
    resume: `resume: rollout ${r.rolloutId} is Stopping (canceled by carol); it starts nothing more`,
    cancel: `cancel: rollout ${r.rolloutId} is already being canceled (by carol)`,
  };
  for (const [verb, message] of Object.entries(refusals)) {
    const refused = await r.handle.executeUpdate(verb, { args: [{ by: 'bob' }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
    expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(message);
  }
  await r.finish('stubborn-0', 'Canceled');
  const report = await within(r.result(), 'the rollout');
  expect(report).toMatchObject({ status: 'Canceled', counts: { Canceled: 1, NotStarted: 1 } });
  expect(workflowTaskFailures(await r.events())).toEqual([]);
}, 60_000);
