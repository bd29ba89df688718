/**
 * A fleet rollout: targets resolved once, cut into waves; inside a wave a
 * sliding window of child `target` workflows, never more at once than
 * maxConcurrency; new starts stop when the error budget is spent, the
 * maintenance window closes, or someone cancels. The rollout
 * continues-as-new before its history grows large, carrying its state.
 */
import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  getExternalWorkflowHandle,
  metricMeter,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  CancellationScope,
  isCancellation,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities';
import type { RunbookPlan, TargetRef } from '../runbook/execution';
import { targetKey, targetWorkflowIdOfKey } from '../runbook/execution';
import { cutWaves, resolveCount } from '../runbook/plan';
import { replan } from '../runbook/to-plan';
import type {
  ApprovalRecord,
  OutcomeGroup,
  RolloutProgress,
  RolloutReport,
  RolloutSettings,
  RolloutStatus,
  TargetDone,
  TargetSelector,
} from '../runbook/rollout';
import { FleetcmdRolloutId, FleetcmdRunbook, FleetcmdStatus } from './search-attributes';
import { claimRolloutId } from './claim';
import { targetDoneSignal } from './signals';
export { targetDoneSignal };
import type { target as targetWorkflow } from './target';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

export interface RolloutInput {
  plan: RunbookPlan;
  /** Started by a schedule: every firing is a rollout of its own, named by its workflow id. */
  scheduled?: boolean;
  selector: TargetSelector;
  settings: RolloutSettings;
  /** Children started per run before continuing as new (Temporal advises at most 1,000). */
  maxChildrenPerRun?: number;
  /** Everything that crosses continue-as-new. */
  state?: RolloutState;
}

export interface RolloutState {
  total: number;
  waveSizes: number[];
  wave: number;
  nextIndex: number;
  /** Target key -> index, for targets started and not yet reported. */
  inFlight: Record<string, number>;
  succeeded: number;
  failedIndices: number[];
  canceledIndices: number[];
  failures: { key: string; reason: string }[];
  groups: OutcomeGroup[];
  waveDone: number[];
  approvals: ApprovalRecord[];
  paused: boolean;
  cancelRequested?: { by: string; reason?: string };
  stopReason?: string;
  startedAtMs: number;
}

// ---------------------------------------------------------------------------
// Signals, updates and queries (all addressed by workflow id, so they reach the latest run)
// ---------------------------------------------------------------------------

export const progressQuery = defineQuery<RolloutProgress>('progress');
export const approveUpdate = defineUpdate<RolloutProgress, [{ by: string; note?: string }]>('approve');
export const pauseUpdate = defineUpdate<RolloutProgress, [{ by: string }]>('pause');
export const resumeUpdate = defineUpdate<RolloutProgress, [{ by: string }]>('resume');
export const cancelUpdate = defineUpdate<RolloutProgress, [{ by: string; reason?: string }]>('cancel');

// Listing a large fleet may take minutes; the heartbeat notices a dead worker in 30 s.
const { resolveTargets, loadTargets } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

const FAILURES_KEPT = 100;
const GROUPS_KEPT = 50;
const PAGE = 500;

// ---------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------

export async function rollout(input: RolloutInput): Promise<RolloutReport> {
  const { settings } = input;
  const plan = input.scheduled && !input.state ? replan(input.plan, workflowInfo().workflowId) : input.plan;
  const rolloutId = plan.rolloutId;
  const maxChildrenPerRun = input.maxChildrenPerRun ?? 500;
  let status: RolloutStatus = 'Resolving';

  // Handlers are set before targets are resolved, so progress and cancel answer from the first moment;
  // resolution then fills this same object in place.
  const state: RolloutState = input.state ?? emptyState((input.scheduled ? scheduledStartMs() : undefined) ?? Date.now());
  let total = state.total;
  let concurrency = 1;
  let maxErrors = 0;
  let notAfterMs = windowEnd(settings, state.startedAtMs);
  const settle = (): void => {
    total = state.total;
    concurrency = Math.max(1, resolveCount(settings.maxConcurrency, total));
    maxErrors = resolveCount(settings.maxErrors, total);
    notAfterMs = windowEnd(settings, state.startedAtMs);
  };
  settle();
  let startedThisRun = 0;
  /** Child starts issued and not yet confirmed: a run may not continue-as-new with any outstanding. */
  let pendingStarts = 0;
  let page: { offset: number; targets: TargetRef[] } = { offset: 0, targets: [] };

  const waveEnd = (): number => state.waveSizes.slice(0, state.wave + 1).reduce((a, b) => a + b, 0);
  const inFlightCount = (): number => Object.keys(state.inFlight).length;
  const budgetSpent = (): boolean => state.failedIndices.length > maxErrors;
  const windowClosed = (): boolean => notAfterMs !== undefined && Date.now() >= notAfterMs;
  const stopping = (): boolean => !!state.cancelRequested || budgetSpent() || windowClosed();
  const waveComplete = (): boolean => state.nextIndex >= waveEnd() && inFlightCount() === 0;
  const needsApproval = (): boolean =>
    state.wave < state.waveSizes.length - 1 &&
    (settings.approval === 'betweenWaves' || (settings.approval === 'afterFirstWave' && state.wave === 0)) &&
    !state.approvals.some((a) => a.wave === state.wave);
  const canStart = (): boolean =>
    !state.paused && !stopping() && state.nextIndex < waveEnd() && inFlightCount() < concurrency && startedThisRun < maxChildrenPerRun;

  // fleetcmd_rollout_targets{rollout,state}: how far each rollout is, for a dashboard.
  const targetsGauge = metricMeter.createGauge('fleetcmd_rollout_targets', 'int', 'targets', "a rollout's targets by state");
  const publishProgress = (): void => {
    const { counts } = progress();
    for (const [stateName, value] of Object.entries(counts)) targetsGauge.set(value, { rollout: rolloutId, state: stateName });
  };

  const setStatus = (next: RolloutStatus): void => {
    if (next === status) return;
    status = next;
    upsertSearchAttributes([{ key: FleetcmdStatus, value: next }]);
  };

  const progress = (): RolloutProgress => {
    const done = state.succeeded + state.failedIndices.length + state.canceledIndices.length;
    const elapsedMs = Date.now() - state.startedAtMs;
    const remaining = total - done;
    return {
      rolloutId,
      runbookName: plan.runbookName,
      status,
      total,
      counts: {
        Succeeded: state.succeeded,
        Failed: state.failedIndices.length,
        Canceled: state.canceledIndices.length,
        Running: inFlightCount(),
        NotStarted: isFinal(status) ? total - state.nextIndex : 0,
        Pending: isFinal(status) ? 0 : total - state.nextIndex,
      },
      wave: state.wave,
      waves: state.waveSizes.map((size, i) => ({
        size,
        started: Math.max(0, Math.min(size, state.nextIndex - state.waveSizes.slice(0, i).reduce((a, b) => a + b, 0))),
        done: state.waveDone[i] ?? 0,
      })),
      maxConcurrency: concurrency,
      maxErrors,
      failures: state.failures,
      approvals: state.approvals,
      ...(state.stopReason ? { stopReason: state.stopReason } : {}),
      startedAt: new Date(state.startedAtMs).toISOString(),
      elapsedMs,
      ...(done > 0 && remaining > 0 ? { estimateMs: Math.round((elapsedMs / done) * remaining) } : {}),
    };
  };

  // --- handlers -------------------------------------------------------------
  setHandler(targetDoneSignal, (done) => {
    record(state, done);
    publishProgress();
  });
  setHandler(progressQuery, progress);
  setHandler(
    approveUpdate,
    ({ by, note }) => {
      state.approvals.push({ wave: state.wave, by, at: new Date().toISOString(), ...(note ? { note } : {}) });
      return progress();
    },
    {
      validator: ({ by }) => {
        if (!by?.trim()) throw new Error('approve: `by` must name who approves');
        if (status !== 'AwaitingApproval') throw new Error(`approve: rollout ${rolloutId} is ${status}, not awaiting approval`);
      },
    },
  );
  setHandler(
    pauseUpdate,
    (_by: { by: string }) => {
      state.paused = true;
      // The main loop may be asleep until a slot frees up: say Paused now, not when it next wakes.
      setStatus(statusNow());
      return progress();
    },
    { validator: (_by: { by: string }) => assertActive(status, rolloutId, 'pause') },
  );
  setHandler(
    resumeUpdate,
    (_by: { by: string }) => {
      state.paused = false;
      setStatus(statusNow());
      return progress();
    },
    { validator: (_by: { by: string }) => assertActive(status, rolloutId, 'resume') },
  );
  setHandler(
    cancelUpdate,
    ({ by, reason }) => {
      state.cancelRequested = { by, ...(reason ? { reason } : {}) };
      return progress();
    },
    {
      validator: (_request: { by: string; reason?: string }) => {
        if (isFinal(status) || state.cancelRequested) throw new Error(`cancel: rollout ${rolloutId} is ${status}`);
      },
    },
  );

  if (!input.state) {
    Object.assign(state, await resolveFleet({ ...input, plan }));
    settle();
  }

  // --- the loop -------------------------------------------------------------
  const statusNow = (): RolloutStatus =>
    stopping() ? 'Stopping' : state.paused ? 'Paused' : waveComplete() && needsApproval() ? 'AwaitingApproval' : 'Running';

  try {
    for (;;) {
      setStatus(statusNow());
      if (stopping()) {
        if (!state.stopReason) state.stopReason = stopReasonOf(state, maxErrors, windowClosed());
        if (state.cancelRequested) {
          // The server refuses a workflow task that starts a child and cancels it: let pending starts land first.
          await condition(() => pendingStarts === 0);
          await cancelInFlight(rolloutId, state);
        }
        await condition(() => inFlightCount() === 0);
        break;
      }
      if (waveComplete()) {
        if (state.wave >= state.waveSizes.length - 1) break;
        if (needsApproval()) {
          setStatus('AwaitingApproval');
          await condition(() => !needsApproval() || stopping());
          continue;
        }
        state.wave += 1;
        continue;
      }
      if (startedThisRun >= maxChildrenPerRun || workflowInfo().continueAsNewSuggested) {
        // Children report by workflow id, so those still running find the next run.
        await condition(() => pendingStarts === 0 && allHandlersFinished());
        await continueAsNew<typeof rollout>({ ...input, plan, scheduled: false, state });
      }
      const wake = await waitUntil(() => canStart() || waveComplete() || stopping() || startedThisRun >= maxChildrenPerRun, notAfterMs);
      if (!wake) continue; // the window's end: loop to stop
      if (canStart()) {
        const n = Math.min(concurrency - inFlightCount(), waveEnd() - state.nextIndex, maxChildrenPerRun - startedThisRun);
        const first = state.nextIndex;
        const batch = await targetsAt(first, n);
        state.nextIndex += batch.length;
        startedThisRun += batch.length;
        // Not awaited: the next slot opens on a later signal, and waiting for each start would cost a workflow task per target.
        batch.forEach((t, i) => startTarget(t, first + i));
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The rollout itself was cancelled (not through the cancel update): same clean-up, then end as Canceled.
    await CancellationScope.nonCancellable(async () => {
      state.cancelRequested ??= { by: 'temporal', reason: 'workflow cancelled' };
      state.stopReason = stopReasonOf(state, maxErrors, false);
      await condition(() => pendingStarts === 0);
      await cancelInFlight(rolloutId, state);
      await condition(() => inFlightCount() === 0);
      setStatus('Canceled');
    });
    throw err;
  }

  setStatus(state.cancelRequested ? 'Canceled' : state.stopReason ? 'Stopped' : 'Completed');
  await condition(allHandlersFinished);
  const notStartedIndices = range(state.nextIndex, total);
  const notStartedSample = notStartedIndices.length ? (await loadTargets({ rolloutId, outputContainer: plan.outputContainer, offset: state.nextIndex, limit: 20 })).map(targetKey) : [];
  return {
    ...progress(),
    groups: state.groups,
    failedIndices: state.failedIndices,
    canceledIndices: state.canceledIndices,
    notStartedIndices,
    notStartedSample,
  };

  // --- helpers that close over the run's state ----------------------------------

  async function targetsAt(offset: number, count: number): Promise<TargetRef[]> {
    const inPage = (i: number): boolean => i >= page.offset && i < page.offset + page.targets.length;
    if (!inPage(offset) || !inPage(offset + count - 1)) {
      page = { offset, targets: await loadTargets({ rolloutId, outputContainer: plan.outputContainer, offset, limit: Math.max(PAGE, count) }) };
    }
    return page.targets.slice(offset - page.offset, offset - page.offset + count);
  }

  function startTarget(target: TargetRef, index: number): void {
    const key = targetKey(target);
    state.inFlight[key] = index;
    pendingStarts += 1;
    const lost = (err: unknown): void => {
      // In this run the child's own end is seen too: a child that failed, or never started, is not waited for forever.
      if (!isCancellation(err)) record(state, { index, key, state: 'Failed', reason: `target workflow failed: ${err instanceof Error ? err.message : String(err)}` });
    };
    startChild<typeof targetWorkflow>('target', {
      workflowId: targetWorkflowIdOfKey(rolloutId, key),
      args: [{ plan, target, report: { rolloutWorkflowId: workflowInfo().workflowId, index } }],
      // Children outlive this run (continue-as-new) and report back by signal.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    }).then(
      (handle) => {
        pendingStarts -= 1;
        handle.result().then(() => undefined, lost);
      },
      (err: unknown) => {
        pendingStarts -= 1;
        lost(err);
      },
    );
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function emptyState(startedAtMs: number): RolloutState {
  return {
    total: 0,
    waveSizes: [],
    wave: 0,
    nextIndex: 0,
    inFlight: {},
    succeeded: 0,
    failedIndices: [],
    canceledIndices: [],
    failures: [],
    groups: [],
    waveDone: [],
    approvals: [],
    paused: false,
    startedAtMs,
  };
}

/** Claims the rollout id, resolves the targets (an activity keeps the list in blob storage) and cuts the waves. */
async function resolveFleet(input: RolloutInput): Promise<Pick<RolloutState, 'total' | 'waveSizes'>> {
  await claimRolloutId(input.plan.rolloutId, input.plan.outputContainer);
  upsertSearchAttributes([
    { key: FleetcmdRunbook, value: input.plan.runbookName },
    { key: FleetcmdRolloutId, value: input.plan.rolloutId },
    { key: FleetcmdStatus, value: 'Resolving' },
  ]);
  const { count } = await resolveTargets({ rolloutId: input.plan.rolloutId, selector: input.selector, outputContainer: input.plan.outputContainer });
  return { total: count, waveSizes: cutWaves(count, input.settings.waves) };
}

/**
 * A schedule's firing measures its maintenance window from the time it fired
 * for, not from when its workflow got going (a worker or server that was down
 * when it fired must not stretch the window). The server sets this system
 * search attribute on every workflow a schedule starts.
 */
const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

function scheduledStartMs(): number | undefined {
  const at = workflowInfo().typedSearchAttributes.get(TemporalScheduledStartTime);
  return at ? at.getTime() : undefined;
}

/** The earlier of an absolute window end and one measured from the rollout's start. */
function windowEnd(settings: RolloutSettings, startedAtMs: number): number | undefined {
  const ends = [
    ...(settings.notAfter ? [Date.parse(settings.notAfter)] : []),
    ...(settings.windowSeconds ? [startedAtMs + settings.windowSeconds * 1000] : []),
  ];
  return ends.length ? Math.min(...ends) : undefined;
}

/** Applies one target's report; a second report of the same target is ignored. */
function record(state: RolloutState, done: TargetDone): void {
  if (state.inFlight[done.key] === undefined) return;
  delete state.inFlight[done.key];
  const wave = waveOf(state.waveSizes, done.index);
  state.waveDone[wave] = (state.waveDone[wave] ?? 0) + 1;
  if (done.state === 'Succeeded') state.succeeded += 1;
  else if (done.state === 'Canceled') state.canceledIndices.push(done.index);
  else {
    state.failedIndices.push(done.index);
    if (state.failures.length < FAILURES_KEPT) state.failures.push({ key: done.key, reason: done.reason ?? done.signature?.snippet ?? done.state });
  }
  if (done.signature) addToGroups(state.groups, done);
}

function addToGroups(groups: OutcomeGroup[], done: TargetDone): void {
  const sig = done.signature;
  if (!sig) return;
  const same = groups.find(
    (g) => g.signature.step === sig.step && g.signature.state === sig.state && g.signature.exitCode === sig.exitCode && g.signature.sha256 === sig.sha256 && (sig.sha256 !== undefined || g.signature.snippet === sig.snippet),
  );
  if (same) {
    same.count += 1;
    if (same.sample.length < 5) same.sample.push(done.key);
  } else if (groups.length < GROUPS_KEPT) {
    groups.push({ signature: sig, count: 1, sample: [done.key] });
  }
}

function waveOf(sizes: number[], index: number): number {
  let end = 0;
  for (let i = 0; i < sizes.length; i++) {
    end += sizes[i];
    if (index < end) return i;
  }
  return sizes.length - 1;
}

/** Asks every in-flight target to cancel; each deletes its run commands and reports Canceled. */
async function cancelInFlight(rolloutId: string, state: RolloutState): Promise<void> {
  await Promise.all(
    Object.keys(state.inFlight).map((key) =>
      getExternalWorkflowHandle(targetWorkflowIdOfKey(rolloutId, key))
        .cancel()
        .catch(() => undefined),
    ),
  );
}

function stopReasonOf(state: RolloutState, maxErrors: number, windowClosed: boolean): string {
  if (state.cancelRequested) return `canceled by ${state.cancelRequested.by}${state.cancelRequested.reason ? `: ${state.cancelRequested.reason}` : ''}`;
  if (state.failedIndices.length > maxErrors) return `error budget spent: ${state.failedIndices.length} failures, maxErrors ${maxErrors}`;
  if (windowClosed) return 'maintenance window closed';
  return 'stopped';
}

function assertActive(status: RolloutStatus, rolloutId: string, verb: string): void {
  if (isFinal(status) || status === 'Stopping') throw new Error(`${verb}: rollout ${rolloutId} is ${status}`);
}

function isFinal(status: RolloutStatus): boolean {
  return status === 'Completed' || status === 'Stopped' || status === 'Canceled';
}

/** condition() that also wakes at an absolute deadline; false when the deadline woke it. */
async function waitUntil(fn: () => boolean, deadlineMs: number | undefined): Promise<boolean> {
  if (deadlineMs === undefined) {
    await condition(fn);
    return true;
  }
  const left = deadlineMs - Date.now();
  if (left <= 0) return fn();
  return condition(fn, left);
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
