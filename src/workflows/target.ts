import { CancellationScope, getExternalWorkflowHandle, isCancellation, log } from '@temporalio/workflow';
import type { RunbookPlan, StepPlan, StepResult, TargetRef, TargetResult } from '../runbook/execution';
import type { TargetDone } from '../runbook/rollout';
import { defaultPollPolicy, targetKey } from '../runbook/execution';
import { DEFAULT_AGENT_GRACE_SECONDS, runStep, type StepContext } from './step';
import { targetDoneSignal } from './signals';

/**
 * One target's runbook: a DAG of steps ordered by dependsOn. A step starts
 * when all its dependencies succeeded; independent steps run in parallel; the
 * dependents of a step that did not succeed are skipped with the reason. If
 * the runbook failed and it has onFailure steps, they run next (a rollback).
 */
export interface TargetInput {
  plan: RunbookPlan;
  target: TargetRef;
  /** Set when a rollout started this target: where to report the outcome, and the target's index there. */
  report?: { rolloutWorkflowId: string; index: number };
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
    agentGraceSeconds: plan.agentGraceSeconds ?? DEFAULT_AGENT_GRACE_SECONDS,
  };
  const key = targetKey(input.target);
  // The rollout counts on this report whatever happens: it is sent even when a cancel has arrived.
  try {
    const result = await runRunbook(ctx, plan, input.target, key);
    await CancellationScope.nonCancellable(() => report(input, { index: input.report?.index ?? 0, key, state: result.state, ...summarize(result) }));
    return result;
  } catch (err) {
    // A cancelled target has already deleted its run commands; it tells its rollout, then ends as Canceled.
    const state = isCancellation(err) ? 'Canceled' : 'Failed';
    await CancellationScope.nonCancellable(() =>
      report(input, { index: input.report?.index ?? 0, key, state, reason: err instanceof Error ? err.message : String(err) }),
    );
    throw err;
  }
}

async function runRunbook(ctx: StepContext, plan: RunbookPlan, target: TargetRef, key: string): Promise<TargetResult> {
  const steps = await runDag(ctx, plan.steps);
  if (steps.every((s) => s.state === 'Succeeded')) return { target, key, state: 'Succeeded', steps };
  const onFailure = plan.onFailure?.length ? await runDag(ctx, plan.onFailure) : undefined;
  return { target, key, state: 'Failed', steps, ...(onFailure ? { onFailure } : {}) };
}

async function report(input: TargetInput, done: TargetDone): Promise<void> {
  if (!input.report) return;
  try {
    await getExternalWorkflowHandle(input.report.rolloutWorkflowId).signal(targetDoneSignal, done);
  } catch (err) {
    // The rollout has already ended (it was terminated): nobody is left to tell.
    log.warn('could not report to the rollout', { rollout: input.report.rolloutWorkflowId, error: String(err) });
  }
}

/** The step that decided the outcome: the first that did not succeed, else the last. */
export function summarize(result: TargetResult): Pick<TargetDone, 'signature' | 'reason'> {
  const decisive = result.steps.find((s) => s.state !== 'Succeeded') ?? result.steps[result.steps.length - 1];
  if (!decisive) return {};
  const snippet = decisive.failure
    ? `${decisive.failure.code}: ${decisive.failure.message}`
    : decisive.state === 'Succeeded'
      ? lastLine(decisive.outputTail)
      : (lastLine(decisive.errorTail) ?? decisive.executionMessage ?? lastLine(decisive.outputTail) ?? decisive.reason);
  return {
    signature: {
      step: decisive.step,
      state: decisive.state,
      ...(decisive.exitCode !== undefined ? { exitCode: decisive.exitCode } : {}),
      ...(decisive.output ? { sha256: decisive.output.sha256 } : {}),
      ...(snippet ? { snippet: snippet.slice(0, 200) } : {}),
    },
    ...(result.state !== 'Succeeded' ? { reason: `${decisive.step}: ${snippet ?? decisive.state}`.slice(0, 300) } : {}),
  };
}

function lastLine(text: string | undefined): string | undefined {
  const line = text?.trimEnd().split('\n').pop()?.trim();
  return line ? line : undefined;
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
