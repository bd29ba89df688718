import { QueryNotRegisteredError, WorkflowFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { RolloutProgress, RolloutReport } from '../runbook/rollout';
import { FleetcmdRunbook, FleetcmdStatus } from '../workflows/search-attributes';
import { CliError } from './context';
import { progressOf, rolloutHandle, reportOf, type RolloutHandle } from './rollouts';

/**
 * Where a rollout stands, read without a worker: Temporal's own record of the
 * execution (describe), and for a finished one its report (the workflow's
 * result, read from history). Queries need a worker to answer; these do not.
 */
export type RolloutLookup =
  | RunningRollout
  | { kind: 'finished'; handle: RolloutHandle; report: RolloutReport }
  /** Ended without a report: terminated, failed, timed out or cancelled through Temporal. */
  | { kind: 'ended'; handle: RolloutHandle; temporalStatus: string; message: string };

export interface RunningRollout {
  kind: 'running';
  handle: RolloutHandle;
  startTime: Date;
  runbookName?: string;
  /** FleetcmdStatus, as the rollout last set it. */
  status?: string;
}

export async function lookupRollout(client: Client, rolloutId: string): Promise<RolloutLookup> {
  const handle = rolloutHandle(client, rolloutId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`no rollout "${rolloutId}" in namespace ${client.options.namespace}`);
    throw err;
  }
  if (description.type !== 'rollout') throw new CliError(`"${rolloutId}" is a ${description.type} workflow, not a rollout`);
  if (description.status.name === 'RUNNING') {
    const runbookName = description.typedSearchAttributes.get(FleetcmdRunbook);
    const status = description.typedSearchAttributes.get(FleetcmdStatus);
    return { kind: 'running', handle, startTime: description.startTime, ...(runbookName ? { runbookName } : {}), ...(status ? { status } : {}) };
  }
  try {
    return { kind: 'finished', handle, report: await reportOf(handle) };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause?.message ? `: ${err.cause.message}` : '';
    return { kind: 'ended', handle, temporalStatus: description.status.name, message: `rollout ${rolloutId} ended without a report (${description.status.name}${cause})` };
  }
}

/**
 * A running rollout's progress. A rollout answers from its first workflow
 * task (its handlers are set on its first line); one that has no handler
 * (started by an older fleetcmd, before its targets were resolved) is then,
 * by definition, Resolving.
 */
export async function progressNow(rollout: RunningRollout): Promise<RolloutProgress> {
  try {
    return await progressOf(rollout.handle);
  } catch (err) {
    if (!(err instanceof QueryNotRegisteredError)) throw err;
    return {
      rolloutId: rollout.handle.workflowId,
      runbookName: rollout.runbookName ?? '',
      status: 'Resolving',
      total: 0,
      counts: { Succeeded: 0, Failed: 0, Canceled: 0, NotStarted: 0, Running: 0, Pending: 0 },
      wave: 0,
      waves: [],
      maxConcurrency: 0,
      maxErrors: 0,
      failures: [],
      approvals: [],
      startedAt: rollout.startTime.toISOString(),
      elapsedMs: Date.now() - rollout.startTime.getTime(),
    };
  }
}
