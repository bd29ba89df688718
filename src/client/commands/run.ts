import type { Command } from 'commander';
import { planRunbook } from '../../runbook/to-plan';
import { CliError, type CliContext } from '../context';
import { newRolloutId } from '../ids';
import { formatTargetResult } from '../report';
import { parseTargetArg, runOnTarget } from '../run';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .requiredOption('--vm <target>', '<resourceGroup>/<vm> or <resourceGroup>/<scaleSet>/<instanceId>')
    .option('--subscription <id>', "subscription of the VM (default: the runbook's targets.subscriptionId or FLEETCMD_SUBSCRIPTION_ID)")
    .option('--id <rolloutId>', 'rollout id (default: generated); the same id never runs a step twice')
    .description("run the runbook on one machine and print each step's result (exit code 1 when a step failed)")
    .action(async (file: string, opts: { vm: string; subscription?: string; id?: string }) => {
      const runbook = await ctx.loadRunbook(file);
      const subscriptionId = opts.subscription ?? runbook.targets.subscriptionId ?? ctx.io.env.FLEETCMD_SUBSCRIPTION_ID;
      if (!subscriptionId) throw new CliError('--subscription: no subscription given (flag, targets.subscriptionId or FLEETCMD_SUBSCRIPTION_ID)');
      let target;
      try {
        target = parseTargetArg(opts.vm, subscriptionId);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const plan = planRunbook(runbook, { rolloutId: opts.id ?? newRolloutId(runbook.name) });
      const { taskQueue } = ctx.temporal();
      await ctx.withClient(async (client) => {
        ctx.io.err(`running ${runbook.name} on ${opts.vm} (rollout ${plan.rolloutId})\n`);
        const result = await runOnTarget(client, { plan, target, taskQueue });
        ctx.io.out(`${formatTargetResult(result)}\n`);
        ctx.setExitCode(result.state === 'Succeeded' ? 0 : 1);
      });
    });
}
