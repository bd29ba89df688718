import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { parseRunbook } from '../../src/runbook/load';
import type { Runbook } from '../../src/runbook/runbook';
import { planRunbook } from '../../src/runbook/to-plan';
import type { PollPolicy, RunbookPlan, TargetRef, TargetResult } from '../../src/runbook/execution';
import { targetWorkflowId } from '../../src/runbook/execution';
import type { target } from '../../src/workflows/target';

/** Polls fast: the emulator runs 100x faster than Azure in tests. */
export const TEST_POLL: PollPolicy = { initialIntervalMs: 150, maximumIntervalMs: 1_000 };

export function runbookFromYaml(yaml: string): Runbook {
  const parsed = parseRunbook(yaml, { format: 'yaml' });
  if (!parsed.ok) throw new Error(`test runbook is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.runbook;
}

export function planFor(runbook: Runbook, rolloutId = `test-${randomUUID().slice(0, 8)}`): RunbookPlan {
  return planRunbook(runbook, { rolloutId, poll: TEST_POLL });
}

export async function startTarget(client: Client, taskQueue: string, plan: RunbookPlan, targetRef: TargetRef) {
  return client.workflow.start<typeof target>('target', {
    taskQueue,
    workflowId: targetWorkflowId(plan.rolloutId, targetRef),
    args: [{ plan, target: targetRef }],
  });
}

export async function runTarget(client: Client, taskQueue: string, plan: RunbookPlan, targetRef: TargetRef): Promise<TargetResult> {
  return (await startTarget(client, taskQueue, plan, targetRef)).result();
}

export function stepNamed(result: TargetResult, name: string) {
  const step = result.steps.find((s) => s.step === name);
  if (!step) throw new Error(`no step ${name} in result`);
  return step;
}
