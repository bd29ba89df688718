import type { Command } from 'commander';
import type { RolloutReport } from '../../runbook/rollout';
import { CliError, type CliContext } from '../context';
import { notAfterFlag, rolloutIdFlag } from '../flags';
import { newRolloutId } from '../ids';
import { launchRollout, printStarted } from '../launch';
import { ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP, guardPlaintextSecrets } from '../plaintext-secrets';
import { runbookFromInput, rolloutInputOf } from '../rollout-input';
import { lookupRollout } from '../rollout-lookup';

/**
 * `fleetcmd retry-failed`: a new rollout of the targets a finished rollout
 * did not get through (failed, canceled, never started), with the same
 * runbook — read back from the old rollout's input — under a new rollout id,
 * so every run command gets a new name and Azure runs the scripts again.
 */
export function registerRetryFailed(program: Command, ctx: CliContext): void {
  program
    .command('retry-failed')
    .argument('<rolloutId>', 'a finished rollout')
    .option('--id <rolloutId>', 'id of the new rollout (default: generated)')
    .option('--not-after <time>', 'end of the new maintenance window (ISO 8601 with zone)')
    .option(ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP)
    .description('start a new rollout, same runbook, of the failed, canceled and not-started targets of a finished rollout')
    .action(async (fromRolloutId: string, opts: { id?: string; notAfter?: string; allowPlaintextSecrets?: boolean }) => {
      const newId = rolloutIdFlag(opts.id);
      const notAfter = notAfterFlag(opts.notAfter);
      if (newId === fromRolloutId) throw new CliError(`--id ${newId}: that is the rollout being retried; a retry needs an id of its own`);
      const { taskQueue } = ctx.temporal();
      await ctx.withClient(async (client) => {
        const found = await lookupRollout(client, fromRolloutId);
        if (found.kind === 'running') {
          throw new CliError(
            `rollout ${fromRolloutId} is still running${found.status ? ` (${found.status})` : ''}; retry it once it ended: wait with \`fleetcmd status ${fromRolloutId} --watch\`, or cancel it`,
          );
        }
        if (found.kind === 'ended') throw new CliError(`${found.message}; without a report there is no list of failed targets to retry`);
        const { report } = found;
        const indices = retryIndices(report);
        if (indices.length === 0) {
          ctx.io.out(`rollout ${fromRolloutId}: all ${report.total} targets succeeded; nothing to retry\n`);
          return;
        }
        const input = await rolloutInputOf(client, fromRolloutId);
        const runbook = runbookFromInput(input);
        guardPlaintextSecrets(ctx.io, runbook, opts.allowPlaintextSecrets);
        const handle = await launchRollout(client, {
          runbook,
          taskQueue,
          rolloutId: newId ?? newRolloutId(runbook.name),
          selector: { kind: 'retry', fromRolloutId, indices },
          ...(input.plan.poll ? { poll: input.plan.poll } : {}),
          ...(input.maxChildrenPerRun ? { maxChildrenPerRun: input.maxChildrenPerRun } : {}),
          ...(notAfter ? { notAfter } : {}),
        });
        const c = report.counts;
        printStarted(ctx, handle, `retry of ${fromRolloutId}: ${indices.length} target(s) — ${c.Failed} failed, ${c.Canceled} canceled, ${c.NotStarted} not started`);
      });
    });
}

/** Indices into the old rollout's target list, in its order. */
function retryIndices(report: RolloutReport): number[] {
  return [...new Set([...report.failedIndices, ...report.canceledIndices, ...report.notStartedIndices])].sort((a, b) => a - b);
}
