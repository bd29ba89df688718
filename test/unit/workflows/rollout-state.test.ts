import type { RolloutSettings, TargetDone } from '../../../src/runbook/rollout';
import { RolloutStateMachine, emptyRolloutState, outcomeOfEnd, type RunCounters, type RunLimits } from '../../../src/workflows/rollout-state';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const ID = { rolloutId: 'r-1', runbookName: 'patch' };
const LIMITS: RunLimits = { maxChildrenPerRun: 500, startBatch: 500 };
const FRESH: RunCounters = { startedThisRun: 0, pendingStarts: 0 };

function machine(settings: Partial<RolloutSettings> = {}, total?: number): RolloutStateMachine {
  const m = new RolloutStateMachine(ID, { waves: ['100%'], maxConcurrency: 10, maxErrors: 0, approval: 'none', ...settings }, emptyRolloutState(T0));
  if (total !== undefined) m.resolvedAs(total);
  return m;
}

const key = (i: number): string => `rg/vm-${i}`;

/** Starts the next batch the machine allows, as the workflow would, and returns its indices. */
function startNext(m: RolloutStateMachine, now = T0, run = FRESH, limits = LIMITS): number[] {
  const { from, count } = m.nextBatch(now, run, limits);
  const indices = Array.from({ length: count }, (_, i) => from + i);
  indices.forEach((i) => m.started(i, key(i)));
  return indices;
}

const report = (i: number, state: TargetDone['state'] = 'Succeeded', reason?: string): TargetDone => ({ index: i, key: key(i), state, ...(reason ? { reason } : {}) });

describe('before the targets are resolved', () => {
  it('is Resolving, starts nothing, and answers progress', () => {
    const m = machine();
    expect(m.resolved).toBe(false);
    expect(m.status(T0)).toBe('Resolving');
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
    expect(m.waveComplete()).toBe(false);
    expect(m.progress(T0)).toMatchObject({ status: 'Resolving', total: 0, waves: [], counts: { Pending: 0, Running: 0 } });
  });

  it('takes pause and resume: Paused, then Resolving again', () => {
    const m = machine();
    expect(m.refusal('pause', { by: 'bob' }, T0)).toBeUndefined();
    m.pause();
    expect(m.status(T0)).toBe('Paused');
    m.resume();
    expect(m.status(T0)).toBe('Resolving');
  });

  it('refuses approve: nothing awaits approval yet', () => {
    expect(machine({ approval: 'betweenWaves' }).refusal('approve', { by: 'alice' }, T0)).toBe('approve: rollout r-1 is Resolving, not awaiting approval');
  });

  it('takes cancel: Stopping, and the reason names who', () => {
    const m = machine();
    m.requestCancel({ by: 'carol', reason: 'wrong day' });
    expect(m.status(T0)).toBe('Stopping');
    expect(m.progress(T0).stopReason).toBe('canceled by carol: wrong day');
  });

  it('paused while resolving: resolved, it still starts nothing until resumed', () => {
    const m = machine();
    m.pause();
    m.resolvedAs(3);
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
    m.resume();
    expect(m.nextBatch(T0, FRESH, LIMITS)).toEqual({ from: 0, count: 3 });
  });
});

describe('waves and the sliding window', () => {
  it('cuts waves like serial: [1, "10%", "100%"] over 200 is 1, 20, 179', () => {
    expect(machine({ waves: [1, '10%', '100%'] }, 200).state.waveSizes).toEqual([1, 20, 179]);
  });

  it('starts no further than the end of the wave, and moves on when the wave is complete', () => {
    const m = machine({ waves: [1, '100%'], maxConcurrency: 5 }, 10);
    expect(startNext(m)).toEqual([0]);
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
    expect(m.waveComplete()).toBe(false);
    m.record(report(0));
    expect(m.waveComplete()).toBe(true);
    expect(m.isLastWave()).toBe(false);
    m.advanceWave();
    expect(startNext(m)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps at most maxConcurrency in flight: a report frees one slot', () => {
    const m = machine({ maxConcurrency: 3 }, 10);
    expect(startNext(m)).toEqual([0, 1, 2]);
    expect(startNext(m)).toEqual([]);
    m.record(report(1));
    expect(startNext(m)).toEqual([3]);
  });

  it('starts at most startBatch at once (less those still pending), and at most maxChildrenPerRun per run', () => {
    const m = machine({ maxConcurrency: 100 }, 100);
    expect(m.nextBatch(T0, { startedThisRun: 0, pendingStarts: 0 }, { maxChildrenPerRun: 500, startBatch: 8 }).count).toBe(8);
    expect(m.nextBatch(T0, { startedThisRun: 0, pendingStarts: 5 }, { maxChildrenPerRun: 500, startBatch: 8 }).count).toBe(3);
    expect(m.nextBatch(T0, { startedThisRun: 498, pendingStarts: 0 }, { maxChildrenPerRun: 500, startBatch: 8 }).count).toBe(2);
    expect(m.continueAsNewDue({ startedThisRun: 500, pendingStarts: 0 }, { maxChildrenPerRun: 500, startBatch: 8 }, false)).toBe(true);
    expect(m.continueAsNewDue({ startedThisRun: 1, pendingStarts: 0 }, LIMITS, true)).toBe(true);
    expect(m.continueAsNewDue({ startedThisRun: 1, pendingStarts: 0 }, LIMITS, false)).toBe(false);
  });

  it('caps a percentage maxConcurrency at 1000 in flight', () => {
    const m = machine({ maxConcurrency: '100%' }, 5000);
    expect(m.concurrency()).toBe(1000);
    expect(m.progress(T0).maxConcurrency).toBe(1000);
  });

  it('reports each wave as started and done', () => {
    const m = machine({ waves: [2, '100%'], maxConcurrency: 10 }, 5);
    startNext(m);
    m.record(report(0));
    expect(m.progress(T0).waves).toEqual([{ size: 2, started: 2, done: 1 }, { size: 3, started: 0, done: 0 }]);
  });
});

describe('the error budget', () => {
  it('tolerates maxErrors failures; the next one stops new starts with the reason', () => {
    const m = machine({ maxConcurrency: 1, maxErrors: 1 }, 5);
    startNext(m);
    m.record(report(0, 'Failed', 'exit 2'));
    expect(m.budgetSpent()).toBe(false);
    startNext(m);
    m.record(report(1, 'Failed'));
    expect(m.budgetSpent()).toBe(true);
    expect(m.stopping(T0)).toBe(true);
    expect(m.status(T0)).toBe('Stopping');
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
    m.beginStop(T0);
    expect(m.end()).toBe('Stopped');
    expect(m.report(T0, [])).toMatchObject({
      stopReason: 'error budget spent: 2 failures, maxErrors 1',
      failedIndices: [0, 1],
      notStartedIndices: [2, 3, 4],
      counts: { Failed: 2, NotStarted: 3, Pending: 0 },
      failures: [{ key: key(0), reason: 'exit 2' }, { key: key(1), reason: 'Failed' }],
    });
  });

  it('resolves a percentage of the fleet: "50%" of 4 is 2', () => {
    expect(machine({ maxErrors: '50%' }, 4).maxErrors()).toBe(2);
  });
});

describe('approval', () => {
  it('afterFirstWave: awaits approval once wave 1 is complete; approve records who and lets it go on', () => {
    const m = machine({ waves: [1, 1, '100%'], approval: 'afterFirstWave' }, 4);
    expect(m.refusal('approve', { by: 'alice' }, T0)).toBe('approve: rollout r-1 is Running, not awaiting approval');
    startNext(m);
    m.record(report(0));
    expect(m.status(T0)).toBe('AwaitingApproval');
    expect(m.refusal('approve', { by: ' ' }, T0)).toBe('approve: `by` must name who does it');
    expect(m.refusal('approve', { by: 'alice' }, T0)).toBeUndefined();
    m.approve({ by: 'alice', note: 'fine' }, T0 + 1000);
    expect(m.needsApproval()).toBe(false);
    expect(m.state.approvals).toEqual([{ wave: 0, by: 'alice', at: '2026-11-26T10:00:01.000Z', note: 'fine' }]);
    m.advanceWave();
    startNext(m);
    m.record(report(1));
    expect(m.needsApproval()).toBe(false); // only after the first wave
  });

  it('betweenWaves: every wave but the last', () => {
    const m = machine({ waves: [1], approval: 'betweenWaves' }, 2);
    startNext(m);
    m.record(report(0));
    expect(m.awaitingApproval()).toBe(true);
    m.approve({ by: 'a' }, T0);
    m.advanceWave();
    startNext(m);
    m.record(report(1));
    expect(m.isLastWave()).toBe(true);
    expect(m.awaitingApproval()).toBe(false);
  });

  it('paused while awaiting approval: approve is taken and the rollout stays paused', () => {
    const m = machine({ waves: [1, '100%'], approval: 'afterFirstWave' }, 3);
    startNext(m);
    m.record(report(0));
    m.pause();
    expect(m.status(T0)).toBe('Paused');
    expect(m.refusal('approve', { by: 'alice' }, T0)).toBeUndefined();
    m.approve({ by: 'alice' }, T0);
    m.advanceWave();
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
  });
});

describe('the maintenance window', () => {
  it('ends windowSeconds after the start, or at notAfter if earlier', () => {
    expect(machine({ windowSeconds: 60 }).windowEnd()).toBe(T0 + 60_000);
    expect(machine({ windowSeconds: 60, notAfter: '2026-11-26T10:00:30Z' }).windowEnd()).toBe(T0 + 30_000);
    expect(machine().windowEnd()).toBeUndefined();
  });

  it('once closed, starts nothing: Stopping, "maintenance window closed"', () => {
    const m = machine({ windowSeconds: 60, maxConcurrency: 1 }, 3);
    startNext(m, T0 + 59_999);
    m.record(report(0));
    expect(m.nextBatch(T0 + 60_000, FRESH, LIMITS).count).toBe(0);
    expect(m.status(T0 + 60_000)).toBe('Stopping');
    m.beginStop(T0 + 60_000);
    expect(m.state.stopReason).toBe('maintenance window closed');
  });

  it('closing while the rollout awaits approval: the reason says so', () => {
    const m = machine({ waves: [1, '100%'], approval: 'afterFirstWave', windowSeconds: 10 }, 3);
    startNext(m);
    m.record(report(0));
    expect(m.status(T0 + 9_000)).toBe('AwaitingApproval');
    expect(m.refusal('approve', { by: 'alice' }, T0 + 10_000)).toBe('approve: rollout r-1 is Stopping, not awaiting approval');
    m.beginStop(T0 + 10_000);
    expect(m.end()).toBe('Stopped');
    expect(m.report(T0 + 10_000, []).stopReason).toBe('maintenance window closed while awaiting approval');
  });
});

describe('pause, resume and cancel', () => {
  it('pause holds new starts, resume lets them go', () => {
    const m = machine({}, 3);
    m.pause();
    expect(m.status(T0)).toBe('Paused');
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
    m.resume();
    expect(m.status(T0)).toBe('Running');
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(3);
  });

  it('cancel: no new starts, refused a second time, ends Canceled with the reason', () => {
    const m = machine({}, 3);
    startNext(m);
    m.requestCancel({ by: 'carol' });
    expect(m.nextBatch(T0, FRESH, LIMITS).count).toBe(0);
    expect(m.refusal('cancel', { by: 'dave' }, T0)).toBe('cancel: rollout r-1 is already being canceled (by carol)');
    expect(m.refusal('pause', { by: 'dave' }, T0)).toBe('pause: rollout r-1 is Stopping (canceled by carol); it starts nothing more');
    [0, 1, 2].forEach((i) => m.record(report(i, 'Canceled')));
    expect(m.end()).toBe('Canceled');
    expect(m.progress(T0)).toMatchObject({ status: 'Canceled', stopReason: 'canceled by carol', counts: { Canceled: 3, Running: 0 } });
    expect(m.refusal('resume', { by: 'dave' }, T0)).toBe('resume: rollout r-1 is Canceled; there is nothing to resume');
  });

  it('a cancel after the error budget stopped the rollout names the canceller', () => {
    const m = machine({ maxConcurrency: 2 }, 3);
    startNext(m);
    m.record(report(0, 'Failed'));
    m.beginStop(T0);
    expect(m.state.stopReason).toMatch(/^error budget spent/);
    expect(m.refusal('cancel', { by: 'carol' }, T0)).toBeUndefined();
    m.requestCancel({ by: 'carol' });
    m.beginStop(T0);
    expect(m.state.stopReason).toBe('canceled by carol');
  });
});

describe('reports', () => {
  it('counts a report once; a report of a target not in flight is ignored', () => {
    const m = machine({}, 2);
    startNext(m);
    expect(m.record(report(0))).toBe(true);
    expect(m.record(report(0, 'Failed'))).toBe(false);
    expect(m.progress(T0).counts).toMatchObject({ Succeeded: 1, Failed: 0, Running: 1 });
  });

  it('records a target that ended without reporting from how it ended', () => {
    const m = machine({ maxErrors: 10 }, 4);
    startNext(m);
    expect(m.recordEnd(key(0), 'Terminated')).toBe(true);
    expect(m.recordEnd(key(1), 'TimedOut')).toBe(true);
    expect(m.recordEnd(key(2), 'Canceled')).toBe(true);
    expect(m.recordEnd(key(0), 'Terminated')).toBe(false);
    expect(m.state.failures).toEqual([
      { key: key(0), reason: 'target workflow terminated' },
      { key: key(1), reason: 'target workflow timed out' },
    ]);
    expect(m.state.canceledIndices).toEqual([2]);
    expect(outcomeOfEnd('Failed', 'boom')).toEqual({ state: 'Failed', reason: 'target workflow failed: boom' });
    expect(outcomeOfEnd('Completed').state).toBe('Failed');
  });

  it('groups alike outcomes and keeps at most 100 failures', () => {
    const m = machine({ maxConcurrency: 200, maxErrors: 200 }, 150);
    startNext(m);
    for (let i = 0; i < 150; i++) m.record({ ...report(i, 'Failed', `r${i}`), signature: { step: 'patch', state: 'Failed', exitCode: 2, snippet: 'locked' } });
    expect(m.state.failures).toHaveLength(100);
    expect(m.state.groups).toEqual([{ signature: { step: 'patch', state: 'Failed', exitCode: 2, snippet: 'locked' }, count: 150, sample: [0, 1, 2, 3, 4].map(key) }]);
  });
});

describe('continue-as-new', () => {
  it('carries the whole state as JSON: the next run answers and decides as this one would', () => {
    const settings: Partial<RolloutSettings> = { waves: [2, '100%'], maxConcurrency: 2, maxErrors: 1, approval: 'afterFirstWave', windowSeconds: 3600 };
    const m = machine(settings, 6);
    startNext(m);
    m.record(report(0, 'Failed', 'exit 1'));
    m.record({ ...report(1), signature: { step: 'patch', state: 'Succeeded', exitCode: 0 } });
    m.approve({ by: 'alice' }, T0 + 5);
    m.advanceWave();
    startNext(m);
    m.pause();

    const carried = JSON.parse(JSON.stringify(m.state));
    const next = new RolloutStateMachine(ID, m.settings, carried);
    const now = T0 + 60_000;
    expect(next.progress(now)).toEqual(m.progress(now));
    expect(next.status(now)).toBe('Paused');
    expect(next.resolved).toBe(true);
    expect(next.windowEnd()).toBe(m.windowEnd());
    expect(Object.keys(next.state.inFlight)).toEqual([key(2), key(3)]);
    next.resume();
    m.resume();
    next.record(report(2));
    m.record(report(2));
    expect(next.nextBatch(now, FRESH, LIMITS)).toEqual(m.nextBatch(now, FRESH, LIMITS));
    expect(next.nextBatch(now, FRESH, LIMITS)).toEqual({ from: 4, count: 1 });
  });
});
