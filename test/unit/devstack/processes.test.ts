import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

// A parent process starts a long-running service through startService and prints its pid;
// the test then ends the parent the way a user or a crash would and checks the service is gone.
const root = join(__dirname, '..', '..', '..');
const parentScript = `
const { startService } = require(${JSON.stringify(join(root, 'src', 'devstack', 'processes.ts'))});
const s = startService({ name: 'sleeper', command: 'sleep', args: ['300'], logFile: ${JSON.stringify(join(mkdtempSync(join(tmpdir(), 'fleetcmd-proc-')), 'sleeper.log'))} });
console.log(s.pid);
setInterval(() => {}, 1000);
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startParent(): Promise<{ parentPid: number; servicePid: number }> {
  const parent = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', parentScript], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const servicePid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    parent.once('exit', () => reject(new Error('parent exited early')));
  });
  return { parentPid: parent.pid as number, servicePid };
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

test('Ctrl-C (SIGINT) to the process that started a service stops the service', async () => {
  const { parentPid, servicePid } = await startParent();
  expect(alive(servicePid)).toBe(true);
  process.kill(parentPid, 'SIGINT');
  expect(await waitGone(servicePid, 10_000)).toBe(true);
}, 30_000);

test('kill -9 of the process that started a service: its reaper stops the service', async () => {
  const { parentPid, servicePid } = await startParent();
  expect(alive(servicePid)).toBe(true);
  process.kill(parentPid, 'SIGKILL');
  expect(await waitGone(servicePid, 10_000)).toBe(true);
}, 30_000);
