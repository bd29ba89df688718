import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort, startService, type Service } from './processes';
import { tail } from './temporal-server';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInfo {
  blobEndpoint: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
}

export class Azurite {
  private constructor(readonly info: AzuriteInfo, private readonly service: Service) {}

  static async start(options: { dataDir: string; port?: number }): Promise<Azurite> {
    const port = options.port ?? (await freePort());
    const location = join(options.dataDir, 'azurite');
    mkdirSync(location, { recursive: true });
    const service = startService({
      name: 'azurite',
      command: process.execPath,
      args: [
        require.resolve('azurite/dist/src/blob/main.js'),
        '--blobHost', '127.0.0.1',
        '--blobPort', String(port),
        '--location', location,
        '--silent',
        '--skipApiVersionCheck',
        '--loose',
        '--disableTelemetry',
      ],
      logFile: join(options.dataDir, 'azurite.log'),
    });
    await waitForPort(port, service);
    const blobEndpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT_NAME}`;
    return new Azurite(
      {
        blobEndpoint,
        accountName: DEV_ACCOUNT_NAME,
        accountKey: DEV_ACCOUNT_KEY,
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
      },
      service,
    );
  }

  get pid(): number {
    return this.service.pid;
  }

  async stop(): Promise<void> {
    await this.service.stop();
  }
}

export async function waitForPort(port: number, service: Service, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = tail(service.logFile);
  await service.stop({ signal: 'SIGKILL' });
  throw new Error(`${service.name} did not open port ${port}${exited ? ' (it exited)' : ''}\n${log}`);
}
