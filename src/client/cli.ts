import { Command, Option } from 'commander';
import { loadRunbookFile } from '../spec/load';
import { formatProblems } from '../spec/problems';
import type { Runbook } from '../spec/runbook';
import { planRunbook } from '../spec/to-plan';
import { connectClient, temporalTarget, type TemporalTarget } from './connection';
import { newRolloutId } from './ids';
import { formatTargetResult } from './report';
import { parseTargetArg, runOnTarget } from './run';

/**
 * `fleetcmd`: validate and plan runbooks, run them on one machine or roll
 * them out across a fleet, and steer running rollouts. Every input is
 * validated before anything starts; problems are printed with their path.
 */
export function buildProgram(): Command {
  const program = new Command('fleetcmd')
    .description('Run scripts across fleets of Azure VMs through Run Command, as durable Temporal workflows')
    .showHelpAfterError()
    .addOption(new Option('--address <host:port>', 'Temporal frontend').env('FLEETCMD_TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <name>', 'Temporal namespace').env('FLEETCMD_NAMESPACE'))
    .addOption(new Option('--task-queue <name>', 'the workers\' task queue').env('FLEETCMD_TASK_QUEUE'));

  program
    .command('validate')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .description('check a runbook; print every problem with its path; start nothing')
    .action(async (file: string) => {
      const runbook = await loadOrExit(file);
      process.stdout.write(`${file}: valid runbook "${runbook.name}" with ${runbook.steps.length} step(s)\n`);
    });

  program
    .command('run')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .requiredOption('--vm <target>', '<resourceGroup>/<vm> or <resourceGroup>/<scaleSet>/<instanceId>')
    .option('--subscription <id>', 'subscription of the VM (default: the runbook\'s targets.subscriptionId or FLEETCMD_SUBSCRIPTION_ID)')
    .option('--id <rolloutId>', 'rollout id (default: generated); the same id never runs a step twice')
    .description('run the runbook on one machine and print each step\'s result (exit code 1 when a step failed)')
    .action(async (file: string, opts: { vm: string; subscription?: string; id?: string }) => {
      const runbook = await loadOrExit(file);
      const subscriptionId = opts.subscription ?? runbook.targets.subscriptionId ?? process.env.FLEETCMD_SUBSCRIPTION_ID;
      if (!subscriptionId) fail('--subscription: no subscription given (flag, targets.subscriptionId or FLEETCMD_SUBSCRIPTION_ID)');
      const target = parseTargetArg(opts.vm, subscriptionId);
      const plan = planRunbook(runbook, { rolloutId: opts.id ?? newRolloutId(runbook.name) });
      const temporal = temporalOf(program);
      const { client, close } = await connectClient(temporal);
      try {
        process.stderr.write(`running ${runbook.name} on ${opts.vm} (rollout ${plan.rolloutId})\n`);
        const result = await runOnTarget(client, { plan, target, taskQueue: temporal.taskQueue });
        process.stdout.write(`${formatTargetResult(result)}\n`);
        process.exitCode = result.state === 'Succeeded' ? 0 : 1;
      } finally {
        await close();
      }
    });

  program
    .command('worker')
    .description('run a fleetcmd worker (settings from FLEETCMD_* variables)')
    .action(async () => {
      const { main } = await import('../worker');
      await main();
    });

  return program;
}

function temporalOf(program: Command): TemporalTarget {
  const o = program.opts<{ address?: string; namespace?: string; taskQueue?: string }>();
  return temporalTarget({ address: o.address, namespace: o.namespace, taskQueue: o.taskQueue });
}

async function loadOrExit(file: string): Promise<Runbook> {
  const loaded = await loadRunbookFile(file);
  if (!loaded.ok) {
    process.stderr.write(`${formatProblems(loaded.problems, file)}\n`);
    process.stderr.write(`${loaded.problems.length} problem(s) in ${file}; nothing was started\n`);
    process.exit(2);
  }
  return loaded.runbook;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

export async function runCli(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

if (require.main === module) {
  runCli(process.argv).catch((err: unknown) => {
    process.stderr.write(`fleetcmd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
