import type { Client } from '@temporalio/client';
import type { RunbookPlan, StepPlan } from '../runbook/execution';
import type { RolloutSettings } from '../runbook/rollout';
import type { Runbook, RunCommandManagedIdentity, RunCommandSource, Step, Targets } from '../runbook/runbook';
import { planRunbook } from '../runbook/to-plan';
import type { RolloutInput } from '../workflows/rollout';
import { CliError } from './context';

/**
 * The runbook of a rollout that already ran, for `retry-failed`.
 *
 * It is read from the rollout's own input — the first event of its latest
 * run's history (WorkflowExecutionStarted), decoded with the client's data
 * converter — not from the file it was started from: the file may have
 * changed or be elsewhere, and a retry must run exactly what the rollout
 * ran. describe() does not return a workflow's input, and every run after
 * continue-as-new carries the same plan, so one event of one page is enough
 * however long the rollout's history is.
 */
export async function rolloutInputOf(client: Client, rolloutId: string): Promise<RolloutInput> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: rolloutId },
    maximumPageSize: 1,
  });
  const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  let payloads = started?.input?.payloads ?? [];
  if (!started || payloads.length === 0) throw new CliError(`rollout ${rolloutId}: its history has no start event with an input to read the runbook from`);
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  // Codecs encode in order, so they decode in reverse.
  for (const codec of [...payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return payloadConverter.fromPayload<RolloutInput>(payloads[0]);
}

/**
 * The runbook a plan was made from: steps from their run-command specs, the
 * rollout settings from the rollout's input. The targets come along only as
 * a record (a retry selects by index). Windows are dropped on purpose: the
 * old window has likely closed; a retry is given its own.
 */
export function runbookFromInput(input: RolloutInput): Runbook {
  const { plan, settings } = input;
  const targets: Targets =
    input.selector.kind === 'runbook' ? input.selector.targets : { resourceGroups: [], tags: {}, vms: [], scaleSets: [] };
  const runbook: Runbook = {
    name: plan.runbookName,
    location: plan.location,
    targets,
    steps: plan.steps.map(stepOf),
    onFailure: (plan.onFailure ?? []).map(stepOf),
    rollout: rolloutOf(settings),
    ...(plan.outputContainer ? { output: { container: plan.outputContainer } } : {}),
    cleanup: plan.cleanup,
  };
  assertReproduces(runbook, plan);
  return runbook;
}

function rolloutOf(settings: RolloutSettings): Runbook['rollout'] {
  return { waves: settings.waves, maxConcurrency: settings.maxConcurrency, maxErrors: settings.maxErrors, approval: settings.approval };
}

function stepOf(s: StepPlan): Step {
  const rc = s.runCommand;
  return {
    name: s.name,
    dependsOn: s.dependsOn,
    source: sourceOf(rc.source),
    parameters: rc.parameters ?? [],
    protectedParameters: rc.protectedParameters ?? [],
    ...(rc.timeoutInSeconds !== undefined ? { timeoutInSeconds: rc.timeoutInSeconds } : {}),
    ...(rc.runAsUser !== undefined ? { runAsUser: rc.runAsUser } : {}),
    ...(rc.runAsPassword !== undefined ? { runAsPassword: rc.runAsPassword } : {}),
    asyncExecution: rc.asyncExecution ?? false,
    treatFailureAsDeploymentFailure: rc.treatFailureAsDeploymentFailure ?? false,
  };
}

function sourceOf(source: StepPlan['runCommand']['source']): RunCommandSource {
  if (!('scriptUri' in source)) return source;
  if (!source.scriptUriManagedIdentity) return { scriptUri: source.scriptUri };
  const { clientId, objectId } = source.scriptUriManagedIdentity;
  const identity: RunCommandManagedIdentity = clientId ? { clientId } : objectId ? { objectId } : {};
  return { scriptUri: source.scriptUri, scriptUriManagedIdentity: identity };
}

/**
 * Planned again under the old rollout id, the rebuilt runbook must give the
 * old plan's names and spec hashes: otherwise something was lost on the way
 * back and the retry would not run what the rollout ran.
 */
function assertReproduces(runbook: Runbook, plan: RunbookPlan): void {
  const again = planRunbook(runbook, { rolloutId: plan.rolloutId });
  const pairs: [StepPlan, StepPlan | undefined][] = [
    ...plan.steps.map((s, i): [StepPlan, StepPlan | undefined] => [s, again.steps[i]]),
    ...(plan.onFailure ?? []).map((s, i): [StepPlan, StepPlan | undefined] => [s, again.onFailure?.[i]]),
  ];
  for (const [old, rebuilt] of pairs) {
    if (!rebuilt || rebuilt.runCommandName !== old.runCommandName || rebuilt.specHash !== old.specHash) {
      throw new CliError(`rollout ${plan.rolloutId}: step ${old.name} could not be read back from its input unchanged; nothing was started`, 1);
    }
  }
}
