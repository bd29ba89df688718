import type { RunbookPlan, StepPlan, StepResult, TargetRef, TargetResult } from '../spec/execution';
import { defaultPollPolicy, targetKey } from '../spec/execution';
import { runStep, type StepContext } from './step';

/**
 * One target's runbook: a DAG of steps ordered by dependsOn. A step starts
 * when all its dependencies succeeded; independent steps run in parallel; the
 * dependents of a step that did not succeed are skipped with the reason. If
 * the runbook failed and it has onFailure steps, they run next (a rollback).
 */
export interface TargetInput {
  plan: RunbookPlan;
  target: TargetRef;
}

export async function target(input: TargetInput): Promise<TargetResult> {
  const { plan } = input;
  const ctx: StepContext = {
    rolloutId: plan.rolloutId,
    target: input.target,
    location: plan.location,
    outputContainer: plan.outputContainer,
    cleanup: plan.cleanup,
    poll: plan.poll ?? defaultPollPolicy,
  };
  const key = targetKey(input.target);
  // A cancelled target throws out of here and ends as Canceled, its run commands already deleted.
  const steps = await runDag(ctx, plan.steps);
  if (steps.every((s) => s.state === 'Succeeded')) return { target: input.target, key, state: 'Succeeded', steps };
  const onFailure = plan.onFailure?.length ? await runDag(ctx, plan.onFailure) : undefined;
  return { target: input.target, key, state: 'Failed', steps, ...(onFailure ? { onFailure } : {}) };
}

/** Walks the DAG: every step whose dependencies all succeeded starts at once. */
export async function runDag(ctx: StepContext, steps: StepPlan[]): Promise<StepResult[]> {
  const results = new Map<string, StepResult>();
  const running = new Map<string, Promise<void>>();

  const settle = (): void => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const step of steps) {
        if (results.has(step.name) || running.has(step.name)) continue;
        const blocker = step.dependsOn.find((d) => results.has(d) && results.get(d)?.state !== 'Succeeded');
        if (blocker) {
          results.set(step.name, {
            step: step.name,
            runCommandName: step.runCommandName,
            state: 'Skipped',
            reason: `dependency ${blocker} ${results.get(blocker)?.state === 'Skipped' ? 'was skipped' : 'did not succeed'}`,
          });
          changed = true;
        } else if (step.dependsOn.every((d) => results.get(d)?.state === 'Succeeded')) {
          running.set(
            step.name,
            runStep(ctx, step).then((r) => {
              results.set(step.name, r);
              running.delete(step.name);
            }),
          );
        }
      }
    }
  };

  settle();
  while (running.size > 0) {
    try {
      await Promise.race(running.values());
    } catch (err) {
      // Cancellation reaches every running step at once; each deletes its run command before the error leaves.
      await Promise.allSettled(running.values());
      throw err;
    }
    settle();
  }
  // Validation rejects cycles and unknown dependencies; keep the plan's order in the result.
  return steps.map((s) => results.get(s.name) ?? { step: s.name, runCommandName: s.runCommandName, state: 'Skipped', reason: 'unreachable' });
}
