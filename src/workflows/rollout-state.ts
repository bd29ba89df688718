/**
 * A rollout's state and every change to it, apart from Temporal: the data
 * that crosses continue-as-new (RolloutState), the values derived from it
 * (status, progress, what may start next, why it stopped), and the
 * transitions the rollout workflow's handlers and loop apply (resolved,
 * approve, pause, resume, cancel, a target's report, starts).
 *
 * The rollout workflow builds one RolloutStateMachine on its first line and
 * only wires it to signals, queries, updates and child workflows; every rule
 * lives here, where a unit test reaches it. Time comes in as a number (the
 * workflow's Date.now()), so nothing here reads a clock. Workflow code
 * imports this module: pure functions and types only, no Node built-ins.
 */
import { cutWaves, resolveConcurrency, resolveCount } from '../runbook/plan';
import type {
  ApprovalRecord,
  OutcomeGroup,
  RolloutProgress,
  RolloutReport,
  RolloutSettings,
  RolloutStatus,
  TargetDone,
  TargetWorkflowEnd,
} from '../runbook/rollout';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** Everything that crosses continue-as-new, as plain JSON. */
export interface RolloutState {
  /** Targets resolved; 0 until resolution (a resolved fleet has at least one). */
  total: number;
  /** Empty until the targets are resolved. */
  waveSizes: number[];
  wave: number;
  /** The index of the next target to start, in the resolved list. */
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
  /** Why new starts stopped, fixed when they did (a cancel overrides it). */
  stopReason?: string;
  startedAtMs: number;
}

/** Who the rollout is, for progress and refusals. */
export interface RolloutIdentity {
  rolloutId: string;
  runbookName: string;
}

/** What this run of the workflow has done (not carried across continue-as-new). */
export interface RunCounters {
  /** Child starts issued by this run. */
  startedThisRun: number;
  /** Child starts issued and not yet confirmed by the server. */
  pendingStarts: number;
}

/** Limits of one run of the workflow. */
export interface RunLimits {
  /** Children one run starts before it continues as new. */
  maxChildrenPerRun: number;
  /** Child starts outstanding at once: the most start commands one workflow task issues. */
  startBatch: number;
}

/** The steering verbs a person sends (Temporal updates). */
export type SteerVerb = 'approve' | 'pause' | 'resume' | 'cancel';

/** A range of target indices to start now. */
export interface StartBatch {
  from: number;
  count: number;
}

const FAILURES_KEPT = 100;
const GROUPS_KEPT = 50;
const GROUP_SAMPLE = 5;

export function emptyRolloutState(startedAtMs: number): RolloutState {
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

// ---------------------------------------------------------------------------
// The state machine
// ---------------------------------------------------------------------------

export class RolloutStateMachine {
  /** Set when the rollout has ended; this run's only (it never crosses continue-as-new). */
  private ended: 'Completed' | 'Stopped' | 'Canceled' | undefined;

  constructor(
    readonly identity: RolloutIdentity,
    readonly settings: RolloutSettings,
    readonly state: RolloutState,
  ) {}

  // --- derived values ---------------------------------------------------------

  get resolved(): boolean {
    return this.state.waveSizes.length > 0;
  }

  concurrency(): number {
    return resolveConcurrency(this.settings.maxConcurrency, this.state.total).count;
  }

  maxErrors(): number {
    return resolveCount(this.settings.maxErrors, this.state.total);
  }

  /** The earlier of an absolute window end (`notAfter`) and one measured from the rollout's start. */
  windowEnd(): number | undefined {
    const ends = [
      ...(this.settings.notAfter ? [Date.parse(this.settings.notAfter)] : []),
      ...(this.settings.windowSeconds ? [this.state.startedAtMs + this.settings.windowSeconds * 1000] : []),
    ];
    return ends.length ? Math.min(...ends) : undefined;
  }

  windowClosed(nowMs: number): boolean {
    const end = this.windowEnd();
    return end !== undefined && nowMs >= end;
  }

  inFlightCount(): number {
    return Object.keys(this.state.inFlight).length;
  }

  /** The index just past the current wave. */
  waveEnd(): number {
    return this.state.waveSizes.slice(0, this.state.wave + 1).reduce((a, b) => a + b, 0);
  }

  isLastWave(): boolean {
    return this.state.wave >= this.state.waveSizes.length - 1;
  }

  waveComplete(): boolean {
    return this.resolved && this.state.nextIndex >= this.waveEnd() && this.inFlightCount() === 0;
  }

  /** The current wave's end needs someone's approval before the next wave starts. */
  needsApproval(): boolean {
    const { approval } = this.settings;
    const gated = approval === 'betweenWaves' || (approval === 'afterFirstWave' && this.state.wave === 0);
    return this.resolved && !this.isLastWave() && gated && !this.state.approvals.some((a) => a.wave === this.state.wave);
  }

  awaitingApproval(): boolean {
    return this.waveComplete() && this.needsApproval();
  }

  budgetSpent(): boolean {
    return this.state.failedIndices.length > this.maxErrors();
  }

  /** No new target may start, for good: cancelled, error budget spent, or window closed. */
  stopping(nowMs: number): boolean {
    return !!this.state.cancelRequested || this.budgetSpent() || this.windowClosed(nowMs);
  }

  /** Why new starts stop now (the first reason that holds). */
  stopReasonAt(nowMs: number): string | undefined {
    if (this.state.cancelRequested) return canceledBy(this.state.cancelRequested);
    if (this.budgetSpent()) return `error budget spent: ${this.state.failedIndices.length} failures, maxErrors ${this.maxErrors()}`;
    if (this.windowClosed(nowMs)) return this.awaitingApproval() ? 'maintenance window closed while awaiting approval' : 'maintenance window closed';
    return undefined;
  }

  status(nowMs: number): RolloutStatus {
    if (this.ended) return this.ended;
    if (this.stopping(nowMs)) return 'Stopping';
    if (this.state.paused) return 'Paused';
    if (!this.resolved) return 'Resolving';
    return this.awaitingApproval() ? 'AwaitingApproval' : 'Running';
  }

  /**
   * The targets to start now: none while paused, stopping or unresolved;
   * otherwise as many as the free slots, the wave, this run's share of
   * children and the start batch allow.
   */
  nextBatch(nowMs: number, run: RunCounters, limits: RunLimits): StartBatch {
    const from = this.state.nextIndex;
    if (this.state.paused || !this.resolved || this.stopping(nowMs)) return { from, count: 0 };
    const count = Math.min(
      this.concurrency() - this.inFlightCount(),
      this.waveEnd() - from,
      limits.maxChildrenPerRun - run.startedThisRun,
      limits.startBatch - run.pendingStarts,
    );
    return { from, count: Math.max(0, count) };
  }

  continueAsNewDue(run: RunCounters, limits: RunLimits, suggested: boolean): boolean {
    return run.startedThisRun >= limits.maxChildrenPerRun || suggested;
  }

  /** Why a steering verb does not apply now, as the sentence its sender reads; undefined when it does. */
  refusal(verb: SteerVerb, request: { by: string }, nowMs: number): string | undefined {
    const status = this.status(nowMs);
    const prefix = `${verb}: rollout ${this.identity.rolloutId}`;
    if (!request?.by?.trim()) return `${verb}: \`by\` must name who does it`;
    if (status === 'Completed' || status === 'Stopped' || status === 'Canceled') return `${prefix} is ${status}; there is nothing to ${verb}`;
    if (verb === 'approve') return this.awaitingApproval() && !this.stopping(nowMs) ? undefined : `${prefix} is ${status}, not awaiting approval`;
    if (verb === 'cancel' && this.state.cancelRequested) return `${prefix} is already being canceled (by ${this.state.cancelRequested.by})`;
    if (verb !== 'cancel' && status === 'Stopping') return `${prefix} is Stopping (${this.stopReasonAt(nowMs)}); it starts nothing more`;
    return undefined;
  }

  progress(nowMs: number): RolloutProgress {
    const { state } = this;
    const status = this.status(nowMs);
    const final = status === 'Completed' || status === 'Stopped' || status === 'Canceled';
    const done = state.succeeded + state.failedIndices.length + state.canceledIndices.length;
    const elapsedMs = nowMs - state.startedAtMs;
    const remaining = state.total - done;
    let waveStart = 0;
    return {
      ...this.identity,
      status,
      total: state.total,
      counts: {
        Succeeded: state.succeeded,
        Failed: state.failedIndices.length,
        Canceled: state.canceledIndices.length,
        Running: this.inFlightCount(),
        NotStarted: final ? state.total - state.nextIndex : 0,
        Pending: final ? 0 : state.total - state.nextIndex,
      },
      wave: state.wave,
      waves: state.waveSizes.map((size, i) => {
        const started = Math.max(0, Math.min(size, state.nextIndex - waveStart));
        waveStart += size;
        return { size, started, done: state.waveDone[i] ?? 0 };
      }),
      maxConcurrency: this.concurrency(),
      maxErrors: this.maxErrors(),
      failures: state.failures,
      approvals: state.approvals,
      ...(state.stopReason ? { stopReason: state.stopReason } : {}),
      startedAt: new Date(state.startedAtMs).toISOString(),
      elapsedMs,
      ...(done > 0 && remaining > 0 ? { estimateMs: Math.round((elapsedMs / done) * remaining) } : {}),
    };
  }

  /** The rollout's result; `notStartedSample` names a few of the targets it never started. */
  report(nowMs: number, notStartedSample: string[]): RolloutReport {
    const { state } = this;
    return {
      ...this.progress(nowMs),
      groups: state.groups,
      failedIndices: state.failedIndices,
      canceledIndices: state.canceledIndices,
      notStartedIndices: Array.from({ length: Math.max(0, state.total - state.nextIndex) }, (_, i) => state.nextIndex + i),
      notStartedSample,
    };
  }

  // --- transitions --------------------------------------------------------------

  /** The targets are resolved: `total` of them, cut into waves. */
  resolvedAs(total: number): void {
    this.state.total = total;
    this.state.waveSizes = cutWaves(total, this.settings.waves);
  }

  approve(request: { by: string; note?: string }, nowMs: number): void {
    this.state.approvals.push({ wave: this.state.wave, by: request.by, at: new Date(nowMs).toISOString(), ...(request.note ? { note: request.note } : {}) });
  }

  pause(): void {
    this.state.paused = true;
  }

  resume(): void {
    this.state.paused = false;
  }

  requestCancel(request: { by: string; reason?: string }): void {
    this.state.cancelRequested = { by: request.by, ...(request.reason ? { reason: request.reason } : {}) };
    // A cancel names who stopped the rollout, whatever else was stopping it.
    this.state.stopReason = canceledBy(this.state.cancelRequested);
  }

  /** New starts have stopped: the reason is fixed now. */
  beginStop(nowMs: number): void {
    this.state.stopReason ??= this.stopReasonAt(nowMs) ?? 'stopped';
  }

  /** Moves to the next wave; the caller has checked the current one is complete and needs no approval. */
  advanceWave(): void {
    this.state.wave += 1;
  }

  /** A target workflow was asked to start for the target at `index`. */
  started(index: number, key: string): void {
    this.state.inFlight[key] = index;
    this.state.nextIndex = Math.max(this.state.nextIndex, index + 1);
  }

  /** Applies one target's report; false for a target not in flight (a second report, or one already accounted for). */
  record(done: TargetDone): boolean {
    const { state } = this;
    if (state.inFlight[done.key] === undefined) return false;
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
    return true;
  }

  /** A target workflow in flight ended without reporting (Temporal says how): recorded from how it ended. */
  recordEnd(key: string, end: TargetWorkflowEnd, detail?: string): boolean {
    const index = this.state.inFlight[key];
    if (index === undefined) return false;
    return this.record({ index, key, ...outcomeOfEnd(end, detail) });
  }

  /** The rollout has ended: its final status. */
  end(): RolloutStatus {
    this.ended = this.state.cancelRequested ? 'Canceled' : this.state.stopReason ? 'Stopped' : 'Completed';
    return this.ended;
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** What a target workflow's end means for the rollout, when the target could not say so itself. */
export function outcomeOfEnd(end: TargetWorkflowEnd, detail?: string): Pick<TargetDone, 'state' | 'reason'> {
  const more = detail ? `: ${detail}` : '';
  switch (end) {
    case 'Terminated':
      return { state: 'Failed', reason: `target workflow terminated${more}` };
    case 'TimedOut':
      return { state: 'Failed', reason: `target workflow timed out${more}` };
    case 'Canceled':
      return { state: 'Canceled', reason: `target workflow canceled${more}` };
    case 'NotFound':
      return { state: 'Failed', reason: `target workflow not found (past the namespace's retention?)${more}` };
    case 'Failed':
      return { state: 'Failed', reason: `target workflow failed${more || ' without reporting to its rollout'}` };
    case 'Completed':
      return { state: 'Failed', reason: `target workflow completed without reporting to its rollout${more}` };
  }
}

function canceledBy(cancel: { by: string; reason?: string }): string {
  return `canceled by ${cancel.by}${cancel.reason ? `: ${cancel.reason}` : ''}`;
}

function addToGroups(groups: OutcomeGroup[], done: TargetDone): void {
  const sig = done.signature;
  if (!sig) return;
  const same = groups.find(
    (g) =>
      g.signature.step === sig.step &&
      g.signature.state === sig.state &&
      g.signature.exitCode === sig.exitCode &&
      g.signature.sha256 === sig.sha256 &&
      (sig.sha256 !== undefined || g.signature.snippet === sig.snippet),
  );
  if (same) {
    same.count += 1;
    if (same.sample.length < GROUP_SAMPLE) same.sample.push(done.key);
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
