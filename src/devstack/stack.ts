import { mkdirSync } from 'node:fs';
import { Azurite, type AzuriteInfo } from './azurite';
import { freePort } from './processes';
import { TemporalServer } from './temporal-server';
import { noCliMessage, obtainTemporalCli, type TemporalExecutable } from './temporal-cli';
import { FleetcmdRolloutId, FleetcmdRunbook, FleetcmdStatus } from '../workflows/search-attributes';

export interface StackOptions {
  /** Folder for every service's data and log. */
  dataDir: string;
  /** Serve Temporal's Web UI (the dev stack does; tests do not). */
  ui?: boolean;
  temporalPort?: number;
  uiPort?: number;
  azuritePort?: number;
  dynamicConfig?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface StackInfo {
  temporal: { address: string; namespace: string; dbFilename: string; uiUrl?: string; restartable: boolean };
  azurite: AzuriteInfo;
}

/** Temporal + Azurite, started for real; stop() ends both. */
export interface Stack {
  info: StackInfo;
  /** Present when fleetcmd started the server itself (it can be killed and restarted). */
  temporalServer?: TemporalServer;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dataDir, { recursive: true });
  const executable = await obtainTemporalCli({ log });
  const [temporal, azurite] = await Promise.all([
    startTemporal(executable, options, log),
    Azurite.start({ dataDir: options.dataDir, port: options.azuritePort }),
  ]);
  return {
    info: { temporal: temporal.info, azurite: azurite.info },
    temporalServer: temporal.server,
    async stop() {
      await Promise.all([temporal.stop(), azurite.stop()]);
    },
  };
}

interface StartedTemporal {
  info: StackInfo['temporal'];
  server?: TemporalServer;
  stop(): Promise<void>;
}

async function startTemporal(
  executable: TemporalExecutable,
  options: StackOptions,
  log: (line: string) => void,
): Promise<StartedTemporal> {
  if (executable.type === 'existing-path') {
    log(`starting the Temporal dev server (${executable.path}, from ${executable.source})`);
    const server = await TemporalServer.start({
      cliPath: executable.path,
      dataDir: options.dataDir,
      port: options.temporalPort,
      ui: options.ui,
      uiPort: options.uiPort,
      dynamicConfig: options.dynamicConfig,
    });
    return {
      info: { address: server.address, namespace: server.namespace, dbFilename: server.dbFilename, uiUrl: server.uiUrl, restartable: true },
      server,
      stop: () => server.stop(),
    };
  }
  return startDownloadedTemporal(options, log);
}

/** Machines with internet: the SDK downloads and runs the CLI itself (no restart from outside). */
async function startDownloadedTemporal(options: StackOptions, log: (line: string) => void): Promise<StartedTemporal> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const port = options.temporalPort ?? (await freePort());
  const dbFilename = `${options.dataDir}/temporal.sqlite`;
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        dbFilename,
        ui: options.ui ?? false,
        uiPort: options.uiPort,
        searchAttributes: [FleetcmdRunbook, FleetcmdStatus, FleetcmdRolloutId],
        extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
      },
    });
    log(`started the Temporal dev server from the SDK download on 127.0.0.1:${port}`);
    return {
      info: {
        address: `127.0.0.1:${port}`,
        namespace: 'default',
        dbFilename,
        uiUrl: options.ui ? `http://127.0.0.1:${options.uiPort ?? port + 1000}` : undefined,
        restartable: false,
      },
      stop: () => env.teardown(),
    };
  } catch (err) {
    throw new Error(noCliMessage([`the SDK download failed: ${String(err)}`]));
  }
}
