import { ApplicationFailure } from '@temporalio/activity';
import { ROLLOUT_ID_USED } from '../runbook/execution';
import type { OutputStore } from './outputs';

/**
 * A rollout id runs once, for ever. Run-command names derive from the id,
 * and once a first run has deleted its run commands a second PUT of the same
 * name runs the script again; Temporal's own refusal of a duplicate workflow
 * id lasts only as long as its retention keeps the first workflow. So the id
 * is claimed in the output storage, beside `<rolloutId>/targets.json`: a
 * small blob created only if absent, naming the workflow that claimed it.
 */
export interface ClaimRolloutIdInput {
  rolloutId: string;
  outputContainer?: string;
  /** The claiming workflow: its id and its first run's id (the same across continue-as-new). */
  workflowId: string;
  runId: string;
}

export interface RolloutIdClaim {
  rolloutId: string;
  workflowId: string;
  runId: string;
  /** ISO time of the claim. */
  claimedAt: string;
}

export function claimBlob(rolloutId: string): string {
  return `${rolloutId}/claim.json`;
}

export function rolloutClaimActivities(deps: { outputs: OutputStore }) {
  const { outputs } = deps;
  return {
    /**
     * Claims the rollout id for the calling workflow. A retry by the same
     * execution finds its own claim and succeeds; any other execution gets a
     * non-retryable failure saying who used the id, and when.
     */
    async claimRolloutId(input: ClaimRolloutIdInput): Promise<RolloutIdClaim> {
      const mine: RolloutIdClaim = { rolloutId: input.rolloutId, workflowId: input.workflowId, runId: input.runId, claimedAt: new Date().toISOString() };
      const blob = claimBlob(input.rolloutId);
      if (await outputs.createJsonIfAbsent(input.outputContainer, blob, mine)) return mine;
      const held = await outputs.readJson<RolloutIdClaim>(input.outputContainer, blob);
      if (held.workflowId === input.workflowId && held.runId === input.runId) return held;
      throw ApplicationFailure.create({
        type: ROLLOUT_ID_USED,
        message: `rollout id ${input.rolloutId} was already used on ${held.claimedAt} by workflow ${held.workflowId} (run ${held.runId}); a rollout id runs once — choose a new id`,
        nonRetryable: true,
      });
    },
  };
}
