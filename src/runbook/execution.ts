/**
 * The shapes that cross from the client into workflows and activities: a
 * planned runbook (every name and hash already derived) and the small
 * results that flow back. Pure types and pure functions only: workflow code
 * imports this module.
 */

/** One machine: a VM, or a VM of a scale set. */
export type TargetRef =
  | { kind: 'vm'; subscriptionId: string; resourceGroup: string; vmName: string }
  | { kind: 'vmssVm'; subscriptionId: string; resourceGroup: string; scaleSetName: string; instanceId: string };

/** A target's short name: `rg/vm` or `rg/vmss/instanceId` (part of child workflow ids and blob paths). */
export function targetKey(target: TargetRef): string {
  return target.kind === 'vm'
    ? `${target.resourceGroup}/${target.vmName}`
    : `${target.resourceGroup}/${target.scaleSetName}/${target.instanceId}`;
}

/** The workflow id of one target's runbook in a rollout: deterministic, so a start is idempotent. */
export function targetWorkflowId(rolloutId: string, target: TargetRef): string {
  return targetWorkflowIdOfKey(rolloutId, targetKey(target));
}

/** The same id from a target's key, for code that keeps keys only (a rollout's in-flight set). */
export function targetWorkflowIdOfKey(rolloutId: string, key: string): string {
  return `${rolloutId}/${key}`;
}

/** A target's ARM resource path (lower-cased), as Azure's per-resource throttling buckets key it. */
export function targetResourcePath(target: TargetRef): string {
  const base = `/subscriptions/${target.subscriptionId}/resourcegroups/${target.resourceGroup}/providers/microsoft.compute`;
  const path = target.kind === 'vm' ? `${base}/virtualmachines/${target.vmName}` : `${base}/virtualmachinescalesets/${target.scaleSetName}/virtualmachines/${target.instanceId}`;
  return path.toLowerCase();
}

export interface RunCommandParameter {
  name: string;
  value: string;
}

/** What fleetcmd sends to Azure for one step: Azure's property names. */
export interface RunCommandSpec {
  source: { script: string } | { scriptUri: string; scriptUriManagedIdentity?: { clientId?: string; objectId?: string } } | { commandId: string };
  parameters?: RunCommandParameter[];
  protectedParameters?: RunCommandParameter[];
  timeoutInSeconds?: number;
  runAsUser?: string;
  runAsPassword?: string;
  asyncExecution?: boolean;
  treatFailureAsDeploymentFailure?: boolean;
}

export interface StepPlan {
  name: string;
  dependsOn: string[];
  /** Azure's resource name: unique per (rollout, step), derived deterministically. */
  runCommandName: string;
  /** Stable hash of the spec (without secret values); kept in a tag so a retried PUT is not sent twice. */
  specHash: string;
  runCommand: RunCommandSpec;
}

export type CleanupPolicy = 'afterCollect' | { keepLast: number };

/** How often to look at a running script: backoff from `initialIntervalMs` to `maximumIntervalMs`, with jitter. */
export interface PollPolicy {
  initialIntervalMs: number;
  maximumIntervalMs: number;
}

/**
 * How long Azure may still act on a PUT whose answer never came: ARM gives a
 * resource provider about a minute to accept a request, so a PUT not accepted
 * a minute after it was sent will not be. A run command deleted before then
 * is watched until then (a late PUT would bring it back and run its script).
 */
export const PUT_LANDING_MS = 60_000;

export const defaultPollPolicy: PollPolicy = { initialIntervalMs: 5_000, maximumIntervalMs: 60_000 };

export interface RunbookPlan {
  rolloutId: string;
  runbookName: string;
  location: string;
  steps: StepPlan[];
  /** Steps run (as their own DAG) on a target whose runbook failed: a rollback. */
  onFailure?: StepPlan[];
  /** Container URL for full outputs; the configured storage account's `fleetcmd-output` otherwise. */
  outputContainer?: string;
  cleanup: CleanupPolicy;
  poll?: PollPolicy;
  /** Beyond a step's timeoutInSeconds, how long an agent may stay silent before the step fails (default 600). */
  agentGraceSeconds?: number;
}

export type StepState = 'Succeeded' | 'Failed' | 'TimedOut' | 'Canceled' | 'Skipped';

export interface BlobRef {
  /** The blob's URL without any SAS. */
  url: string;
  size: number;
  sha256: string;
}

export interface StepResult {
  step: string;
  runCommandName: string;
  state: StepState;
  exitCode?: number;
  executionState?: string;
  executionMessage?: string;
  startTime?: string;
  endTime?: string;
  /** The last 4,096 bytes of stdout and stderr, as Azure's instance view reports them. */
  outputTail?: string;
  errorTail?: string;
  output?: BlobRef;
  error?: BlobRef;
  /** Why the full output could not be read (the step's own state stands). */
  outputUnavailable?: string;
  /** Azure's error code and message, unaltered, when Azure refused or failed the step. */
  failure?: { code: string; message: string; statusCode?: number };
  /** Why a step did not run (Skipped). */
  reason?: string;
}

export type TargetState = 'Succeeded' | 'Failed' | 'Canceled' | 'NotStarted';

export interface TargetResult {
  target: TargetRef;
  key: string;
  state: TargetState;
  steps: StepResult[];
  onFailure?: StepResult[];
  reason?: string;
}
