import { obtainTemporalCli } from './temporal-cli';

/** `node dist/devstack/cli.js temporal-cli`: obtain (or build) the Temporal CLI and print its path. */
async function main(argv: string[]): Promise<void> {
  const [command] = argv;
  if (command === 'temporal-cli') {
    const log = (line: string): void => void process.stderr.write(`[temporal-cli] ${line}\n`);
    const executable = await obtainTemporalCli({ log });
    process.stdout.write(executable.type === 'existing-path' ? `${executable.path}\n` : 'sdk-download\n');
    return;
  }
  throw new Error(`usage: devstack temporal-cli`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
