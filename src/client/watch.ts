import type { Client } from '@temporalio/client';
import type { RolloutProgress } from '../runbook/rollout';
import { lookupRollout, progressNow, type RolloutLookup } from './rollout-lookup';

export type RolloutEnd = Exclude<RolloutLookup, { kind: 'running' }>;

/**
 * Follows a rollout until it ends: each tick asks Temporal whether the
 * execution is still open (no worker needed), and if so asks the workflow
 * for its progress. Returns the report, or how it ended without one.
 */
export async function watchRollout(
  client: Client,
  rolloutId: string,
  options: { intervalMs: number; onProgress(progress: RolloutProgress): void },
): Promise<RolloutEnd> {
  for (;;) {
    const found = await lookupRollout(client, rolloutId);
    if (found.kind !== 'running') return found;
    options.onProgress(await progressNow(found));
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
