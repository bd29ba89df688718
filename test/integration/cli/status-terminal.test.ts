import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { testStack } from '../../harness/stack';
import { ANSI_ESCAPE, machines, oneStepRunbook, startFast, useFleet, vmNames } from './helpers';

const RG = 'tty-rg';
const names = vmNames('tty', 6);
const ROOT = join(__dirname, '..', '..', '..');
const fleet = useFleet(machines(RG, names));

/**
 * Runs the CLI as its own process on a pseudo-terminal. `script` (util-linux)
 * is present wherever the tests run, unlike tmux; `stty` gives the terminal
 * a size, since a pty made without one reports 0 columns.
 */
async function inTerminal(args: string[]): Promise<{ code: number | null; screen: string }> {
  const { address, namespace } = testStack().temporal;
  const cli = ['node', '-r', 'ts-node/register/transpile-only', 'src/client/cli.ts', '--address', address, '--namespace', namespace, ...args];
  const command = `stty cols 110 rows 30; exec ${cli.map((a) => `'${a}'`).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...fleet().workerEnv, TERM: 'xterm-256color' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, screen: Buffer.concat(chunks).toString('utf8') };
}

test('status --watch on a terminal draws a live progress bar and wave table, then prints the report', async () => {
  const runbook = oneStepRunbook('on-a-terminal', RG, 'sleep 3; echo done', '{ waves: [2, "100%"], maxConcurrency: 2 }');
  const rolloutId = await startFast(fleet(), runbook, `cli-tty-${randomUUID().slice(0, 8)}`);

  const { code, screen } = await inTerminal(['status', rolloutId, '--watch']);
  expect(code).toBe(0);
  expect(screen).toMatch(ANSI_ESCAPE); // redrawn in place
  expect(screen).toContain('\u2588'); // the bar's filled part
  expect(screen).toContain(`rollout ${rolloutId} · runbook on-a-terminal · Running · wave `);
  expect(screen).toContain(' wave     size  started     done  progress              state');
  // Live: the fleet bar was drawn at more than one point of the rollout.
  const shown = new Set([...screen.matchAll(/ (\d)\/6 done/g)].map((m) => m[1]));
  expect(shown.size).toBeGreaterThanOrEqual(2);
  expect(shown).toContain('6');
  expect(screen).toContain('6 targets: 6 succeeded, 0 failed, 0 canceled, 0 not started');
}, 90_000);
