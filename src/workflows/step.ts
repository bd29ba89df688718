import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  log,
  metricMeter,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, RunCommandOutcome } from '../activities';
import { armWritesTaskQueue } from './task-queues';
import type { BlobRef, CleanupPolicy, PollPolicy, StepPlan, StepResult, StepState, TargetRef } from '../runbook/execution';

/**
 * One run command on one target, its whole lifecycle: create -> await a
 * terminal instance view -> collect the output's size and hash -> clean up.
 * Returns a small result; never throws but for cancellation, after which the
 * run command is deleted (which kills the script on the VM).
 */
export interface StepContext {
  rolloutId: string;
  target: TargetRef;
  location: string;
  outputContainer?: string;
  cleanup: CleanupPolicy;
  poll: PollPolicy;
  agentGraceSeconds: number;
}

/**
 * ARM writes, on their own rate-limited task queue. Short attempt timeouts: an
 * ARM call takes seconds, and a worker that died mid-call is noticed this
 * soon. Throttling and server errors retry for up to an hour; Azure's 4xx
 * fail at once (nonRetryable).
 */
function writes() {
  return proxyActivities<Activities>({
    taskQueue: armWritesTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
}

/** Blob reads of any size: a long start-to-close, and a heartbeat so a dead worker is noticed in 30 s. */
const reads = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** Beyond a step's own timeout, how long an agent may stay silent before fleetcmd gives up on it. */
export const DEFAULT_AGENT_GRACE_SECONDS = 600;

function awaiter(step: StepPlan, poll: PollPolicy, graceSeconds: number) {
  const timeout = step.runCommand.timeoutInSeconds ?? 0;
  return proxyActivities<Activities>({
    startToCloseTimeout: '20 seconds',
    // No timeout means the script may run for days: poll until it ends. The server stops retrying as
    // soon as the next poll would land past the deadline, so one poll interval more keeps the full grace.
    ...(timeout > 0 ? { scheduleToCloseTimeout: (timeout + graceSeconds) * 1000 + poll.maximumIntervalMs } : {}),
    retry: { initialInterval: poll.initialIntervalMs, backoffCoefficient: 1.5, maximumInterval: poll.maximumIntervalMs },
  }).awaitRunCommand;
}

export async function runStep(ctx: StepContext, step: StepPlan): Promise<StepResult> {
  const address = { target: ctx.target, rolloutId: ctx.rolloutId, step: { name: step.name, runCommandName: step.runCommandName } };
  const base = { step: step.name, runCommandName: step.runCommandName };
  let result: StepResult;
  let created = false;
  try {
    await writes().createRunCommand({
      ...address,
      location: ctx.location,
      specHash: step.specHash,
      runCommand: step.runCommand,
      outputContainer: ctx.outputContainer,
    });
    created = true;
    const outcome = await awaiter(step, ctx.poll, ctx.agentGraceSeconds)({ target: ctx.target, runCommandName: step.runCommandName, poll: ctx.poll });
    const blobs = await reads.collectOutput({ ...address, outputContainer: ctx.outputContainer });
    result = { ...base, ...fromOutcome(outcome, step), ...blobRefs(blobs) };
  } catch (err) {
    if (isCancellation(err)) {
      // The PUT may have reached Azure even if its activity was cancelled: delete either way (a 404 is fine).
      await CancellationScope.nonCancellable(() => writes().deleteRunCommand({ target: ctx.target, runCommandName: step.runCommandName }));
      throw err;
    }
    result = { ...base, state: 'Failed', failure: failureOf(err) };
  }
  // Nothing to clean when Azure refused the PUT itself.
  stepsCounter().add(1, { result: result.state, step: step.name });
  if (ctx.cleanup === 'afterCollect' && created) {
    await cleanUp(ctx, step);
  }
  return result;
}

/** fleetcmd_steps{result,step}: the SDK's workflow meter skips replays, so a step counts once. */
function stepsCounter() {
  return metricMeter.createCounter('fleetcmd_steps', 'steps', 'run-command steps finished, by result');
}

/** A failed clean-up does not change what the script did; it is logged, and keepLast/retention catches it later. */
async function cleanUp(ctx: StepContext, step: StepPlan): Promise<void> {
  try {
    await writes().deleteRunCommand({ target: ctx.target, runCommandName: step.runCommandName });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('could not delete run command', { runCommandName: step.runCommandName, error: String(err) });
  }
}

function blobRefs(blobs: { output?: BlobRef; error?: BlobRef }): Pick<StepResult, 'output' | 'error'> {
  return { ...(blobs.output ? { output: blobs.output } : {}), ...(blobs.error ? { error: blobs.error } : {}) };
}

export function fromOutcome(outcome: RunCommandOutcome, step: StepPlan): Omit<StepResult, 'step' | 'runCommandName'> {
  const state = stateOf(outcome, step);
  return {
    state,
    exitCode: outcome.exitCode,
    executionState: outcome.executionState,
    executionMessage: outcome.executionMessage,
    startTime: outcome.startTime,
    endTime: outcome.endTime,
    outputTail: outcome.outputTail,
    errorTail: outcome.errorTail,
    ...(outcome.provisioningState === 'Failed'
      ? { failure: { code: 'ProvisioningFailed', message: outcome.executionMessage ?? 'the run command failed to provision' } }
      : {}),
  };
}

function stateOf(outcome: RunCommandOutcome, step: StepPlan): StepState {
  switch (outcome.executionState) {
    case 'Succeeded':
      return outcome.provisioningState === 'Failed' ? 'Failed' : 'Succeeded';
    case 'TimedOut':
      return 'TimedOut';
    case 'Canceled':
      return 'Canceled';
    default:
      // The Linux handler never reports TimedOut: a timeout is Failed with exit code -1 once the timeout has elapsed.
      return outcome.exitCode === -1 && ranForTimeout(outcome, step.runCommand.timeoutInSeconds) ? 'TimedOut' : 'Failed';
  }
}

function ranForTimeout(outcome: RunCommandOutcome, timeoutInSeconds: number | undefined): boolean {
  if (!timeoutInSeconds || !outcome.startTime || !outcome.endTime) return false;
  const seconds = (Date.parse(outcome.endTime) - Date.parse(outcome.startTime)) / 1000;
  return seconds >= timeoutInSeconds - 1;
}

/** Azure's code and message, unaltered, from the activity failure's cause. */
function failureOf(err: unknown): { code: string; message: string; statusCode?: number } {
  // The poll's deadline (timeoutInSeconds + grace) ran out: the server ends the retries with the last
  // "still running" failure as the cause, and marks the retry state TIMEOUT.
  if (err instanceof ActivityFailure && err.retryState === 'TIMEOUT' && err.activityType === 'awaitRunCommand') {
    return { code: 'AgentUnresponsive', message: 'the run command reported no terminal state within its timeout plus the agent grace period' };
  }
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const detail = (cause.details?.[0] ?? {}) as { statusCode?: number };
    return { code: cause.type ?? 'Error', message: cause.message, ...(detail.statusCode ? { statusCode: detail.statusCode } : {}) };
  }
  if (cause instanceof TimeoutFailure) {
    return { code: 'AgentUnresponsive', message: 'the run command reported no terminal state within its timeout plus the agent grace period' };
  }
  return { code: 'Error', message: err instanceof Error ? err.message : String(err) };
}
