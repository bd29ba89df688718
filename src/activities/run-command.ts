import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { VirtualMachineRunCommand, VirtualMachineRunCommandInstanceView } from '@azure/arm-compute';
import type { BlobRef, PollPolicy, RunCommandSpec, StepPlan, TargetRef } from '../runbook/execution';
import { targetKey, targetResourcePath } from '../runbook/execution';
import { collectSecrets, knownSecrets } from '../codec';
import { armErrorInfo, armFailure } from './arm-errors';
import { heartbeating } from './heartbeat';
import type { ComputeClients } from './compute';
import { sasWindow, type OutputStore } from './outputs';
import { attemptLease } from './attempt-lease';

/** Tags fleetcmd puts on every run command it creates. */
export const TAG_SPEC_HASH = 'fleetcmd-spec-hash';
export const TAG_ROLLOUT = 'fleetcmd-rollout';
export const TAG_STEP = 'fleetcmd-step';
/** When the step was issued (ISO time): keepLast keeps the newest by it. */
export const TAG_ISSUED = 'fleetcmd-issued';

export interface StepAddress {
  target: TargetRef;
  rolloutId: string;
  step: Pick<StepPlan, 'name' | 'runCommandName'>;
}

export interface CreateRunCommandInput extends StepAddress {
  location: string;
  specHash: string;
  runCommand: RunCommandSpec;
  outputContainer?: string;
  /** When the step was issued (workflow time): everything time-dependent in the PUT body derives from it. */
  issuedAtMs: number;
  /** How long the agent may take to start the script: the output SAS must outlive that too. */
  agentGraceSeconds: number;
}

export interface CreateRunCommandResult {
  /** false when the resource already existed with this spec (a retried or replayed create), or nothing was sent. */
  sent: boolean;
  /** Cancelled before any PUT of this step was sent: nothing of it can reach the VM. */
  withdrawn?: boolean;
  /**
   * The latest PUT of this step that was sent without an answer (an attempt
   * that timed out or crashed mid-call): it may still land, so a delete before
   * it could have landed is not the end of the run command.
   */
  unansweredPutAtMs?: number;
}

export interface AwaitRunCommandInput {
  target: TargetRef;
  runCommandName: string;
  poll: PollPolicy;
  /** When the step was issued: an agent that has not started the script `agentGraceSeconds` later is unresponsive. */
  issuedAtMs?: number;
  timeoutInSeconds?: number;
  agentGraceSeconds?: number;
  treatFailureAsDeploymentFailure?: boolean;
}

/** The terminal state of a run command, small enough for history. */
export interface RunCommandOutcome {
  provisioningState?: string;
  executionState?: string;
  executionMessage?: string;
  exitCode?: number;
  startTime?: string;
  endTime?: string;
  outputTail?: string;
  errorTail?: string;
}

export interface CollectOutputInput extends StepAddress {
  outputContainer?: string;
}

export interface DeleteRunCommandInput {
  target: TargetRef;
  runCommandName: string;
}

export interface RetireRunCommandInput extends DeleteRunCommandInput {
  /** Until this time a PUT of the step may still land: the run command is watched and deleted again until then. */
  notBeforeMs: number;
}

export interface PruneRunCommandsInput {
  target: TargetRef;
  keepLast: number;
}

export interface PruneRunCommandsResult {
  deleted: string[];
  /** fleetcmd's run commands still on the machine, the newest first. */
  kept: string[];
}

const TERMINAL_EXECUTION = new Set(['Succeeded', 'Failed', 'TimedOut', 'Canceled']);

/** How often a create heartbeats; the workflow gives it a 10 s heartbeat timeout. */
const CREATE_HEARTBEAT_MS = 2_000;

/** An attempt sends its PUT only with this much of its lease left: room for ARM to answer. */
const PUT_NEEDS_MS = 10_000;

export function blobPrefix(address: StepAddress): string {
  return `${address.rolloutId}/${targetKey(address.target)}/${address.step.name}`;
}

/** What an attempt of createRunCommand leaves for the next one (heartbeat details survive a crash). */
interface CreateCheckpoint {
  /** The latest PUT an attempt sent; an attempt that got its answer returns, so a carried one went unanswered. */
  putSentAtMs?: number;
}

export function runCommandActivities(deps: { compute: ComputeClients; outputs: OutputStore }) {
  const { compute, outputs } = deps;

  return {
    /**
     * Sends the run command's PUT unless it already exists with this spec: a
     * script runs once per (target, step, rollout) however often this retries.
     * Returns as soon as ARM accepted the PUT (fleetcmd polls the instance
     * view itself). Cancellable until the PUT is sent; after that it waits
     * for ARM's answer, so the step knows whether the run command exists.
     */
    async createRunCommand(input: CreateRunCommandInput): Promise<CreateRunCommandResult> {
      const context = Context.current();
      const lease = attemptLease();
      const ops = compute.forTarget(input.target);
      const name = input.step.runCommandName;
      // An earlier attempt that got no answer (or whose end is unknown) may have a PUT still on its way: the
      // latest one it sent, or, when no checkpoint survived, one sent at any time before this attempt.
      const carried = (context.info.heartbeatDetails as CreateCheckpoint | undefined) ?? {};
      let unansweredPutAtMs = carried.putSentAtMs ?? (context.info.attempt > 1 ? context.info.currentAttemptScheduledTimestampMs : undefined);
      const unanswered = (): Pick<CreateRunCommandResult, 'unansweredPutAtMs'> => (unansweredPutAtMs !== undefined ? { unansweredPutAtMs } : {});
      const withdrawn = (): CreateRunCommandResult => ({ sent: false, ...(unansweredPutAtMs === undefined ? { withdrawn: true } : unanswered()) });
      // Heartbeats all along (the PUT may take long): they carry the checkpoint, and a cancellation arrives with their answer.
      const checkpoint: CreateCheckpoint = { ...carried };
      const beat = (): void => context.heartbeat(checkpoint);
      beat();
      const beating = setInterval(beat, CREATE_HEARTBEAT_MS);
      // The logger redacts every secret this worker has handled, should one surface in an error.
      knownSecrets.add(collectSecrets(input.runCommand));
      try {
        // The write's token first: an attempt put off by throttling then costs no read at all (a fleet
        // waiting on Compute's write buckets would otherwise spend Azure's read buckets on the same GET
        // again at each retry). A token kept for a PUT that the GET shows is not needed is only a little early.
        await paced(compute, input.target, 'writes');
        await paced(compute, input.target, 'reads');
        if (cancelRequested()) return withdrawn();
        const existing = await getOrUndefined(() => ops.get(name, { abortSignal: lease.signal }));
        if (existing?.tags?.[TAG_SPEC_HASH] === input.specHash) return { sent: false, ...unanswered() };
        if (cancelRequested()) return withdrawn();
        lease.assertRoomFor(PUT_NEEDS_MS, `the PUT of ${name}`);
        const window = sasWindow(input.issuedAtMs, sasLifetimeMs(input.runCommand, input.agentGraceSeconds));
        const blobs = await outputs.mintStepBlobUris(input.outputContainer, blobPrefix(input), window);
        const body: VirtualMachineRunCommand = {
          location: input.location,
          tags: { [TAG_SPEC_HASH]: input.specHash, [TAG_ROLLOUT]: input.rolloutId, [TAG_STEP]: input.step.name, [TAG_ISSUED]: new Date(input.issuedAtMs).toISOString() },
          ...input.runCommand,
          ...blobs,
        };
        lease.assertRoomFor(PUT_NEEDS_MS, `the PUT of ${name}`);
        const sentAtMs = Date.now();
        checkpoint.putSentAtMs = sentAtMs;
        beat();
        try {
          await ops.put(name, body, { abortSignal: lease.signal });
        } catch (err) {
          if (!lease.signal.aborted) throw err;
          // No answer within the lease: the PUT may land yet. A cancelled step learns when; otherwise the
          // next attempt reads the resource (the same body, so a second PUT changes nothing).
          unansweredPutAtMs = sentAtMs;
          if (cancelRequested()) return { sent: false, ...unanswered() };
          throw ApplicationFailure.create({ type: 'PutUnanswered', message: `ARM did not answer the PUT of ${name} within the attempt`, nonRetryable: false, nextRetryDelay: 1_000 });
        }
        return { sent: true, ...unanswered() };
      } catch (err) {
        if (isCancellation(err)) return withdrawn();
        throw writeFailure(err);
      } finally {
        clearInterval(beating);
      }
    },

    /**
     * One GET of the instance view per attempt. Until the script is done the
     * activity fails with a benign, retryable failure whose nextRetryDelay is
     * the poll interval: retries add no history events, so a three-day script
     * costs the same history as a three-second one. The agent's deadlines
     * count from what the instance view says: the script's own startTime once
     * it has one, the step's issue time until then.
     */
    async awaitRunCommand(input: AwaitRunCommandInput): Promise<RunCommandOutcome> {
      const ops = compute.forTarget(input.target);
      let resource: VirtualMachineRunCommand;
      // A poll that would overdraw Azure's read buckets is simply taken later: polling is what a fleet does most.
      const wait = compute.pacer.reserve({ subscriptionId: input.target.subscriptionId.toLowerCase(), resourceKey: targetResourcePath(input.target), armClass: 'reads' }, { maxWaitMs: 0 });
      if (wait > 0) throw inProgress(`${input.runCommandName}: waiting for Azure's read budget`, Math.max(wait, backoffMs(attempt(), input.poll)));
      try {
        resource = await ops.get(input.runCommandName, { expand: 'instanceView' });
      } catch (err) {
        throw armFailure(err, backoffMs(attempt(), input.poll));
      }
      const outcome = toOutcome(resource);
      if (isSettled(outcome, input.treatFailureAsDeploymentFailure)) return outcome;
      const silent = agentSilence(outcome, input, Date.now());
      if (silent) throw ApplicationFailure.create({ type: 'AgentUnresponsive', message: silent, nonRetryable: true, details: [{ startTime: outcome.startTime }] });
      throw inProgress(`${input.runCommandName} is ${outcome.executionState ?? outcome.provisioningState ?? 'pending'}`, backoffMs(attempt(), input.poll));
    },

    /** Size and sha256 of the full stdout and stderr the agent appended to blobs. */
    async collectOutput(input: CollectOutputInput): Promise<{ output?: BlobRef; error?: BlobRef }> {
      const prefix = blobPrefix(input);
      try {
        const [output, error] = await heartbeating(() =>
          Promise.all([outputs.describe(input.outputContainer, `${prefix}/stdout`), outputs.describe(input.outputContainer, `${prefix}/stderr`)]),
        );
        return { output, error };
      } catch (err) {
        throw storageFailure(err);
      }
    },

    /** Deletes a run command (which kills its script if it still runs). Already gone counts as done. */
    async deleteRunCommand(input: DeleteRunCommandInput): Promise<void> {
      try {
        await paced(compute, input.target, 'deletes');
        await compute.forTarget(input.target).delete(input.runCommandName, { abortSignal: attemptLease().signal });
      } catch (err) {
        if (!(err instanceof ApplicationFailure) && armErrorInfo(err).statusCode === 404) return;
        throw writeFailure(err);
      }
    },

    /**
     * Deletes a run command and makes sure it stays gone: each attempt reads
     * it, deletes it if it is there (again, should a late PUT have brought it
     * back), and succeeds only once it is gone and `notBeforeMs` has passed,
     * so no PUT of the step can land after the step reports its end.
     */
    async retireRunCommand(input: RetireRunCommandInput): Promise<void> {
      const ops = compute.forTarget(input.target);
      const lease = attemptLease();
      try {
        await paced(compute, input.target, 'reads');
        const existing = await getOrUndefined(() => ops.get(input.runCommandName, { abortSignal: lease.signal }));
        if (existing && existing.provisioningState !== 'Deleting') {
          await paced(compute, input.target, 'deletes');
          await ops.delete(input.runCommandName, { abortSignal: lease.signal });
        }
        const waitMs = input.notBeforeMs - Date.now();
        if (existing || waitMs > 0) {
          throw inProgress(
            existing ? `${input.runCommandName} is being deleted` : `${input.runCommandName} is gone; watching until a PUT still on its way could have landed`,
            Math.max(1_000, Math.min(existing ? 2_000 : 5_000, waitMs)),
          );
        }
      } catch (err) {
        if (!(err instanceof ApplicationFailure) && armErrorInfo(err).statusCode === 404) throw inProgress(`${input.runCommandName} was deleted meanwhile`, 1_000);
        throw writeFailure(err);
      }
    },

    /**
     * keepLast N: deletes fleetcmd's run commands on the machine beyond the
     * newest N (by the time their step was issued). A run command whose
     * script has not ended is never deleted (another step may still be
     * waiting for it), nor is any run command fleetcmd did not create.
     */
    async pruneRunCommands(input: PruneRunCommandsInput): Promise<PruneRunCommandsResult> {
      const ops = compute.forTarget(input.target);
      const lease = attemptLease();
      try {
        await paced(compute, input.target, 'reads');
        const ours: VirtualMachineRunCommand[] = [];
        for await (const rc of ops.list({ expand: 'instanceView', abortSignal: lease.signal })) if (rc.tags?.[TAG_ROLLOUT]) ours.push(rc);
        const newestFirst = ours.sort((a, b) => issuedAt(b) - issuedAt(a) || (b.name ?? '').localeCompare(a.name ?? ''));
        const deleted: string[] = [];
        for (const rc of newestFirst.slice(input.keepLast)) {
          if (!rc.name || rc.provisioningState === 'Deleting' || !isTerminal(toOutcome(rc))) continue;
          await paced(compute, input.target, 'deletes');
          await ops.delete(rc.name, { abortSignal: lease.signal }).catch((err: unknown) => {
            if (armErrorInfo(err).statusCode !== 404) throw err;
          });
          deleted.push(rc.name);
        }
        return { deleted, kept: newestFirst.map((rc) => rc.name ?? '').filter((n) => !deleted.includes(n)) };
      } catch (err) {
        throw writeFailure(err);
      }
    },
  };
}

/** A write activity's failure: its own pass as they are; ARM's are classified (arm-errors.ts) and retried with backoff. */
function writeFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  return armFailure(err, backoffMs(attempt(), { initialIntervalMs: 1_000, maximumIntervalMs: 30_000 }));
}

/**
 * Storage's refusals (403 AuthorizationFailure, 400 ...) do not clear by
 * retrying: they fail at once with storage's own code and message; anything
 * else (5xx, throttling, the network) is retried.
 */
function storageFailure(err: unknown): unknown {
  const e = err as { statusCode?: number; code?: string; message?: string };
  const status = e.statusCode;
  if (status === undefined || status < 400 || status >= 500 || status === 408 || status === 429) return err;
  return ApplicationFailure.create({ type: e.code ?? `HTTP${status}`, message: e.message ?? String(err), nonRetryable: true, details: [{ statusCode: status }] });
}

/** Whether this activity's cancellation has reached it (delivered with a heartbeat's answer). */
function cancelRequested(): boolean {
  return Context.current().cancellationSignal.aborted;
}

function isCancellation(err: unknown): boolean {
  return err instanceof CancelledFailure || (err instanceof Error && err.name === 'AbortError' && cancelRequested());
}

function issuedAt(rc: VirtualMachineRunCommand): number {
  const tagged = Date.parse(rc.tags?.[TAG_ISSUED] ?? '');
  if (!Number.isNaN(tagged)) return tagged;
  const started = rc.instanceView?.startTime;
  return started ? new Date(started).getTime() : 0;
}

/** Instance-view times are whole seconds: a deadline counted from one allows for the truncation. */
const TIME_RESOLUTION_MS = 1_000;

/**
 * Why the agent counts as unresponsive now, or undefined while it is within
 * its time. Once the script has a startTime it must end within its
 * timeoutInSeconds plus the agent grace of that start; until then the agent
 * gets as long to start it (a busy VM's extension handler may be late), or
 * the grace alone for a script without a timeout.
 */
export function agentSilence(outcome: RunCommandOutcome, input: Pick<AwaitRunCommandInput, 'issuedAtMs' | 'timeoutInSeconds' | 'agentGraceSeconds'>, nowMs: number): string | undefined {
  if (input.agentGraceSeconds === undefined) return undefined;
  const graceMs = input.agentGraceSeconds * 1000;
  const timeout = input.timeoutInSeconds ?? 0;
  const startedMs = outcome.startTime && outcome.executionState !== 'Pending' ? Date.parse(outcome.startTime) : NaN;
  if (Number.isNaN(startedMs)) {
    const allowedSeconds = timeout + input.agentGraceSeconds;
    if (input.issuedAtMs !== undefined && nowMs > input.issuedAtMs + allowedSeconds * 1000) {
      return `the agent did not start the script within ${allowedSeconds} s of the run command's creation (its timeoutInSeconds plus the agent grace period)`;
    }
    return undefined;
  }
  if (timeout > 0 && nowMs > startedMs + TIME_RESOLUTION_MS + timeout * 1000 + graceMs) {
    return `the script started at ${outcome.startTime} and reported no end within its timeoutInSeconds (${timeout}) plus the agent grace period (${input.agentGraceSeconds} s)`;
  }
  return undefined;
}

/** A 404 on the read means "not created yet"; if the VM itself is missing, the PUT says so with Azure's own error. */
/** The benign, retryable failure that makes the activity's retries a poll loop. */
function inProgress(message: string, nextRetryDelay: number): ApplicationFailure {
  return ApplicationFailure.create({ type: 'RunCommandInProgress', message, nonRetryable: false, nextRetryDelay, category: 'BENIGN' });
}

/** Longest wait for a throttling bucket spent inside an activity; longer ones become a retry delay (no history). */
const MAX_IN_ACTIVITY_WAIT_MS = 10_000;

/** Waits until the request's throttling buckets have a token to spare (see pacing.ts). */
export async function paced(compute: ComputeClients, target: TargetRef, armClass: 'reads' | 'writes' | 'deletes'): Promise<void> {
  const wait = compute.pacer.reserve({ subscriptionId: target.subscriptionId.toLowerCase(), resourceKey: targetResourcePath(target), armClass }, { maxWaitMs: MAX_IN_ACTIVITY_WAIT_MS });
  if (wait <= 0) return;
  if (wait <= MAX_IN_ACTIVITY_WAIT_MS) return Context.current().sleep(wait);
  throw ApplicationFailure.create({
    type: 'Paced',
    message: `waiting ${Math.round(wait / 1000)} s for Azure's throttling bucket to refill`,
    nonRetryable: false,
    nextRetryDelay: wait,
    category: 'BENIGN',
  });
}

async function getOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (armErrorInfo(err).statusCode === 404) return undefined;
    throw err;
  }
}

export function toOutcome(resource: VirtualMachineRunCommand): RunCommandOutcome {
  const view: VirtualMachineRunCommandInstanceView = resource.instanceView ?? {};
  return {
    provisioningState: resource.provisioningState,
    executionState: view.executionState,
    executionMessage: view.executionMessage,
    exitCode: view.exitCode,
    startTime: isoOrUndefined(view.startTime),
    endTime: isoOrUndefined(view.endTime),
    outputTail: view.output,
    errorTail: view.error,
  };
}

function isTerminal(outcome: RunCommandOutcome): boolean {
  return outcome.provisioningState === 'Failed' || TERMINAL_EXECUTION.has(outcome.executionState ?? '');
}

const TERMINAL_PROVISIONING = new Set(['Succeeded', 'Failed', 'Canceled']);

/**
 * With treatFailureAsDeploymentFailure, a failed script fails the resource's
 * provisioning too, a moment after the instance view shows the failure: the
 * step waits for that, so it reports what Azure reports.
 */
function isSettled(outcome: RunCommandOutcome, treatFailureAsDeploymentFailure: boolean | undefined): boolean {
  if (!isTerminal(outcome)) return false;
  if (!treatFailureAsDeploymentFailure || outcome.executionState === 'Succeeded') return true;
  return TERMINAL_PROVISIONING.has(outcome.provisioningState ?? '');
}

function isoOrUndefined(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}

function attempt(): number {
  return Context.current().info.attempt;
}

/** Exponential backoff from the policy's initial interval to its cap, ±20 % jitter so a fleet does not poll in lockstep. */
export function backoffMs(attemptNumber: number, policy: PollPolicy): number {
  const base = Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * 1.5 ** Math.max(0, attemptNumber - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * The SAS must outlive the script: the time its agent may take to start it
 * and to end it (see agentSilence), and an hour; the 7-day maximum when the
 * script has no timeout.
 */
export function sasLifetimeMs(spec: RunCommandSpec, agentGraceSeconds: number): number {
  return spec.timeoutInSeconds ? 2 * (agentGraceSeconds + spec.timeoutInSeconds) * 1000 + 3600_000 : Number.POSITIVE_INFINITY;
}
