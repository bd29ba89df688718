import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { RunbookPlan, TargetRef, TargetResult } from '../runbook/execution';
import { targetWorkflowId } from '../runbook/execution';
import type { target as targetWorkflow } from '../workflows/target';

/** `<resourceGroup>/<vm>` or `<resourceGroup>/<scaleSet>/<instanceId>`, in a subscription. */
export function parseTargetArg(value: string, subscriptionId: string): TargetRef {
  const parts = value.split('/');
  if (parts.length === 2 && parts.every(Boolean)) {
    return { kind: 'vm', subscriptionId, resourceGroup: parts[0], vmName: parts[1] };
  }
  if (parts.length === 3 && parts.every(Boolean)) {
    return { kind: 'vmssVm', subscriptionId, resourceGroup: parts[0], scaleSetName: parts[1], instanceId: parts[2] };
  }
  throw new Error(`--vm ${JSON.stringify(value)}: expected <resourceGroup>/<vm> or <resourceGroup>/<scaleSet>/<instanceId>`);
}

/**
 * Runs one target's runbook to the end and returns its result. Its workflow
 * id derives from the rollout id and the target, and Temporal refuses it
 * while it remembers an earlier run (the rollout id claim covers the rest).
 */
export async function runOnTarget(
  client: Client,
  options: { plan: RunbookPlan; target: TargetRef; taskQueue: string },
): Promise<TargetResult> {
  return client.workflow.execute<typeof targetWorkflow>('target', {
    taskQueue: options.taskQueue,
    workflowId: targetWorkflowId(options.plan.rolloutId, options.target),
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [{ plan: options.plan, target: options.target }],
  });
}
