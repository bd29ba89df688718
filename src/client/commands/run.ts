import type { Command } from 'commander';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { TargetRef, TargetResult } from '../../runbook/execution';
import { planRunbook } from '../../runbook/to-plan';
import { CliError, type CliContext } from '../context';
import { newRolloutId } from '../ids';
import { ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP, guardPlaintextSecrets } from '../plaintext-secrets';
import { formatTargetResult } from '../report';
import { parseTargetArg, runOnTarget } from '../run';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .requiredOption('--vm <target>', '<resourceGroup>/<vm> or <resourceGroup>/<scaleSet>/<instanceId>')
    .option('--subscription <id>', "subscription of the VM (default: the runbook's targets.subscriptionId or FLEETCMD_SUBSCRIPTION_ID)")
    .option('--id <rolloutId>', 'rollout id (default: generated); an id is used once: running it again is refused')
    .option(ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP)
    .description("run the runbook on one machine and print each step's result (exit code 1 when a step failed)")
    .action(async (file: string, opts: { vm: string; subscription?: string; id?: string; allowPlaintextSecrets?: boolean }) => {
      const runbook = await ctx.loadRunbook(file);
      const subscriptionId = opts.subscription ?? runbook.targets.subscriptionId ?? ctx.io.env.FLEETCMD_SUBSCRIPTION_ID;
      if (!subscriptionId) throw new CliError('--subscription: no subscription given (flag, targets.subscriptionId or FLEETCMD_SUBSCRIPTION_ID)');
      let target: TargetRef;
      try {
        target = parseTargetArg(opts.vm, subscriptionId);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      guardPlaintextSecrets(ctx.io, runbook, opts.allowPlaintextSecrets);
      const plan = planRunbook(runbook, { rolloutId: opts.id ?? newRolloutId(runbook.name) });
      const { taskQueue } = ctx.temporal();
      await ctx.withClient(async (client) => {
        ctx.io.err(`running ${runbook.name} on ${opts.vm} (rollout ${plan.rolloutId})\n`);
        let result: TargetResult;
        try {
          result = await runOnTarget(client, { plan, target, taskQueue });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) throw await idUsed(client, err.workflowId, { rolloutId: plan.rolloutId, flag: opts.id !== undefined, vm: opts.vm });
          // The target ended without a result (its rollout id was used before, ARM stayed unreachable): say why.
          if (err instanceof WorkflowFailedError) throw new CliError(`${opts.vm}: ${err.cause?.message ?? err.message}`, 1);
          throw err;
        }
        ctx.io.out(`${formatTargetResult(result)}\n`);
        ctx.setExitCode(result.state === 'Succeeded' ? 0 : 1);
      });
    });
}

/** Temporal still knows a run of this rollout id on this machine: refused before anything starts (exit 2). */
async function idUsed(client: Client, workflowId: string, p: { rolloutId: string; flag: boolean; vm: string }): Promise<CliError> {
  let existing = '';
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    existing = ` (${d.status.name}, started ${d.startTime.toISOString()})`;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return new CliError(
    `${p.flag ? '--id' : 'rollout'} ${p.rolloutId}: rollout id ${p.rolloutId} was already used on ${p.vm} by workflow ${workflowId}${existing}; a rollout id runs once — choose a new id, or leave --id out for a fresh one; nothing was started`,
  );
}
