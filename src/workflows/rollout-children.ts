/**
 * A rollout run's side of its target workflows: reading the target list a
 * page at a time, starting children, cancelling them in batches, and
 * looking up targets an earlier run started that have not reported. Every
 * decision (what to start, what an end means) is the state machine's; this
 * module only turns them into Temporal commands, a bounded number per
 * workflow task.
 */
import {
  CancellationScope,
  ChildWorkflowFailure,
  CancelledFailure,
  ParentClosePolicy,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowIdReusePolicy,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunbookPlan, TargetRef } from '../runbook/execution';
import { targetKey, targetWorkflowIdOfKey } from '../runbook/execution';
import type { ClosedTargetWorkflow, TargetWorkflowEnd } from '../runbook/rollout';
import type { RolloutStateMachine, RunCounters } from './rollout-state';
import type { target as targetWorkflow } from './target';

/** Internal limits of a rollout; RolloutInput.tuning overrides them (tests do, with small values). */
export interface RolloutTuning {
  /** Targets read per loadTargets call. */
  pageSize: number;
  /** Child starts outstanding at once, so at most this many start commands in one workflow task. */
  startBatch: number;
  /** Cancel requests sent per workflow task (each batch is acknowledged before the next goes out). */
  cancelBatch: number;
  /** How often targets started by earlier runs that have not reported are looked up. */
  staleCheckIntervalMs: number;
}

/**
 * 500 per task for starts and cancels is Temporal's advice for concurrent
 * operations, a quarter of its 2,000 pending children or cancel requests.
 * Five minutes between look-ups of silent targets bounds the history they
 * cost (about a dozen events each) to some 150 an hour, only while there
 * are such targets.
 */
export const DEFAULT_TUNING: RolloutTuning = { pageSize: 500, startBatch: 500, cancelBatch: 500, staleCheckIntervalMs: 5 * 60_000 };

// Listing a large fleet may take minutes; the heartbeat notices a dead worker in 30 s.
export const { resolveTargets, loadTargets } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

// A failed look-up is tried again at the next check, not retried for long here.
const { describeTargetWorkflows } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

export class TargetChildren implements RunCounters {
  startedThisRun = 0;
  pendingStarts = 0;
  private page: { offset: number; targets: TargetRef[] } = { offset: 0, targets: [] };
  private readonly cancelSent = new Set<string>();
  /** Targets in flight when this run began: started by an earlier run, so not this run's children. */
  private readonly inherited: ReadonlySet<string>;

  constructor(
    private readonly machine: RolloutStateMachine,
    private readonly plan: RunbookPlan,
    private readonly tuning: RolloutTuning,
    private readonly onChange: () => void,
  ) {
    this.inherited = new Set(Object.keys(machine.state.inFlight));
  }

  /** Targets `from..from+count` of the resolved list, reading a page from storage when they are not in the one at hand. */
  async targetsAt(from: number, count: number): Promise<TargetRef[]> {
    const inPage = (i: number): boolean => i >= this.page.offset && i < this.page.offset + this.page.targets.length;
    if (!inPage(from) || !inPage(from + count - 1)) {
      const limit = Math.max(this.tuning.pageSize, count);
      this.page = { offset: from, targets: await loadTargets({ rolloutId: this.plan.rolloutId, outputContainer: this.plan.outputContainer, offset: from, limit }) };
    }
    return this.page.targets.slice(from - this.page.offset, from - this.page.offset + count);
  }

  /** Starts `targets` as the targets at `from`, `from + 1`, ... Not awaited: waiting for each start would cost a workflow task per target. */
  start(targets: TargetRef[], from: number): void {
    targets.forEach((t, i) => this.startOne(t, from + i));
  }

  /**
   * Asks every target in flight to cancel (each deletes its run commands and
   * reports Canceled), at most cancelBatch per workflow task: a batch's
   * requests are acknowledged before the next goes out.
   */
  async cancelInFlight(): Promise<void> {
    // The server refuses a workflow task that starts a child and cancels it: let pending starts land first.
    await condition(() => this.pendingStarts === 0);
    for (;;) {
      const batch = this.uncancelled().slice(0, this.tuning.cancelBatch);
      if (batch.length === 0) return;
      batch.forEach((key) => this.cancelSent.add(key));
      await Promise.all(batch.map((key) => getExternalWorkflowHandle(this.workflowIdOf(key)).cancel().catch(() => undefined)));
    }
  }

  /** Targets in flight not yet asked to cancel. */
  uncancelled(): string[] {
    return Object.keys(this.machine.state.inFlight).filter((key) => !this.cancelSent.has(key));
  }

  /**
   * While targets an earlier run started have not reported, looks them up
   * every staleCheckIntervalMs: one that ended without reporting
   * (terminated, timed out) is recorded from how it ended, so it does not
   * hold its slot for ever. A target that closed normally reported before it
   * closed; its end is taken only if a check later its report has still not
   * come. Run it outside the workflow's cancellation scope: a cancelled
   * rollout still waits for these targets.
   */
  async watchInherited(): Promise<void> {
    const silent = (): string[] => [...this.inherited].filter((key) => this.machine.state.inFlight[key] !== undefined);
    const seenClosed = new Set<string>();
    while (silent().length > 0) {
      if (await condition(() => silent().length === 0, this.tuning.staleCheckIntervalMs)) return;
      const keys = silent();
      const keyOf = new Map(keys.map((key) => [this.workflowIdOf(key), key]));
      let closed: ClosedTargetWorkflow[];
      try {
        closed = await describeTargetWorkflows({ workflowIds: [...keyOf.keys()] });
      } catch (err) {
        log.warn('could not look up target workflows; trying again at the next check', { error: String(err) });
        continue;
      }
      for (const { workflowId, end } of closed) {
        const key = keyOf.get(workflowId);
        if (key === undefined) continue;
        if (reportsItself(end) && !seenClosed.has(key)) seenClosed.add(key);
        else this.machine.recordEnd(key, end);
      }
      this.onChange();
    }
  }

  private workflowIdOf(key: string): string {
    return targetWorkflowIdOfKey(this.plan.rolloutId, key);
  }

  private startOne(target: TargetRef, index: number): void {
    const key = targetKey(target);
    this.machine.started(index, key);
    this.startedThisRun += 1;
    this.pendingStarts += 1;
    const lost = (err: unknown): void => {
      // In this run the child's own end is seen too: a child that ended without reporting, or never started, is not waited for.
      const ended = endOf(err);
      if (ended && this.machine.recordEnd(key, ended.end, ended.detail)) this.onChange();
    };
    // Outside the workflow's cancellation scope: the rollout cancels its targets itself, in batches.
    CancellationScope.nonCancellable(() =>
      startChild<typeof targetWorkflow>('target', {
        workflowId: this.workflowIdOf(key),
        args: [{ plan: this.plan, target, report: { rolloutWorkflowId: workflowInfo().workflowId, index } }],
        // Children outlive this run (continue-as-new) and report back by signal.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    ).then(
      (handle) => {
        this.pendingStarts -= 1;
        handle.result().then(() => undefined, lost);
      },
      (err: unknown) => {
        this.pendingStarts -= 1;
        lost(err);
      },
    );
  }
}

/** Ends after which the target has reported on its own (target.ts reports on success, failure and cancel). */
function reportsItself(end: TargetWorkflowEnd): boolean {
  return end === 'Completed' || end === 'Failed' || end === 'Canceled';
}

/** How a child of this run ended, from the error its result or its start gave. */
function endOf(err: unknown): { end: TargetWorkflowEnd; detail?: string } | undefined {
  if (err instanceof ChildWorkflowFailure) {
    if (err.cause instanceof TerminatedFailure) return { end: 'Terminated' };
    if (err.cause instanceof TimeoutFailure) return { end: 'TimedOut' };
    if (err.cause instanceof CancelledFailure) return { end: 'Canceled' };
    return { end: 'Failed', detail: err.cause?.message ?? err.message };
  }
  if (isCancellation(err)) return undefined;
  return { end: 'Failed', detail: `could not start: ${err instanceof Error ? err.message : String(err)}` };
}
