import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  isCancellation,
  log,
  metricMeter,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, CreateRunCommandResult, RunCommandOutcome } from '../activities';
import { armWritesTaskQueue } from './task-queues';
import type { BlobRef, CleanupPolicy, PollPolicy, StepPlan, StepResult, StepState, TargetRef } from '../runbook/execution';
import { PUT_LANDING_MS } from '../runbook/execution';

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
const WRITE_ATTEMPT_MS = 30_000;

function writes() {
  return proxyActivities<Activities>({
    taskQueue: armWritesTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: WRITE_ATTEMPT_MS,
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
}

/**
 * The create, cancellable only until its PUT is sent: it heartbeats so that a
 * cancellation reaches it, and the step waits for its answer (sent, not sent,
 * or sent without an answer) before it cleans up, instead of guessing.
 */
function creates() {
  return proxyActivities<Activities>({
    taskQueue: armWritesTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: WRITE_ATTEMPT_MS,
    heartbeatTimeout: '10 seconds',
    scheduleToCloseTimeout: '1 hour',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  }).createRunCommand;
}

/** Blob reads of any size: a long start-to-close, and a heartbeat so a dead worker is noticed in 30 s. */
const reads = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** Beyond a step's own timeout, how long an agent may stay silent before fleetcmd gives up on it. */
export const DEFAULT_AGENT_GRACE_SECONDS = 600;

/**
 * Polls until the script ends. The agent's deadlines (to start the script,
 * then to end it within timeoutInSeconds plus the grace of its startTime) are
 * judged by the activity from the instance view; the schedule-to-close only
 * stops a poll loop that cannot read at all, so it allows both in full.
 */
function awaiter(step: StepPlan, poll: PollPolicy, graceSeconds: number) {
  const timeout = step.runCommand.timeoutInSeconds ?? 0;
  return proxyActivities<Activities>({
    startToCloseTimeout: '20 seconds',
    ...(timeout > 0 ? { scheduleToCloseTimeout: 2 * (timeout + graceSeconds) * 1000 + 2 * poll.maximumIntervalMs } : {}),
    retry: { initialInterval: poll.initialIntervalMs, backoffCoefficient: 1.5, maximumInterval: poll.maximumIntervalMs },
  }).awaitRunCommand;
}

export async function runStep(ctx: StepContext, step: StepPlan): Promise<StepResult> {
  const address = { target: ctx.target, rolloutId: ctx.rolloutId, step: { name: step.name, runCommandName: step.runCommandName } };
  const base = { step: step.name, runCommandName: step.runCommandName };
  // Workflow time, the same on every replay and retry: the PUT body's times derive from it.
  const issuedAtMs = Date.now();
  const create = creates()({
    ...address,
    location: ctx.location,
    specHash: step.specHash,
    runCommand: step.runCommand,
    outputContainer: ctx.outputContainer,
    issuedAtMs,
    agentGraceSeconds: ctx.agentGraceSeconds,
  });
  let result: StepResult;
  let created: CreateRunCommandResult | undefined;
  try {
    created = await create;
    const outcome = await awaiter(step, ctx.poll, ctx.agentGraceSeconds)({
      target: ctx.target,
      runCommandName: step.runCommandName,
      poll: ctx.poll,
      issuedAtMs,
      timeoutInSeconds: step.runCommand.timeoutInSeconds,
      agentGraceSeconds: ctx.agentGraceSeconds,
      treatFailureAsDeploymentFailure: step.runCommand.treatFailureAsDeploymentFailure,
    });
    result = { ...base, ...fromOutcome(outcome, step), ...(await collect(ctx, address)) };
  } catch (err) {
    // A failure that arrives after the step was cancelled (a create attempt that timed out, say) is the cancel's.
    if (isCancellation(err) || CancellationScope.current().consideredCancelled) {
      await CancellationScope.nonCancellable(() => withdraw(ctx, step, create, Date.now()));
      throw isCancellation(err) ? err : new CancelledFailure(`step ${step.name} was cancelled`);
    }
    result = { ...base, state: 'Failed', failure: failureOf(err) };
  }
  stepsCounter().add(1, { result: result.state, step: step.name });
  // Nothing to clean when Azure refused the PUT itself. A cancel arriving now does not stop the clean-up.
  if (created && !created.withdrawn) await CancellationScope.nonCancellable(() => cleanUp(ctx, step, created as CreateRunCommandResult));
  return result;
}

/**
 * A cancelled step's run command is deleted, which kills its script. A create
 * still in flight is waited for first; if one of its PUTs went unanswered,
 * the run command is watched and deleted again until that PUT could no
 * longer land, so no script of a cancelled step runs after the step ends.
 */
async function withdraw(ctx: StepContext, step: StepPlan, create: Promise<CreateRunCommandResult>, canceledAtMs: number): Promise<void> {
  const created = await create.then(
    (r) => r,
    (err: unknown) => (refusedByAzure(err) || cancelledBeforeItsPut(err) ? ({ sent: false, withdrawn: true } as CreateRunCommandResult) : undefined),
  );
  if (created?.withdrawn) return;
  // A create that failed may have sent a PUT until the end of its last attempt.
  const unansweredPutAtMs = created ? created.unansweredPutAtMs : canceledAtMs + WRITE_ATTEMPT_MS;
  const notBeforeMs = unansweredPutAtMs === undefined ? 0 : unansweredPutAtMs + PUT_LANDING_MS;
  await writes().retireRunCommand({ target: ctx.target, runCommandName: step.runCommandName, notBeforeMs });
}

/**
 * The create ended as cancelled: it never started, or it stopped at a wait
 * before its PUT (once a PUT is sent the activity waits for the answer and
 * returns what it knows instead).
 */
function cancelledBeforeItsPut(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof CancelledFailure;
}

/** Azure answered the PUT with a 4xx: nothing was created, nothing can land later. */
function refusedByAzure(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  const status = cause instanceof ApplicationFailure ? ((cause.details?.[0] ?? {}) as { statusCode?: number }).statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

/**
 * The full output's size and hash. What the script did stands whatever
 * happens here: a storage failure marks the output unavailable, with why.
 */
async function collect(ctx: StepContext, address: { target: TargetRef; rolloutId: string; step: { name: string; runCommandName: string } }): Promise<Pick<StepResult, 'output' | 'error' | 'outputUnavailable'>> {
  try {
    return blobRefs(await reads.collectOutput({ ...address, outputContainer: ctx.outputContainer }));
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failure = failureOf(err);
    return { outputUnavailable: `${failure.code}: ${failure.message}` };
  }
}

/** fleetcmd_steps{result,step}: the SDK's workflow meter skips replays, so a step counts once. */
function stepsCounter() {
  return metricMeter.createCounter('fleetcmd_steps', 'steps', 'run-command steps finished, by result');
}

/**
 * After the output is collected: `afterCollect` deletes the step's run
 * command (watching it until an unanswered PUT could no longer bring it
 * back); `keepLast` leaves the newest N of fleetcmd's run commands on the
 * machine. A failed clean-up does not change what the script did; it is
 * logged, and the next step's keepLast catches what is left.
 */
async function cleanUp(ctx: StepContext, step: StepPlan, created: CreateRunCommandResult): Promise<void> {
  try {
    if (typeof ctx.cleanup === 'object') {
      await writes().pruneRunCommands({ target: ctx.target, keepLast: ctx.cleanup.keepLast });
      return;
    }
    // A PUT still on its way would bring a deleted run command back and run the script again; it lands on
    // the existing one as a no-op instead, so the delete waits until it could have landed.
    const notBeforeMs = created.unansweredPutAtMs === undefined ? 0 : created.unansweredPutAtMs + PUT_LANDING_MS;
    if (notBeforeMs > Date.now()) await sleep(notBeforeMs - Date.now());
    await writes().deleteRunCommand({ target: ctx.target, runCommandName: step.runCommandName });
  } catch (err) {
    log.warn('could not clean up run commands', { runCommandName: step.runCommandName, error: String(err) });
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
