import type { Runbook, Step } from './runbook';
import type { PollPolicy, RunbookPlan, RunCommandSpec, StepPlan } from './execution';
import { runCommandName, specHash } from './plan';

/**
 * A validated runbook, planned for one rollout: every run-command name and
 * spec hash derived up front, so workflows only carry them (and `fleetcmd
 * plan` shows exactly what a start would create).
 */
export function planRunbook(runbook: Runbook, options: { rolloutId: string; poll?: PollPolicy; agentGraceSeconds?: number }): RunbookPlan {
  const { rolloutId } = options;
  return {
    rolloutId,
    runbookName: runbook.name,
    location: runbook.location,
    steps: runbook.steps.map((s) => planStep(s, rolloutId, s.name)),
    // Rollback steps get names of their own, so they never collide with a main step's run command.
    ...(runbook.onFailure.length ? { onFailure: runbook.onFailure.map((s) => planStep(s, rolloutId, `${ON_FAILURE_PREFIX}${s.name}`)) } : {}),
    ...(runbook.output?.container ? { outputContainer: runbook.output.container } : {}),
    cleanup: runbook.cleanup,
    ...(options.poll ? { poll: options.poll } : {}),
    ...(options.agentGraceSeconds !== undefined ? { agentGraceSeconds: options.agentGraceSeconds } : {}),
  };
}

/**
 * The same plan under another rollout id: new run-command names, same specs.
 * A scheduled rollout uses it, since each firing gets its own workflow id.
 * Pure (workflow code calls it).
 */
export function replan(plan: RunbookPlan, rolloutId: string): RunbookPlan {
  const rename = (steps: StepPlan[], prefix: string): StepPlan[] =>
    steps.map((s) => ({ ...s, runCommandName: runCommandName({ rolloutId, stepName: `${prefix}${s.name}` }) }));
  return {
    ...plan,
    rolloutId,
    steps: rename(plan.steps, ''),
    ...(plan.onFailure ? { onFailure: rename(plan.onFailure, ON_FAILURE_PREFIX) } : {}),
  };
}

const ON_FAILURE_PREFIX = 'onFailure-';

function planStep(step: Step, rolloutId: string, nameForAzure: string): StepPlan {
  return {
    name: step.name,
    dependsOn: step.dependsOn,
    runCommandName: runCommandName({ rolloutId, stepName: nameForAzure }),
    specHash: specHash(step),
    runCommand: toRunCommandSpec(step),
  };
}

export function toRunCommandSpec(step: Step): RunCommandSpec {
  return {
    source: step.source,
    ...(step.parameters.length ? { parameters: step.parameters } : {}),
    ...(step.protectedParameters.length ? { protectedParameters: step.protectedParameters } : {}),
    ...(step.timeoutInSeconds !== undefined ? { timeoutInSeconds: step.timeoutInSeconds } : {}),
    ...(step.runAsUser ? { runAsUser: step.runAsUser } : {}),
    ...(step.runAsPassword ? { runAsPassword: step.runAsPassword } : {}),
    asyncExecution: step.asyncExecution,
    treatFailureAsDeploymentFailure: step.treatFailureAsDeploymentFailure,
  };
}
