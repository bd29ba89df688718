import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { FleetcmdRunbook, FleetcmdStatus } from '../workflows/search-attributes';
import { CliError, type CliContext } from './context';
import { startRollout, type RolloutHandle, type StartRolloutOptions } from './rollouts';
import { temporalUiUrl } from './temporal-ui';

/**
 * Starting a rollout from the CLI (`start`, `retry-failed`): the library's
 * idempotent start, with a refused duplicate id explained (exit 2), and the
 * lines a person needs next.
 */
export async function launchRollout(client: Client, options: StartRolloutOptions): Promise<RolloutHandle> {
  try {
    return await startRollout(client, options);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const existing = await describeExisting(client, err.workflowId);
    throw new CliError(
      `--id ${err.workflowId}: ${existing}; a rollout id names one rollout for ever (its run-command names derive from it), so nothing was started: choose another id, or leave --id out for a fresh one`,
    );
  }
}

async function describeExisting(client: Client, workflowId: string): Promise<string> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.type !== 'rollout') return `a ${d.type} workflow already has this id`;
    const status = d.typedSearchAttributes.get(FleetcmdStatus);
    const runbook = d.typedSearchAttributes.get(FleetcmdRunbook);
    // FleetcmdStatus says what the rollout was doing; Temporal's status says whether the execution is open.
    const shown = d.status.name === 'RUNNING' || d.status.name === 'COMPLETED' ? (status ?? d.status.name) : `${d.status.name.toLowerCase()}${status ? ` while ${status}` : ''}`;
    return `rollout ${workflowId} already exists (status ${shown}${runbook ? `, runbook ${runbook}` : ''}, started ${d.startTime.toISOString()})`;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'a workflow with this id exists';
    throw err;
  }
}

export function printStarted(ctx: CliContext, handle: RolloutHandle, what: string): void {
  const id = handle.workflowId;
  ctx.io.out(`rollout ${id} started (${what})\n`);
  ctx.io.out(`  temporal ui  ${temporalUiUrl(ctx.temporal(), ctx.io.env, id)}\n`);
  ctx.io.out(`  follow it    fleetcmd status ${id} --watch\n`);
}
