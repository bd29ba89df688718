/**
 * The shapes of a rollout that cross between the client, the rollout
 * workflow and its activities. Pure types only (workflow code imports them).
 */
import type { Approval, CountOrPercent, Targets } from './runbook';
import type { StepState, TargetState } from './execution';

export interface RolloutSettings {
  waves: CountOrPercent[];
  maxConcurrency: CountOrPercent;
  maxErrors: CountOrPercent;
  approval: Approval;
  /** The end of a maintenance window (ISO time): no target starts after it. */
  notAfter?: string;
  /** A window measured from the rollout's own start (schedules: each firing gets its own end). */
  windowSeconds?: number;
}

/** Which machines: a runbook's selection, or the failed and never-started targets of an earlier rollout. */
export type TargetSelector =
  | { kind: 'runbook'; targets: Targets; defaultSubscriptionId?: string }
  | { kind: 'retry'; fromRolloutId: string; indices: number[] };

/** What decided a target's outcome: its first step that did not succeed, else its last step. */
export interface OutcomeSignature {
  step: string;
  state: StepState;
  exitCode?: number;
  /** sha256 of the step's full output, when there was one. */
  sha256?: string;
  /** A short excerpt that tells the group apart: Azure's error, or the last line of stderr/stdout. */
  snippet?: string;
}

/** A target workflow's report to its rollout (a signal, by workflow id, so it reaches the rollout's latest run). */
export interface TargetDone {
  index: number;
  key: string;
  state: TargetState;
  signature?: OutcomeSignature;
  reason?: string;
}

/**
 * How a target workflow ended, as Temporal records it, for one that closed
 * without reporting to its rollout (an operator terminated it, it timed
 * out) or that Temporal no longer knows (NotFound: past retention).
 */
export type TargetWorkflowEnd = 'Completed' | 'Failed' | 'Canceled' | 'Terminated' | 'TimedOut' | 'NotFound';

export interface ClosedTargetWorkflow {
  workflowId: string;
  end: TargetWorkflowEnd;
}

export type RolloutStatus = 'Resolving' | 'Running' | 'Paused' | 'AwaitingApproval' | 'Stopping' | 'Completed' | 'Stopped' | 'Canceled';

export interface StateCounts {
  Succeeded: number;
  Failed: number;
  Canceled: number;
  NotStarted: number;
  Running: number;
  Pending: number;
}

export interface OutcomeGroup {
  signature: OutcomeSignature;
  count: number;
  /** Up to five target keys, for a look at one. */
  sample: string[];
}

export interface ApprovalRecord {
  wave: number;
  by: string;
  at: string;
  note?: string;
}

export interface RolloutProgress {
  rolloutId: string;
  runbookName: string;
  status: RolloutStatus;
  total: number;
  counts: StateCounts;
  wave: number;
  waves: { size: number; started: number; done: number }[];
  maxConcurrency: number;
  maxErrors: number;
  failures: { key: string; reason: string }[];
  approvals: ApprovalRecord[];
  stopReason?: string;
  startedAt: string;
  elapsedMs: number;
  /** Remaining time at the pace so far; absent until a target finished. */
  estimateMs?: number;
}

export interface RolloutReport extends RolloutProgress {
  groups: OutcomeGroup[];
  /** Indices (in the resolved target list) of failed, canceled and never-started targets: what retry-failed reruns. */
  failedIndices: number[];
  canceledIndices: number[];
  notStartedIndices: number[];
  notStartedSample: string[];
}
