import { Client, Connection } from '@temporalio/client';

/** Where the CLI finds Temporal: flags, then FLEETCMD_* variables, then the local dev server. */
export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
}

export function temporalTarget(flags: Partial<TemporalTarget> = {}, env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  return {
    address: flags.address ?? env.FLEETCMD_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: flags.namespace ?? env.FLEETCMD_NAMESPACE ?? 'default',
    taskQueue: flags.taskQueue ?? env.FLEETCMD_TASK_QUEUE ?? 'fleetcmd',
  };
}

export async function connectClient(target: TemporalTarget): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: target.address });
  const client = new Client({ connection, namespace: target.namespace });
  return { client, close: () => connection.close() };
}
