import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../workflows/search-attributes';
import { freePort, startService, type Service } from './processes';

export interface TemporalServerOptions {
  cliPath: string;
  /** Folder for the SQLite file and the log. */
  dataDir: string;
  port?: number;
  /** Serve the Web UI (port + 1000 unless uiPort is set); headless otherwise. */
  ui?: boolean;
  uiPort?: number;
  namespace?: string;
  /** Extra `--dynamic-config-value KEY=JSON` settings, e.g. a low continue-as-new threshold. */
  dynamicConfig?: Record<string, unknown>;
}

/**
 * The Temporal CLI dev server on an SQLite file, so it can be killed and
 * restarted on the same history (server-restart durability tests).
 */
export class TemporalServer {
  readonly address: string;
  readonly namespace: string;
  readonly dbFilename: string;
  readonly uiUrl?: string;
  private service?: Service;

  private constructor(private readonly options: TemporalServerOptions, readonly port: number, uiPort?: number) {
    this.address = `127.0.0.1:${port}`;
    this.namespace = options.namespace ?? 'default';
    this.dbFilename = join(options.dataDir, 'temporal.sqlite');
    if (options.ui) this.uiUrl = `http://127.0.0.1:${uiPort}`;
  }

  static async start(options: TemporalServerOptions): Promise<TemporalServer> {
    const port = options.port ?? (await freePort());
    const uiPort = options.ui ? (options.uiPort ?? (await freePort())) : undefined;
    const server = new TemporalServer(options, port, uiPort);
    await server.startProcess();
    return server;
  }

  get pid(): number | undefined {
    return this.service?.pid;
  }

  /** Starts the server process again on the same port and SQLite file. */
  async startProcess(): Promise<void> {
    const o = this.options;
    const args = [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(this.port),
      '--namespace', this.namespace,
      '--db-filename', this.dbFilename,
      // WAL without a sync per commit: survives the server process being killed (what the tests do), not
      // the machine losing power; about 3x the throughput of SQLite's default on this class of machine.
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=normal',
      '--log-level', 'warn',
      ...searchAttributeFlags.flatMap((sa) => ['--search-attribute', sa]),
      ...Object.entries(o.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
      ...(this.uiUrl ? ['--ui-port', new URL(this.uiUrl).port] : ['--headless']),
    ];
    const logFile = join(o.dataDir, 'temporal.log');
    this.service = startService({ name: 'temporal', command: o.cliPath, args, logFile });
    await waitForTemporal(this.address, this.service);
  }

  /** kill -9: the way a crashed server goes. */
  async kill(): Promise<void> {
    await this.service?.stop({ signal: 'SIGKILL' });
  }

  async stop(): Promise<void> {
    await this.service?.stop();
  }
}

async function waitForTemporal(address: string, service: Service, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  let lastError: unknown;
  while (Date.now() < deadline && !exited) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const log = tail(service.logFile);
  await service.stop({ signal: 'SIGKILL' });
  throw new Error(
    `the Temporal dev server at ${address} did not become ready${exited ? ' (it exited)' : ''}: ${String(lastError)}\n${log}`,
  );
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
