import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { targetWorkflowIdOfKey } from '../../src/runbook/execution';

/** How long the targets that ended took, start to end of their workflows, and why the slowest took so long. */
export interface TargetTiming {
  median: number;
  max: number;
  slowest: string;
  /** The attempts that timed out in the slowest target's history, e.g. "collectOutput attempt 1: START_TO_CLOSE". */
  slowestWaitedOn: string[];
}

export async function targetTiming(client: Client, rolloutId: string, seconds: Array<{ key: string; seconds: number }>): Promise<TargetTiming | undefined> {
  if (seconds.length === 0) return undefined;
  const sorted = [...seconds].sort((a, b) => a.seconds - b.seconds);
  const slowest = sorted[sorted.length - 1];
  return {
    median: sorted[Math.floor(sorted.length / 2)].seconds,
    max: slowest.seconds,
    slowest: slowest.key,
    slowestWaitedOn: await timedOutAttempts(client, targetWorkflowIdOfKey(rolloutId, slowest.key)),
  };
}

/**
 * A killed worker's activity attempt is retried only once its timeout
 * expires, and the retry's start event names the timeout: reading them tells
 * a slow target's wait apart from a slow script.
 */
export async function timedOutAttempts(client: Client, workflowId: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const activityType = new Map<string, string>();
  const found: string[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) activityType.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    const timeout = started?.lastFailure?.timeoutFailureInfo?.timeoutType;
    if (started && timeout) {
      const name = activityType.get(String(started.scheduledEventId)) ?? '?';
      found.push(`${name} attempt ${(started.attempt ?? 1) - 1}: ${temporal.api.enums.v1.TimeoutType[timeout].replace('TIMEOUT_TYPE_', '')}`);
    }
    if (e.workflowTaskTimedOutEventAttributes) found.push('a workflow task timed out');
  }
  return found;
}
