import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerEmulator(program: Command, ctx: CliContext): void {
  program
    .command('emulator')
    .description('start the local Azure emulator (scripts sent to its VMs RUN FOR REAL on this machine); --help for its options')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      // The emulator parses its own flags; it is loaded only here, never by the worker or activities.
      const { runEmulatorCli } = await import('../../emulator/main');
      const handle = await runEmulatorCli(args, { stdout: process.stdout, stderr: process.stderr });
      if (!handle) return;
      ctx.io.err('');
      await new Promise<void>((resolve) => {
        const stop = (): void => void handle.stop().then(resolve, resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
