import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startService, type Service } from '../../src/devstack/processes';
import { tail } from '../../src/devstack/temporal-server';

const ROOT = join(__dirname, '..', '..');
/** What src/worker.ts prints once its workers are created and about to poll. */
const READY_LINE = 'fleetcmd worker:';

/**
 * fleetcmd worker processes for one chaos scenario, one at a time: the real
 * worker entry (src/worker.ts) with the harness's FLEETCMD_* environment.
 * They are started as services (own process group, a reaper if this process
 * dies, output to a log file) so that a kill -9 takes the whole worker and
 * nothing outlives the run. A worker that exits without being killed is
 * replaced and counted: that is news, not a fault the scenario injected.
 */
export class WorkerProcesses {
  private current?: Service;
  private stopping = false;
  private readonly killed = new Set<Service>();
  started = 0;
  kills = 0;
  unexpectedExits = 0;

  constructor(
    private readonly options: {
      env: NodeJS.ProcessEnv;
      /** Folder for worker-N.log. */
      logDir: string;
      log: (line: string) => void;
    },
  ) {}

  /** Starts a worker and resolves once it is about to poll. */
  async start(): Promise<void> {
    this.started += 1;
    const n = this.started;
    const logFile = join(this.options.logDir, `worker-${n}.log`);
    const service = startService({
      name: `worker-${n}`,
      command: process.execPath,
      args: ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'worker.ts')],
      logFile,
      env: this.options.env,
      cwd: ROOT,
    });
    this.current = service;
    void service.exited.then((code) => this.exited(service, code));
    await waitForReady(service);
  }

  /** kill -9 of the running worker (its whole process group). */
  async kill9(): Promise<void> {
    const service = this.current;
    if (!service) return;
    this.killed.add(service);
    this.current = undefined;
    this.kills += 1;
    await service.stop({ signal: 'SIGKILL' });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.current?.stop({ signal: 'SIGKILL' });
    this.current = undefined;
  }

  get logDir(): string {
    return this.options.logDir;
  }

  private exited(service: Service, code: number | null): void {
    if (this.stopping || this.killed.has(service) || this.current !== service) return;
    this.unexpectedExits += 1;
    this.current = undefined;
    this.options.log(`${service.name} exited by itself (code ${code}); starting another. Its log ends:\n${tail(service.logFile, 10)}`);
    this.start().catch((err: unknown) => this.options.log(`could not start a replacement worker: ${String(err)}`));
  }
}

async function waitForReady(service: Service, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    if (readLog(service.logFile).includes(READY_LINE)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const why = exited ? 'it exited' : `not ready after ${timeoutMs / 1000} s`;
  await service.stop({ signal: 'SIGKILL' });
  throw new Error(`${service.name} did not start (${why}):\n${tail(service.logFile, 20)}`);
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
