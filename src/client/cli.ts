import { Command, CommanderError, Option } from 'commander';
import { redact } from '../codec';
import { registerEmulator } from './commands/emulator';
import { registerList } from './commands/list';
import { registerPlan } from './commands/plan';
import { registerRetryFailed } from './commands/retry-failed';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { registerApprove, registerCancel, registerPause, registerResume } from './commands/steer';
import { registerRun } from './commands/run';
import { registerSchedule } from './commands/schedule';
import { registerValidate } from './commands/validate';
import { registerWorker } from './commands/worker';
import { CliError, cliContext, processIo, type CliContext, type CliIo } from './context';

/**
 * `fleetcmd`: validate and plan runbooks, run them on one machine or roll
 * them out across a fleet, and steer running rollouts. Every input is
 * validated before anything starts; problems are printed with their path.
 * Each verb lives in commands/<verb>.ts and registers itself here.
 */
const COMMANDS: ((program: Command, ctx: CliContext) => void)[] = [registerValidate, registerPlan, registerRun, registerStart, registerStatus, registerPause, registerResume, registerCancel, registerApprove, registerRetryFailed, registerList, registerWorker, registerEmulator, registerSchedule];

export function buildProgram(io: CliIo, exitCode: { value: number }): Command {
  const program = new Command('fleetcmd')
    .description('Run scripts across fleets of Azure VMs through Run Command, as durable Temporal workflows')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addOption(new Option('--address <host:port>', 'Temporal frontend (FLEETCMD_TEMPORAL_ADDRESS)'))
    .addOption(new Option('--namespace <name>', 'Temporal namespace (FLEETCMD_NAMESPACE)'))
    .addOption(new Option('--task-queue <name>', "the workers' task queue (FLEETCMD_TASK_QUEUE)"));
  const ctx = cliContext(program, io, exitCode);
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 a step or rollout failed, 2 bad input. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const exitCode = { value: 0 };
  try {
    await buildProgram(io, exitCode).parseAsync(argv);
    return exitCode.value;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError) {
      io.err(redact(`fleetcmd: ${err.message}\n`));
      return err.exitCode;
    }
    io.err(redact(`fleetcmd: ${err instanceof Error ? err.message : String(err)}\n`));
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv).then((code) => {
    process.exitCode = code;
  });
}
