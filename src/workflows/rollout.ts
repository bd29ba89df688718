/**
 * A fleet rollout: targets resolved once, cut into waves; inside a wave a
 * sliding window of child `target` workflows, never more at once than
 * maxConcurrency; new starts stop when the error budget is spent, the
 * maintenance window closes, or someone cancels. The rollout
 * continues-as-new before its history grows large, carrying its state.
 *
 * The state and its rules are rollout-state.ts's (a plain, unit-tested
 * module); the child workflows are rollout-children.ts's. This file wires
 * them to Temporal: signals, queries and updates, and the loop.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  isCancellation,
  metricMeter,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, type UpdateDefinition } from '@temporalio/common';
import type { RunbookPlan } from '../runbook/execution';
import { targetKey } from '../runbook/execution';
import { replan } from '../runbook/to-plan';
import type { RolloutProgress, RolloutReport, RolloutSettings, RolloutStatus, TargetSelector } from '../runbook/rollout';
import { DEFAULT_TUNING, TargetChildren, loadTargets, resolveTargets, type RolloutTuning } from './rollout-children';
import { RolloutStateMachine, emptyRolloutState, type RolloutState, type RunLimits, type SteerVerb } from './rollout-state';
import { FleetcmdRolloutId, FleetcmdRunbook, FleetcmdStatus } from './search-attributes';
import { claimRolloutId } from './claim';
import { targetDoneSignal } from './signals';
export { targetDoneSignal };
export type { RolloutState, RolloutTuning };

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
  /**
   * Internal limits (page size, start and cancel batches, how often silent
   * targets are looked up). Production leaves them out: DEFAULT_TUNING.
   * Tests set small values to reach batching without thousands of targets.
   */
  tuning?: Partial<RolloutTuning>;
  /** Everything that crosses continue-as-new. */
  state?: RolloutState;
}

// ---------------------------------------------------------------------------
// Signals, updates and queries (all addressed by workflow id, so they reach the latest run)
// ---------------------------------------------------------------------------

export const progressQuery = defineQuery<RolloutProgress>('progress');
export const approveUpdate = defineUpdate<RolloutProgress, [{ by: string; note?: string }]>('approve');
export const pauseUpdate = defineUpdate<RolloutProgress, [{ by: string }]>('pause');
export const resumeUpdate = defineUpdate<RolloutProgress, [{ by: string }]>('resume');
export const cancelUpdate = defineUpdate<RolloutProgress, [{ by: string; reason?: string }]>('cancel');

const DEFAULT_MAX_CHILDREN_PER_RUN = 500;
const NOT_STARTED_SAMPLE = 20;

// ---------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------

export async function rollout(input: RolloutInput): Promise<RolloutReport> {
  const plan = input.scheduled && !input.state ? replan(input.plan, workflowInfo().workflowId) : input.plan;
  // The whole state exists before the first handler can run: every message is answered from the first moment.
  const machine = new RolloutStateMachine(
    { rolloutId: plan.rolloutId, runbookName: plan.runbookName },
    input.settings,
    input.state ?? emptyRolloutState((input.scheduled ? scheduledStartMs() : undefined) ?? Date.now()),
  );
  const limits: RunLimits = { maxChildrenPerRun: input.maxChildrenPerRun ?? DEFAULT_MAX_CHILDREN_PER_RUN, startBatch: tuningOf(input).startBatch };
  const publish = publisher(machine);
  const children = new TargetChildren(machine, plan, tuningOf(input), publish);
  wireHandlers(machine, publish);
  void CancellationScope.nonCancellable(() => children.watchInherited());

  try {
    if (!machine.resolved) await resolve(machine, input, plan);
    await drive(machine, children, limits, publish, async () => {
      // Children report by workflow id, so those still running find the next run.
      await condition(() => children.pendingStarts === 0 && allHandlersFinished());
      await continueAsNew<typeof rollout>({ ...input, plan, scheduled: false, state: machine.state });
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The rollout itself was cancelled (not through the cancel update): the same clean-up, then end as Canceled.
    await CancellationScope.nonCancellable(async () => {
      machine.requestCancel({ by: 'temporal', reason: 'workflow cancelled' });
      await stop(machine, children, publish);
      machine.end();
      publish();
    });
    throw err;
  }

  machine.end();
  publish();
  await condition(allHandlersFinished);
  const { nextIndex, total } = machine.state;
  const sample = nextIndex < total ? await loadTargets({ rolloutId: plan.rolloutId, outputContainer: plan.outputContainer, offset: nextIndex, limit: NOT_STARTED_SAMPLE }) : [];
  return machine.report(Date.now(), sample.map(targetKey));
}

/** Until every target of the rollout has started and reported, or new starts have stopped and those in flight have ended. */
async function drive(machine: RolloutStateMachine, children: TargetChildren, limits: RunLimits, publish: () => void, continueAsNewNow: () => Promise<void>): Promise<void> {
  const now = (): number => Date.now();
  const continueAsNewDue = (): boolean => machine.continueAsNewDue(children, limits, workflowInfo().continueAsNewSuggested);
  for (;;) {
    publish();
    if (machine.stopping(now())) return stop(machine, children, publish);
    if (machine.waveComplete()) {
      if (machine.isLastWave()) return;
      if (machine.needsApproval()) {
        // The window's end wakes this wait too: a rollout nobody approves stops when its window closes.
        await waitUntil(() => !machine.needsApproval() || machine.stopping(now()), machine.windowEnd());
        continue;
      }
      machine.advanceWave();
      continue;
    }
    if (continueAsNewDue()) await continueAsNewNow();
    const ready = (): boolean => machine.nextBatch(now(), children, limits).count > 0 || machine.waveComplete() || machine.stopping(now()) || continueAsNewDue();
    if (await waitUntil(ready, machine.windowEnd())) await startNext(machine, children, limits);
  }
}

/** Starts the next batch of targets, reading their page first when needed. */
async function startNext(machine: RolloutStateMachine, children: TargetChildren, limits: RunLimits): Promise<void> {
  const wanted = machine.nextBatch(Date.now(), children, limits);
  if (wanted.count === 0) return;
  const targets = await children.targetsAt(wanted.from, wanted.count);
  // Reading the page took a while: a pause, a cancel, a spent error budget or a closed window since then holds these starts too.
  const still = machine.nextBatch(Date.now(), children, limits);
  children.start(targets.slice(0, Math.min(still.count, targets.length)), wanted.from);
}

/** New starts have stopped: cancels what is in flight when cancelled (now or later), and waits for every target in flight to end. */
async function stop(machine: RolloutStateMachine, children: TargetChildren, publish: () => void): Promise<void> {
  machine.beginStop(Date.now());
  publish();
  for (;;) {
    if (machine.state.cancelRequested) await children.cancelInFlight();
    await condition(() => machine.inFlightCount() === 0 || (!!machine.state.cancelRequested && children.uncancelled().length > 0));
    if (machine.inFlightCount() === 0) return;
  }
}

/** Claims the rollout id, then resolves the targets (an activity keeps the list in blob storage) and cuts the waves. */
async function resolve(machine: RolloutStateMachine, input: RolloutInput, plan: RunbookPlan): Promise<void> {
  await claimRolloutId(plan.rolloutId, plan.outputContainer);
  upsertSearchAttributes([
    { key: FleetcmdRunbook, value: plan.runbookName },
    { key: FleetcmdRolloutId, value: plan.rolloutId },
  ]);
  const { count } = await resolveTargets({ rolloutId: plan.rolloutId, selector: input.selector, outputContainer: plan.outputContainer });
  machine.resolvedAs(count);
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

function wireHandlers(machine: RolloutStateMachine, publish: () => void): void {
  setHandler(targetDoneSignal, (done) => {
    if (machine.record(done)) publish();
  });
  setHandler(progressQuery, () => machine.progress(Date.now()));
  const steer = <A extends { by: string }>(update: UpdateDefinition<RolloutProgress, [A]>, verb: SteerVerb, apply: (request: A) => void): void =>
    setHandler(
      update,
      (request: A) => {
        apply(request);
        // The loop may be asleep until a slot frees up: the new status is published now, not when it next wakes.
        publish();
        return machine.progress(Date.now());
      },
      { validator: (request: A) => refuseIf(machine.refusal(verb, request, Date.now())) },
    );
  steer(approveUpdate, 'approve', (request) => machine.approve(request, Date.now()));
  steer(pauseUpdate, 'pause', () => machine.pause());
  steer(resumeUpdate, 'resume', () => machine.resume());
  steer(cancelUpdate, 'cancel', (request) => machine.requestCancel(request));
}

/** A refused update: its sender reads the reason (the CLI prints it and exits 2); nothing is written to history. */
function refuseIf(reason: string | undefined): void {
  if (reason) throw ApplicationFailure.create({ type: 'RolloutUpdateRefused', message: reason, nonRetryable: true });
}

/** Publishes the rollout's status (search attribute FleetcmdStatus, when it changed) and its counts (gauge). */
function publisher(machine: RolloutStateMachine): () => void {
  // fleetcmd_rollout_targets{rollout,state}: how far each rollout is, for a dashboard.
  const targetsGauge = metricMeter.createGauge('fleetcmd_rollout_targets', 'int', 'targets', "a rollout's targets by state");
  let published: RolloutStatus | undefined;
  return () => {
    const progress = machine.progress(Date.now());
    for (const [state, value] of Object.entries(progress.counts)) targetsGauge.set(value, { rollout: progress.rolloutId, state });
    if (progress.status === published) return;
    published = progress.status;
    upsertSearchAttributes([{ key: FleetcmdStatus, value: progress.status }]);
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function tuningOf(input: RolloutInput): RolloutTuning {
  const t = { ...DEFAULT_TUNING, ...input.tuning };
  const whole = (n: number, fallback: number): number => (Number.isInteger(n) && n > 0 ? n : fallback);
  return {
    pageSize: whole(t.pageSize, DEFAULT_TUNING.pageSize),
    startBatch: whole(t.startBatch, DEFAULT_TUNING.startBatch),
    cancelBatch: whole(t.cancelBatch, DEFAULT_TUNING.cancelBatch),
    staleCheckIntervalMs: whole(t.staleCheckIntervalMs, DEFAULT_TUNING.staleCheckIntervalMs),
  };
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
