import { getClient, heartbeat } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import type { ClosedTargetWorkflow, TargetWorkflowEnd } from '../runbook/rollout';

/**
 * What Temporal knows of target workflows a rollout is still waiting for.
 *
 * A rollout hears of each target's end by signal; a target it started
 * before continuing as new is no longer its child, so when such a target
 * ends without signalling (terminated by an operator, timed out) nothing
 * else would tell it. The rollout asks this activity about those targets
 * now and then, through the worker's own Temporal client.
 */
export interface DescribeTargetWorkflowsInput {
  workflowIds: string[];
}

/** Describes at once: a rollout holds at most MAX_CONCURRENCY targets in flight, so the whole list stays short. */
const DESCRIBES_AT_ONCE = 20;

const END_OF: Partial<Record<WorkflowExecutionStatusName, TargetWorkflowEnd>> = {
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  TIMED_OUT: 'TimedOut',
};

export function targetWorkflowActivities() {
  return {
    /** The given workflows that have closed, with how each ended; running ones are left out. */
    async describeTargetWorkflows(input: DescribeTargetWorkflowsInput): Promise<ClosedTargetWorkflow[]> {
      const client = getClient();
      const closed: ClosedTargetWorkflow[] = [];
      for (let i = 0; i < input.workflowIds.length; i += DESCRIBES_AT_ONCE) {
        const chunk = input.workflowIds.slice(i, i + DESCRIBES_AT_ONCE);
        const ends = await Promise.all(
          chunk.map(async (workflowId): Promise<TargetWorkflowEnd | undefined> => {
            try {
              return END_OF[(await client.workflow.getHandle(workflowId).describe()).status.name];
            } catch (err) {
              if (err instanceof WorkflowNotFoundError) return 'NotFound';
              throw err;
            }
          }),
        );
        chunk.forEach((workflowId, j) => {
          const end = ends[j];
          if (end) closed.push({ workflowId, end });
        });
        heartbeat();
      }
      return closed;
    },
  };
}
