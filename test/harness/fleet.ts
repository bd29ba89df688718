import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { AzureConfig } from '../../src/azure/config';
import { createActivities, type Activities } from '../../src/activities';
import { createWorker, type FleetcmdWorker } from '../../src/worker';
import { DEFAULT_SUBSCRIPTION_ID, startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator';
import { EmulatorAdminClient } from '../../src/emulator/admin-client';
import { testStack } from './stack';

export const SUBSCRIPTION = DEFAULT_SUBSCRIPTION_ID;
const DEFAULT_TIME_SCALE = 0.01;

/**
 * Everything an integration test of fleetcmd needs, for real: the emulator
 * (HTTPS, real agents), a Temporal client, and workers running fleetcmd's
 * activities against the emulator and Azurite — in this process, or as a
 * separate process that a test can kill -9.
 */
export interface Fleet {
  emulator: EmulatorHandle;
  admin: EmulatorAdminClient;
  azure: AzureConfig;
  client: Client;
  taskQueue: string;
  /** Environment for a worker process (FLEETCMD_*). */
  workerEnv: NodeJS.ProcessEnv;
  /**
   * A worker in this process; another principal's token or task queue when
   * given, or some activities built from another configuration (a storage
   * account that refuses reads, say) beside the rest.
   */
  startWorker(overrides?: WorkerOverrides): Promise<InProcessWorker>;
  /** A worker process (kill -9 it at will); `onOutput` receives its stdout and stderr instead of the terminal. */
  spawnWorker(options?: { env?: NodeJS.ProcessEnv; onOutput?: (text: string) => void }): Promise<ChildProcess>;
  close(): Promise<void>;
}

export interface WorkerOverrides {
  azure?: AzureConfig;
  taskQueue?: string;
  activities?: Partial<Activities>;
}

export interface InProcessWorker {
  worker: FleetcmdWorker;
  stop(): Promise<void>;
}

export interface FleetOptions extends Partial<EmulatorOptions> {
  /** Another Temporal server than the harness's (e.g. one with its own dynamic config). */
  temporalAddress?: string;
}

export async function startFleet(fleetOptions: FleetOptions = {}): Promise<Fleet> {
  const { temporalAddress, ...options } = fleetOptions;
  const stack = testStack();
  const address = temporalAddress ?? stack.temporal.address;
  const dataDir = mkdtempSync(join(stack.tmpDir, 'emulator-'));
  // Throttling is off unless a test turns it on: most tests are about something else.
  const emulator = await startEmulator({ port: 0, dataDir, timeScale: DEFAULT_TIME_SCALE, instanceViewRefreshMs: 200, throttling: { enabled: false }, ...options });
  const admin = new EmulatorAdminClient({ adminUrl: emulator.adminUrl, caCertPem: emulator.caCertPem, token: emulator.token });
  const azure: AzureConfig = {
    armEndpoint: emulator.endpoint,
    armCaFile: emulator.caCertPath,
    armToken: emulator.token,
    storageConnectionString: stack.azurite.connectionString,
    // The emulator's buckets refill 1/timeScale times faster than Azure's (and `scale` times, if set).
    armRefillSpeedup: (options.throttling?.scale ?? 1) / (options.timeScale ?? DEFAULT_TIME_SCALE),
  };
  const connection = await Connection.connect({ address: address });
  const client = new Client({ connection, namespace: stack.temporal.namespace });
  const taskQueue = `fleetcmd-test-${randomUUID()}`;
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    FLEETCMD_TEMPORAL_ADDRESS: address,
    FLEETCMD_NAMESPACE: stack.temporal.namespace,
    FLEETCMD_TASK_QUEUE: taskQueue,
    FLEETCMD_WORKFLOW_BUNDLE: stack.workflowBundlePath,
    FLEETCMD_ARM_ENDPOINT: azure.armEndpoint,
    FLEETCMD_ARM_CA_FILE: azure.armCaFile,
    FLEETCMD_ARM_TOKEN: azure.armToken,
    FLEETCMD_STORAGE_CONNECTION_STRING: azure.storageConnectionString,
    FLEETCMD_ARM_REFILL_SPEEDUP: String(azure.armRefillSpeedup),
    // Tests pace by the emulator's buckets alone unless they ask for the task-queue limit.
    FLEETCMD_ARM_WRITES_PER_SECOND: '1000',
  };
  const workers = new Set<InProcessWorker>();
  const children = new Set<ChildProcess>();

  return {
    emulator,
    admin,
    azure,
    client,
    taskQueue,
    workerEnv,
    async startWorker(overrides: WorkerOverrides = {}) {
      const worker = await createWorker(
        { address, namespace: stack.temporal.namespace, taskQueue: overrides.taskQueue ?? taskQueue, armWritesPerSecond: 1000 },
        { activities: { ...createActivities(overrides.azure ?? azure), ...overrides.activities }, workflowBundlePath: stack.workflowBundlePath },
      );
      const running = worker.run();
      const handle: InProcessWorker = {
        worker,
        async stop() {
          workers.delete(handle);
          worker.shutdown();
          await running.catch(() => undefined);
        },
      };
      workers.add(handle);
      return handle;
    },
    async spawnWorker(options: { env?: NodeJS.ProcessEnv; onOutput?: (text: string) => void } = {}) {
      const root = join(__dirname, '..', '..');
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'worker.ts')], {
        cwd: root,
        env: { ...workerEnv, ...options.env },
        stdio: ['ignore', options.onOutput ? 'pipe' : 'inherit', options.onOutput ? 'pipe' : 'inherit'],
      });
      if (options.onOutput) {
        child.stdout?.on('data', (d: Buffer) => options.onOutput?.(d.toString()));
        child.stderr?.on('data', (d: Buffer) => options.onOutput?.(d.toString()));
      }
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async close() {
      await Promise.all([...workers].map((w) => w.stop()));
      children.forEach((c) => c.kill('SIGKILL'));
      await connection.close();
      await emulator.stop();
    },
  };
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
