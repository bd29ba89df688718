import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { z } from 'zod';
import { createActivities } from './activities';
import { azureConfigFromEnv } from './azure/config';

/** The worker process's settings, from FLEETCMD_* environment variables. */
export const workerConfigSchema = z.object({
  address: z.string().min(1).default('127.0.0.1:7233'),
  namespace: z.string().min(1).default('default'),
  taskQueue: z.string().min(1).default('fleetcmd'),
  /** A prebuilt workflow bundle (production); the worker bundles src/workflows itself otherwise. */
  workflowBundlePath: z.string().min(1).optional(),
  maxCachedWorkflows: z.coerce.number().int().positive().optional(),
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return workerConfigSchema.parse({
    address: env.FLEETCMD_TEMPORAL_ADDRESS || undefined,
    namespace: env.FLEETCMD_NAMESPACE || undefined,
    taskQueue: env.FLEETCMD_TASK_QUEUE || undefined,
    workflowBundlePath: env.FLEETCMD_WORKFLOW_BUNDLE || undefined,
    maxCachedWorkflows: env.FLEETCMD_MAX_CACHED_WORKFLOWS || undefined,
  });
}

export async function createWorker(
  config: WorkerConfig,
  overrides: Partial<WorkerOptions> = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await Worker.create({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    ...(config.workflowBundlePath
      ? { workflowBundle: { codePath: config.workflowBundlePath } }
      : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(azureConfigFromEnv()),
    ...(config.maxCachedWorkflows ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
    shutdownGraceTime: '10 seconds',
    ...overrides,
  });
  return { worker, connection };
}

/** Runs until SIGINT/SIGTERM (the Temporal runtime turns those into a graceful shutdown). */
export async function main(): Promise<void> {
  const config = workerConfigFromEnv();
  const { worker, connection } = await createWorker(config);
  process.stderr.write(`fleetcmd worker: ${config.address} namespace ${config.namespace} task queue ${config.taskQueue}\n`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
