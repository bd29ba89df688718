import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Services the dev stack and the test harness start (Temporal, Azurite, the
 * emulator). Each runs in its own process group so it can be stopped whole,
 * and each has a reaper: a tiny detached watcher that kills the group if the
 * process that started it dies without cleaning up (kill -9, a crashed jest).
 */
export interface Service {
  name: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

const running = new Set<Service>();
let handlersInstalled = false;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function startService(options: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}): Service {
  installExitHandlers();
  const out = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  startReaper(pid);
  const service: Service = {
    name: options.name,
    pid,
    logFile: options.logFile,
    child,
    exited,
    async stop({ signal = 'SIGTERM', graceMs = 5_000 } = {}) {
      running.delete(service);
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(pid, signal);
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  void exited.then(() => running.delete(service));
  running.add(service);
  return service;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops everything this process started, in reverse order. */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].reverse().map((s) => s.stop()));
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Synchronous last resort: 'exit' handlers cannot wait, so the groups get SIGKILL.
  process.on('exit', () => running.forEach((s) => killGroup(s.pid, 'SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void stopAllServices().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

/** The watcher: polls its parent every second; when the parent is gone it kills the service's group. */
const REAPER = `
const [parent, child] = process.argv.slice(1).map(Number);
const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
const timer = setInterval(() => {
  if (!alive(child)) { clearInterval(timer); return; }
  if (!alive(parent)) {
    try { process.kill(-child, 'SIGTERM'); } catch {}
    setTimeout(() => { try { process.kill(-child, 'SIGKILL'); } catch {} process.exit(0); }, 3000);
    clearInterval(timer);
  }
}, 1000);
`;

function startReaper(childPid: number): void {
  const reaper = spawn(process.execPath, ['-e', REAPER, String(process.pid), String(childPid)], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.unref();
}
