import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack } from './stack';

/**
 * Holds the dev stack for a person: Temporal with its Web UI and Azurite,
 * data kept in a folder so history survives a restart. Writes where
 * everything is to `state.json` and stops everything on SIGINT/SIGTERM.
 */
export interface DevStackState {
  pid: number;
  dataDir: string;
  temporal: { address: string; namespace: string; uiUrl?: string };
  azurite: { blobEndpoint: string; connectionString: string };
  startedAt: string;
}

export function stateFile(dataDir: string): string {
  return join(dataDir, 'state.json');
}

export async function runDevStack(dataDir: string, log: (line: string) => void): Promise<DevStackState> {
  mkdirSync(dataDir, { recursive: true });
  const stack = await startStack({ dataDir, ui: true, log, temporalPort: 7233, uiPort: 8233, azuritePort: 10000 });
  const state: DevStackState = {
    pid: process.pid,
    dataDir,
    temporal: { address: stack.info.temporal.address, namespace: stack.info.temporal.namespace, uiUrl: stack.info.temporal.uiUrl },
    azurite: { blobEndpoint: stack.info.azurite.blobEndpoint, connectionString: stack.info.azurite.connectionString },
    startedAt: new Date().toISOString(),
  };
  writeFileSync(stateFile(dataDir), JSON.stringify(state, null, 2));
  const shutdown = (): void => {
    void stack.stop().finally(() => {
      rmSync(stateFile(dataDir), { force: true });
      process.exit(0);
    });
  };
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return state;
}

if (require.main === module) {
  const dataDir = process.argv[2] ?? join(process.cwd(), '.fleetcmd', 'dev-stack');
  runDevStack(dataDir, (line) => void process.stderr.write(`${line}\n`))
    .then((state) => process.stdout.write(`${JSON.stringify(state)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
