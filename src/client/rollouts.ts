import { WorkflowIdReusePolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Runbook } from '../runbook/runbook';
import type { PollPolicy } from '../runbook/execution';
import type { RolloutProgress, RolloutReport, TargetSelector } from '../runbook/rollout';
import { planRunbook } from '../runbook/to-plan';
import { FleetcmdRolloutId, FleetcmdRunbook, FleetcmdStatus } from '../workflows/search-attributes';
import type { RolloutInput, rollout as rolloutWorkflow } from '../workflows/rollout';
import { newRolloutId } from './ids';

/**
 * The rollout library the CLI is built on: start (idempotent by id), read
 * progress, steer (approve, pause, resume, cancel) and wait for the report.
 * Signals and updates go by workflow id, so they reach the latest run after
 * continue-as-new.
 */
export type RolloutHandle = WorkflowHandle<typeof rolloutWorkflow>;

export interface StartRolloutOptions {
  runbook: Runbook;
  taskQueue: string;
  rolloutId?: string;
  /** Retry the failed and never-started targets of an earlier rollout instead of the runbook's selection. */
  selector?: TargetSelector;
  /** End of the maintenance window (ISO): no target starts after it. */
  notAfter?: string;
  defaultSubscriptionId?: string;
  poll?: PollPolicy;
  /** How long a silent agent is waited for beyond a step's timeout (default 600 s). */
  agentGraceSeconds?: number;
  maxChildrenPerRun?: number;
}

export async function startRollout(client: Client, options: StartRolloutOptions): Promise<RolloutHandle> {
  const { runbook } = options;
  const rolloutId = options.rolloutId ?? newRolloutId(runbook.name);
  return client.workflow.start<typeof rolloutWorkflow>('rollout', {
    taskQueue: options.taskQueue,
    workflowId: rolloutId,
    // A rollout id names one rollout for ever: starting it again is refused, never a second run of its scripts.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: FleetcmdRunbook, value: runbook.name },
      { key: FleetcmdRolloutId, value: rolloutId },
      { key: FleetcmdStatus, value: 'Resolving' },
    ],
    args: [rolloutInput(runbook, { ...options, rolloutId })],
  });
}

export interface RolloutInputOptions {
  rolloutId: string;
  /** Retry the failed and never-started targets of an earlier rollout instead of the runbook's selection. */
  selector?: TargetSelector;
  /** End of the maintenance window (ISO): no target starts after it. */
  notAfter?: string;
  /** A window measured from the rollout's own start (a schedule's firings each get one). */
  windowSeconds?: number;
  /** Started by a schedule: the workflow renames the plan after its own workflow id on every firing. */
  scheduled?: boolean;
  defaultSubscriptionId?: string;
  poll?: PollPolicy;
  /** How long a silent agent is waited for beyond a step's timeout (default 600 s). */
  agentGraceSeconds?: number;
  maxChildrenPerRun?: number;
}

/**
 * The rollout workflow's input for a runbook: its plan, its targets and its
 * settings. One builder for a rollout started now and one a schedule starts
 * later, so both carry the same plan.
 */
export function rolloutInput(runbook: Runbook, options: RolloutInputOptions): RolloutInput {
  const plan = planRunbook(runbook, { rolloutId: options.rolloutId, poll: options.poll, agentGraceSeconds: options.agentGraceSeconds });
  const selector: TargetSelector = options.selector ?? {
    kind: 'runbook',
    targets: runbook.targets,
    ...(options.defaultSubscriptionId ? { defaultSubscriptionId: options.defaultSubscriptionId } : {}),
  };
  return {
    plan,
    selector,
    settings: {
      ...runbook.rollout,
      ...(options.notAfter ? { notAfter: options.notAfter } : {}),
      ...(options.windowSeconds ? { windowSeconds: options.windowSeconds } : {}),
    },
    ...(options.scheduled ? { scheduled: true } : {}),
    ...(options.maxChildrenPerRun ? { maxChildrenPerRun: options.maxChildrenPerRun } : {}),
  };
}

export function rolloutHandle(client: Client, rolloutId: string): RolloutHandle {
  return client.workflow.getHandle<typeof rolloutWorkflow>(rolloutId);
}

export async function progressOf(handle: RolloutHandle): Promise<RolloutProgress> {
  return handle.query<RolloutProgress>('progress');
}

type Steer = 'approve' | 'pause' | 'resume' | 'cancel';

export async function steer(handle: RolloutHandle, verb: Steer, args: { by: string; note?: string; reason?: string }): Promise<RolloutProgress> {
  return handle.executeUpdate<RolloutProgress, [typeof args]>(verb, { args: [args] });
}

export async function reportOf(handle: RolloutHandle): Promise<RolloutReport> {
  return handle.result();
}
