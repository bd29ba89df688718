import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ROLLOUT_ID_USED } from '../runbook/execution';

const { claimRolloutId: claim } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

/**
 * Claims the rollout id for this workflow before it does anything else: the
 * rollout on its first run, or a target run on its own (`fleetcmd run`).
 * The claimant is the workflow id and its first run's id, which
 * continue-as-new keeps, so a retried claim is this workflow's own. A claim
 * another workflow holds ends this one, with the activity's sentence as its
 * failure (what `fleetcmd status` and `fleetcmd run` print).
 */
export async function claimRolloutId(rolloutId: string, outputContainer: string | undefined): Promise<void> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  try {
    await claim({ rolloutId, workflowId, runId: firstExecutionRunId, ...(outputContainer ? { outputContainer } : {}) });
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === ROLLOUT_ID_USED) {
      throw ApplicationFailure.create({ type: ROLLOUT_ID_USED, message: err.cause.message, nonRetryable: true });
    }
    throw err;
  }
}
