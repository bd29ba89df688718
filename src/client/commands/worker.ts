import type { Command } from 'commander';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run a fleetcmd worker (settings from FLEETCMD_* variables)')
    .action(async () => {
      const { main } = await import('../../worker');
      await main();
    });
}
