import type { Command } from 'commander';
import type { CliContext } from '../context';
import { notAfterFlag, rolloutIdFlag } from '../flags';
import { launchRollout, printStarted } from '../launch';
import { ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP, guardPlaintextSecrets } from '../plaintext-secrets';

export function registerStart(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .option('--id <rolloutId>', 'rollout id (default: generated); an id is used once: starting it again is refused')
    .option('--not-after <time>', 'end of the maintenance window (ISO 8601 with zone): no target starts after it')
    .option('--subscription <id>', "subscription of the targets when the runbook names none (default: FLEETCMD_SUBSCRIPTION_ID or the worker's)")
    .option(ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP)
    .description('start a rollout of the runbook across its targets; print its id and its Temporal UI page')
    .action(async (file: string, opts: { id?: string; notAfter?: string; subscription?: string; allowPlaintextSecrets?: boolean }) => {
      const rolloutId = rolloutIdFlag(opts.id);
      const notAfter = notAfterFlag(opts.notAfter);
      const runbook = await ctx.loadRunbook(file);
      guardPlaintextSecrets(ctx.io, runbook, opts.allowPlaintextSecrets);
      const defaultSubscriptionId = opts.subscription ?? ctx.io.env.FLEETCMD_SUBSCRIPTION_ID;
      const { taskQueue } = ctx.temporal();
      await ctx.withClient(async (client) => {
        const handle = await launchRollout(client, {
          runbook,
          taskQueue,
          ...(rolloutId ? { rolloutId } : {}),
          ...(notAfter ? { notAfter } : {}),
          ...(defaultSubscriptionId ? { defaultSubscriptionId } : {}),
        });
        printStarted(ctx, handle, `runbook ${runbook.name}, ${runbook.steps.length} step(s)`);
      });
    });
}
