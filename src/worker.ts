import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { createActivities, type Activities } from './activities';
import { azureConfigFromEnv } from './azure/config';
import { dataConverterFor, loadKeyring } from './codec';
import { settingsFromEnv } from './env-settings';
import { installTelemetry, telemetryFromEnv } from './telemetry';
import { armWritesTaskQueue } from './workflows/task-queues';

/** The worker process's settings, from FLEETCMD_* environment variables. */
export const workerConfigSchema = z.object({
  address: z.string().min(1).default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
  taskQueue: z.string().min(1).default('fleetcmd'),
  /** A prebuilt workflow bundle (production); the worker bundles src/workflows itself otherwise. */
  workflowBundlePath: z.string().min(1).optional(),
  maxCachedWorkflows: z.coerce.number().int().positive().optional(),
  /**
   * ARM writes (run-command PUT and DELETE) per second across every worker of
   * the task queue, enforced by the Temporal server. The default stays under
   * Compute's 500 "Update VM" per minute and ARM's 10 writes per second per
   * subscription; raise it only for fleets spread over several subscriptions.
   */
  armWritesPerSecond: z.coerce.number().positive().default(8),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** The variable each setting is read from. */
const WORKER_SETTINGS = {
  address: 'FLEETCMD_TEMPORAL_ADDRESS',
  namespace: 'FLEETCMD_NAMESPACE',
  taskQueue: 'FLEETCMD_TASK_QUEUE',
  workflowBundlePath: 'FLEETCMD_WORKFLOW_BUNDLE',
  maxCachedWorkflows: 'FLEETCMD_MAX_CACHED_WORKFLOWS',
  armWritesPerSecond: 'FLEETCMD_ARM_WRITES_PER_SECOND',
} as const;

export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return settingsFromEnv('worker configuration', workerConfigSchema, WORKER_SETTINGS, env);
}

/**
 * A fleetcmd worker is two Temporal workers on one connection: the main task
 * queue (workflows and read activities) and the ARM-writes task queue, whose
 * activity rate the server enforces for the whole fleet of workers.
 */
export interface FleetcmdWorker {
  workers: Worker[];
  connection: NativeConnection;
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorker(
  config: WorkerConfig,
  overrides: { activities?: Activities; workflowBundlePath?: string; dataConverter?: DataConverter; options?: Partial<WorkerOptions> } = {},
): Promise<FleetcmdWorker> {
  const connection = await NativeConnection.connect({ address: config.address });
  // Payloads (inputs, results, failures) are encrypted when keys are configured; a prebuilt bundle must carry the failure converter.
  const dataConverter = overrides.dataConverter ?? dataConverterFor(loadKeyring());
  const activities = overrides.activities ?? createActivities(azureConfigFromEnv());
  const bundlePath = overrides.workflowBundlePath ?? config.workflowBundlePath;
  const main = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: require.resolve('./workflows') }),
    activities,
    dataConverter,
    ...(config.maxCachedWorkflows ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    shutdownGraceTime: '10 seconds',
    ...overrides.options,
  });
  const writes = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: armWritesTaskQueue(config.taskQueue),
    activities: {
      createRunCommand: activities.createRunCommand,
      deleteRunCommand: activities.deleteRunCommand,
      retireRunCommand: activities.retireRunCommand,
      pruneRunCommands: activities.pruneRunCommands,
    },
    maxTaskQueueActivitiesPerSecond: config.armWritesPerSecond,
    dataConverter,
    shutdownGraceTime: '10 seconds',
  });
  const workers = [main, writes];
  return {
    workers,
    connection,
    async run() {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        await connection.close();
      }
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}

/** Runs until SIGINT/SIGTERM (the Temporal runtime turns those into a graceful shutdown). */
export async function main(): Promise<void> {
  installTelemetry(telemetryFromEnv());
  const config = workerConfigFromEnv();
  if (!loadKeyring()) {
    process.stderr.write('fleetcmd worker: no FLEETCMD_CODEC_KEYS or FLEETCMD_CODEC_KEY_FILE: payloads (protected parameters among them) are stored in Temporal unencrypted\n');
  }
  const worker = await createWorker(config);
  process.stderr.write(`fleetcmd worker: ${config.address} namespace ${config.namespace} task queues ${config.taskQueue}, ${armWritesTaskQueue(config.taskQueue)}\n`);
  await worker.run();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
