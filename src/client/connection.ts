import { Client, Connection } from '@temporalio/client';
import { dataConverterFor, loadKeyring } from '../codec';

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

export async function connectClient(target: TemporalTarget, env: NodeJS.ProcessEnv = process.env): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: target.address });
  // The same keys as the workers': what the CLI sends is encrypted, what it reads is decrypted.
  const client = new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFor(loadKeyring(env)) });
  return { client, close: () => connection.close() };
}
