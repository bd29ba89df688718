import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { BlobServiceClient } from '@azure/storage-blob';
import { testStack } from '../../harness/stack';
import * as activities from './activities';
import { greeting, proceed, twoGreetings } from './workflows';

const stack = testStack();
let bundle: WorkflowBundleWithSourceMap;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows') });
  connection = await Connection.connect({ address: stack.temporal.address });
  client = new Client({ connection, namespace: stack.temporal.namespace });
}, 120_000);

afterAll(async () => {
  await connection?.close();
});

async function newWorker(taskQueue: string): Promise<{ worker: Worker; done: Promise<void> }> {
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities });
  const done = worker.run().finally(() => nativeConnection.close());
  return { worker, done };
}

test('a workflow calling an activity completes on the Temporal dev server', async () => {
  const taskQueue = `smoke-${randomUUID()}`;
  const { worker, done } = await newWorker(taskQueue);
  try {
    const result = await client.workflow.execute(greeting, { taskQueue, workflowId: `smoke-${randomUUID()}`, args: ['fleet'] });
    expect(result).toBe(`hello fleet from pid ${process.pid}`);
  } finally {
    worker.shutdown();
    await done;
  }
}, 60_000);

test('a workflow survives its worker being stopped and finishes on a new worker', async () => {
  const taskQueue = `smoke-${randomUUID()}`;
  const first = await newWorker(taskQueue);
  const handle = await client.workflow.start(twoGreetings, { taskQueue, workflowId: `smoke-${randomUUID()}`, args: ['fleet'] });
  // Wait until the first activity has completed on the first worker, then stop that worker.
  await waitFor(async () => {
    const { events } = await handle.fetchHistory();
    return (events ?? []).some((e) => e.activityTaskCompletedEventAttributes);
  });
  first.worker.shutdown();
  await first.done;

  await handle.signal(proceed);
  const second = await newWorker(taskQueue);
  try {
    const result = await handle.result();
    expect(result).toEqual([`hello fleet from pid ${process.pid}`, `hello fleet again from pid ${process.pid}`]);
    const { events } = await handle.fetchHistory();
    expect((events ?? []).filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(2);
  } finally {
    second.worker.shutdown();
    await second.done;
  }
}, 90_000);

test('a blob written through @azure/storage-blob reads back from Azurite', async () => {
  const service = BlobServiceClient.fromConnectionString(stack.azurite.connectionString);
  const container = service.getContainerClient(`smoke-${Date.now()}`);
  await container.create();
  const blob = container.getBlockBlobClient('hello.txt');
  const body = `fleetcmd ${randomUUID()}`;
  await blob.upload(body, Buffer.byteLength(body));
  const read = await blob.downloadToBuffer();
  expect(read.toString()).toBe(body);
}, 30_000);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}
