import { ApplicationFailure, Context } from '@temporalio/activity';
import type { VirtualMachineRunCommand, VirtualMachineRunCommandInstanceView } from '@azure/arm-compute';
import type { BlobRef, PollPolicy, RunCommandSpec, StepPlan, TargetRef } from '../runbook/execution';
import { targetKey, targetResourcePath } from '../runbook/execution';
import { collectSecrets, knownSecrets } from '../codec';
import { armErrorInfo, armFailure } from './arm-errors';
import { heartbeating } from './heartbeat';
import type { ComputeClients } from './compute';
import type { OutputStore } from './outputs';

/** Tags fleetcmd puts on every run command it creates. */
export const TAG_SPEC_HASH = 'fleetcmd-spec-hash';
export const TAG_ROLLOUT = 'fleetcmd-rollout';
export const TAG_STEP = 'fleetcmd-step';

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
}

export interface CreateRunCommandResult {
  /** false when the resource already existed with this spec (a retried or replayed create). */
  sent: boolean;
}

export interface AwaitRunCommandInput {
  target: TargetRef;
  runCommandName: string;
  poll: PollPolicy;
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

const TERMINAL_EXECUTION = new Set(['Succeeded', 'Failed', 'TimedOut', 'Canceled']);

export function blobPrefix(address: StepAddress): string {
  return `${address.rolloutId}/${targetKey(address.target)}/${address.step.name}`;
}

export function runCommandActivities(deps: { compute: ComputeClients; outputs: OutputStore }) {
  const { compute, outputs } = deps;

  return {
    /**
     * Sends the run command's PUT unless it already exists with this spec: a
     * script runs once per (target, step, rollout) however often this retries.
     * Returns as soon as ARM accepted the PUT; with asyncExecution false ARM
     * would hold the operation open until the script ends.
     */
    async createRunCommand(input: CreateRunCommandInput): Promise<CreateRunCommandResult> {
      const ops = compute.forTarget(input.target);
      const name = input.step.runCommandName;
      // The logger redacts every secret this worker has handled, should one surface in an error.
      knownSecrets.add(collectSecrets(input.runCommand));
      try {
        // The write's token first: an attempt put off by throttling then costs no read at all (a fleet
        // waiting on Compute's write buckets would otherwise spend Azure's read buckets on the same GET
        // again at each retry). A token kept for a PUT that the GET shows is not needed is only a little early.
        await paced(compute, input.target, 'writes');
        await paced(compute, input.target, 'reads');
        const existing = await getOrUndefined(() => ops.get(name));
        if (existing?.tags?.[TAG_SPEC_HASH] === input.specHash) return { sent: false };
        const blobs = await outputs.mintStepBlobUris(input.outputContainer, blobPrefix(input), sasLifetimeMs(input.runCommand));
        const body: VirtualMachineRunCommand = {
          location: input.location,
          tags: { [TAG_SPEC_HASH]: input.specHash, [TAG_ROLLOUT]: input.rolloutId, [TAG_STEP]: input.step.name },
          ...input.runCommand,
          ...blobs,
        };
        await ops.put(name, body);
        return { sent: true };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        throw armFailure(err, backoffMs(attempt(), { initialIntervalMs: 1_000, maximumIntervalMs: 30_000 }));
      }
    },

    /**
     * One GET of the instance view per attempt. Until the script is done the
     * activity fails with a benign, retryable failure whose nextRetryDelay is
     * the poll interval: retries add no history events, so a three-day script
     * costs the same history as a three-second one.
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
      if (isTerminal(outcome)) return outcome;
      throw inProgress(`${input.runCommandName} is ${outcome.executionState ?? outcome.provisioningState ?? 'pending'}`, backoffMs(attempt(), input.poll));
    },

    /** Size and sha256 of the full stdout and stderr the agent appended to blobs. */
    async collectOutput(input: CollectOutputInput): Promise<{ output?: BlobRef; error?: BlobRef }> {
      const prefix = blobPrefix(input);
      const [output, error] = await heartbeating(() =>
        Promise.all([outputs.describe(input.outputContainer, `${prefix}/stdout`), outputs.describe(input.outputContainer, `${prefix}/stderr`)]),
      );
      return { output, error };
    },

    /** Deletes a run command (which kills its script if it still runs). Already gone counts as done. */
    async deleteRunCommand(input: DeleteRunCommandInput): Promise<void> {
      try {
        await paced(compute, input.target, 'deletes');
        await compute.forTarget(input.target).delete(input.runCommandName);
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (armErrorInfo(err).statusCode === 404) return;
        throw armFailure(err, backoffMs(attempt(), { initialIntervalMs: 1_000, maximumIntervalMs: 30_000 }));
      }
    },
  };
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

/** The SAS must outlive the script: its timeout plus an hour, or the 7-day maximum when it has none. */
function sasLifetimeMs(spec: RunCommandSpec): number {
  return spec.timeoutInSeconds ? spec.timeoutInSeconds * 1000 + 3600_000 : Number.POSITIVE_INFINITY;
}
