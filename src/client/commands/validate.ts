import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .description('check a runbook; print every problem with its path; start nothing')
    .action(async (file: string) => {
      const runbook = await ctx.loadRunbook(file);
      ctx.io.out(`${file}: valid runbook "${runbook.name}" with ${runbook.steps.length} step(s)\n`);
    });
}
