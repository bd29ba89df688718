import { ScheduleOverlapPolicy, WorkflowNotFoundError, type Client, type ScheduleOptions, type ScheduleSummary } from '@temporalio/client';
import type { RolloutStatus, StateCounts } from '../runbook/rollout';
import { FleetcmdRunbook, FleetcmdStatus } from '../workflows/search-attributes';
import type { rollout as rolloutWorkflow } from '../workflows/rollout';
import { rolloutInput } from './rollouts';
import {
  OVERLAP_POLICIES,
  ScheduleOptionsError,
  formatCalendar,
  parseCalendar,
  scheduleSpecOf,
  timesOption,
  type CreateScheduleOptions,
  type OverlapPolicy,
} from './schedule-spec';

export type { CreateScheduleOptions, OverlapPolicy } from './schedule-spec';

/**
 * Maintenance schedules: a runbook rolled out on a calendar, on Temporal
 * Schedules. Each firing starts the `rollout` workflow with an id Temporal
 * derives from the schedule's (`<scheduleId>-<time>`); the rollout takes that
 * id as its own, so every firing creates new run commands (Azure does not
 * re-run a script on an identical PUT). A window (`windowSeconds`) is
 * enforced inside each rollout: no target starts after it closes.
 *
 * Every option is checked (schedule-spec.ts) before Temporal is called; a
 * bad option throws ScheduleOptionsError naming the option. Unknown ids
 * surface as the SDK's ScheduleNotFoundError, an existing id on create as
 * ScheduleAlreadyRunning.
 */

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** What fleetcmd keeps in a schedule's memo: what the user asked for, in their words. */
export interface ScheduleMemo {
  runbook: string;
  /** `cron "0 2 * * SAT"`, `calendar dayOfWeek=SAT hour=2`, `every 6h` */
  when: string;
  timezone?: string;
  windowSeconds?: number;
}

export interface ScheduleListing {
  scheduleId: string;
  runbook?: string;
  when?: string;
  paused: boolean;
  note?: string;
  nextRuns: Date[];
  lastRolloutId?: string;
}

/** A rollout's state as a schedule's describe shows it: fleetcmd's own status, or Temporal's when the rollout ended abnormally. */
export type ScheduledRolloutStatus = RolloutStatus | 'Failed' | 'Terminated' | 'TimedOut' | 'Unknown';

export interface ScheduledRollout {
  rolloutId: string;
  scheduledAt: Date;
  takenAt: Date;
  status: ScheduledRolloutStatus;
  /** For rollouts that ended with a report. */
  counts?: StateCounts;
  stopReason?: string;
}

export interface ScheduleDetails extends ScheduleMemo {
  scheduleId: string;
  taskQueue?: string;
  paused: boolean;
  note?: string;
  overlap: OverlapPolicy | 'terminateOther';
  catchupWindowSeconds: number;
  nextRuns: Date[];
  /** Oldest first, as Temporal keeps them (its last ten). */
  recentActions: ScheduledRollout[];
  running: string[];
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  createdAt: Date;
}

export interface TriggerResult {
  /** The rollout the trigger started, once Temporal shows it. */
  rolloutId?: string;
  /** The trigger was dropped because a rollout of this schedule is running and the overlap policy says skip. */
  skippedOverlap?: boolean;
}

// ---------------------------------------------------------------------------
// The library
// ---------------------------------------------------------------------------

const ROLLOUT_WORKFLOW = 'rollout';
const DEFAULT_CATCHUP_SECONDS = 600;

export async function createSchedule(client: Client, options: CreateScheduleOptions): Promise<void> {
  const spec = scheduleSpecOf(options);
  const overlap = options.overlap ?? 'skip';
  const { runbook } = options;
  const memo: ScheduleMemo = {
    runbook: runbook.name,
    when: describeWhen(options),
    ...(options.timezone ? { timezone: options.timezone } : {}),
    ...(options.windowSeconds ? { windowSeconds: options.windowSeconds } : {}),
  };
  const schedule: ScheduleOptions = {
    scheduleId: options.scheduleId,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: ROLLOUT_WORKFLOW,
      taskQueue: options.taskQueue,
      // Temporal appends the firing's time, and the rollout takes the result as its id.
      workflowId: options.scheduleId,
      typedSearchAttributes: [
        { key: FleetcmdRunbook, value: runbook.name },
        { key: FleetcmdStatus, value: 'Resolving' },
      ],
      args: [
        rolloutInput(runbook, {
          rolloutId: options.scheduleId,
          scheduled: true,
          ...(options.windowSeconds ? { windowSeconds: options.windowSeconds } : {}),
          ...(options.defaultSubscriptionId ? { defaultSubscriptionId: options.defaultSubscriptionId } : {}),
          ...(options.poll ? { poll: options.poll } : {}),
        }),
      ] satisfies Parameters<typeof rolloutWorkflow>,
    },
    policies: {
      overlap: TEMPORAL_OVERLAP[overlap],
      catchupWindow: (options.catchupWindowSeconds ?? DEFAULT_CATCHUP_SECONDS) * 1000,
    },
    state: { paused: options.paused ?? false, ...(options.note ? { note: options.note } : {}) },
    memo: { fleetcmd: memo },
    typedSearchAttributes: [{ key: FleetcmdRunbook, value: runbook.name }],
  };
  try {
    await client.schedule.create(schedule);
  } catch (err) {
    // The SDK turns the server's "Invalid schedule spec" into a TypeError: Temporal's own parser had the last word.
    if (err instanceof TypeError) throw new ScheduleOptionsError(timesOption(options), `Temporal refused it: ${err.message}`);
    throw err;
  }
}

/** fleetcmd's schedules (those that start rollouts), in Temporal's order. Temporal's list is eventually consistent: a new schedule shows up within a second or so. */
export async function listSchedules(client: Client): Promise<ScheduleListing[]> {
  const out: ScheduleListing[] = [];
  for await (const summary of client.schedule.list()) {
    if (!isRolloutSchedule(summary)) continue;
    const memo = memoOf(summary.memo);
    const last = summary.info.recentActions.at(-1);
    out.push({
      scheduleId: summary.scheduleId,
      ...(memo ? { runbook: memo.runbook, when: memo.when } : {}),
      paused: summary.state.paused,
      ...(summary.state.note ? { note: summary.state.note } : {}),
      nextRuns: summary.info.nextActionTimes,
      ...(last ? { lastRolloutId: last.action.workflow.workflowId } : {}),
    });
  }
  return out;
}

export async function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleDetails> {
  const d = await client.schedule.getHandle(scheduleId).describe();
  const memo = memoOf(d.memo);
  const recentActions = await Promise.all(
    d.info.recentActions.map(async (a) => ({
      rolloutId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt,
      takenAt: a.takenAt,
      ...(await rolloutOutcome(client, a.action.workflow.workflowId)),
    })),
  );
  return {
    scheduleId: d.scheduleId,
    runbook: memo?.runbook ?? d.typedSearchAttributes.get(FleetcmdRunbook) ?? '?',
    when: memo?.when ?? '?',
    ...(memo?.timezone ? { timezone: memo.timezone } : {}),
    ...(memo?.windowSeconds ? { windowSeconds: memo.windowSeconds } : {}),
    ...(d.action.taskQueue ? { taskQueue: d.action.taskQueue } : {}),
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    overlap: fromTemporalOverlap(d.policies.overlap),
    catchupWindowSeconds: Math.round(d.policies.catchupWindow / 1000),
    nextRuns: d.info.nextActionTimes,
    recentActions,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    createdAt: d.info.createdAt,
  };
}

export async function pauseSchedule(client: Client, scheduleId: string, options: { note?: string } = {}): Promise<void> {
  await client.schedule.getHandle(scheduleId).pause(options.note ?? 'paused with fleetcmd');
}

export async function unpauseSchedule(client: Client, scheduleId: string, options: { note?: string } = {}): Promise<void> {
  await client.schedule.getHandle(scheduleId).unpause(options.note ?? 'unpaused with fleetcmd');
}

/**
 * Starts a rollout now, paused schedule or not. Overlap follows the
 * schedule's own policy unless given (the SDK's default, allow-all, would run
 * two rollouts of one runbook on the same machines at once). Waits up to
 * `waitMs` for Temporal to show the rollout, and says if it was skipped.
 */
export async function triggerSchedule(client: Client, scheduleId: string, options: { overlap?: OverlapPolicy; waitMs?: number } = {}): Promise<TriggerResult> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = await handle.describe();
  const overlap = options.overlap ? TEMPORAL_OVERLAP[options.overlap] : before.policies.overlap;
  await handle.trigger(overlap);
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  for (;;) {
    const now = await handle.describe();
    if (now.info.numActionsTaken > before.info.numActionsTaken) {
      const last = now.info.recentActions.at(-1);
      return last ? { rolloutId: last.action.workflow.workflowId } : {};
    }
    if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) return { skippedOverlap: true };
    if (Date.now() >= deadline) return {};
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes the schedule; rollouts it started keep running (steer them by their ids). */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).delete();
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const TEMPORAL_OVERLAP: Record<OverlapPolicy, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  bufferOne: ScheduleOverlapPolicy.BUFFER_ONE,
  bufferAll: ScheduleOverlapPolicy.BUFFER_ALL,
  allowAll: ScheduleOverlapPolicy.ALLOW_ALL,
  cancelOther: ScheduleOverlapPolicy.CANCEL_OTHER,
};

function fromTemporalOverlap(policy: ScheduleOverlapPolicy): OverlapPolicy | 'terminateOther' {
  if (policy === ScheduleOverlapPolicy.TERMINATE_OTHER) return 'terminateOther';
  return OVERLAP_POLICIES.find((p) => TEMPORAL_OVERLAP[p] === policy) ?? 'skip';
}

function describeWhen(options: CreateScheduleOptions): string {
  const when = options.cron?.length
    ? options.cron.map((c) => `cron ${JSON.stringify(c.trim())}`).join(', ')
    : options.calendar?.length
      ? options.calendar.map((c) => `calendar ${formatCalendar(parseCalendar(c))}`).join(', ')
      : `every ${options.every ?? '?'}`;
  return options.timezone ? `${when} (${options.timezone})` : when;
}

function isRolloutSchedule(summary: ScheduleSummary): boolean {
  return summary.action?.workflowType === ROLLOUT_WORKFLOW;
}

function memoOf(memo: Record<string, unknown> | undefined): ScheduleMemo | undefined {
  const m = memo?.fleetcmd;
  if (m === null || typeof m !== 'object') return undefined;
  const { runbook, when, timezone, windowSeconds } = m as Record<string, unknown>;
  if (typeof runbook !== 'string' || typeof when !== 'string') return undefined;
  return {
    runbook,
    when,
    ...(typeof timezone === 'string' ? { timezone } : {}),
    ...(typeof windowSeconds === 'number' ? { windowSeconds } : {}),
  };
}

const ROLLOUT_STATUSES: readonly string[] = ['Resolving', 'Running', 'Paused', 'AwaitingApproval', 'Stopping', 'Completed', 'Stopped', 'Canceled'] satisfies RolloutStatus[];

/** A rollout's status (the latest run's, after continue-as-new) and, once it ended with a report, its counts. */
async function rolloutOutcome(client: Client, rolloutId: string): Promise<Pick<ScheduledRollout, 'status' | 'counts' | 'stopReason'>> {
  const handle = client.workflow.getHandle<typeof rolloutWorkflow>(rolloutId);
  let d;
  try {
    d = await handle.describe();
  } catch (err) {
    // Closed workflows leave Temporal after the namespace's retention period.
    if (err instanceof WorkflowNotFoundError) return { status: 'Unknown' };
    throw err;
  }
  const own = d.typedSearchAttributes.get(FleetcmdStatus);
  const fleetcmdStatus = own !== undefined && ROLLOUT_STATUSES.includes(own) ? (own as RolloutStatus) : undefined;
  switch (d.status.name) {
    case 'RUNNING':
      return { status: fleetcmdStatus ?? 'Running' };
    case 'COMPLETED': {
      const report = await handle.result();
      return { status: report.status, counts: report.counts, ...(report.stopReason ? { stopReason: report.stopReason } : {}) };
    }
    case 'CANCELLED':
      return { status: 'Canceled' };
    case 'TERMINATED':
      return { status: 'Terminated' };
    case 'TIMED_OUT':
      return { status: 'TimedOut' };
    case 'FAILED':
      return { status: 'Failed' };
    default:
      return { status: fleetcmdStatus ?? 'Unknown' };
  }
}
