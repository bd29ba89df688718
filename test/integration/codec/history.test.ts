import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { dataConverterFor, failureConverterPath } from '../../../src/codec/data-converter';
import { generateKey, loadKeyring, type Keyring } from '../../../src/codec/keys';
import { testStack } from '../../harness/stack';
import * as activities from './activities';
import { echoSecret, failWithSecret } from './workflows';

const stack = testStack();
let bundle: WorkflowBundleWithSourceMap;
let connection: Connection;
let keyring: Keyring;
/** Sees history as the server stores it: no codec. */
let rawClient: Client;

beforeAll(async () => {
  // Workflow code converts its own errors with the bundle's failure converter, so the bundle needs it too.
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), failureConverterPath });
  const generated = generateKey();
  const loaded = loadKeyring({ FLEETCMD_CODEC_KEYS: `${generated.id}:${generated.key}` });
  if (!loaded) throw new Error('keyring did not load');
  keyring = loaded;
  connection = await Connection.connect({ address: stack.temporal.address });
  rawClient = new Client({ connection, namespace: stack.temporal.namespace });
}, 120_000);

afterAll(async () => {
  await connection?.close();
});

/** A client and a worker on a fresh task queue, both with the given data converter, for the length of `body`. */
async function withWorker<T>(dataConverter: DataConverter, body: (client: Client, taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `codec-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities, dataConverter });
  const running = worker.run().finally(() => nativeConnection.close());
  try {
    return await body(new Client({ connection, namespace: stack.temporal.namespace, dataConverter }), taskQueue);
  } finally {
    worker.shutdown();
    await running;
  }
}

/**
 * The raw history as text, searchable for secrets: every bytes field (payload
 * data and metadata, which the client hands back as base64 strings or as
 * bytes) is shown both as it is and decoded as UTF-8, so a secret inside an
 * unencrypted JSON payload is found as plainly as one in a failure message.
 */
async function rawHistoryText(handle: WorkflowHandle): Promise<string> {
  const { events } = await rawClient.workflow.getHandle(handle.workflowId).fetchHistory();
  return JSON.stringify(events ?? [], function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    // Strings, not objects: the replacer would visit a returned object's fields again.
    if (original instanceof Uint8Array) return `${Buffer.from(original).toString('base64')} (utf8: ${Buffer.from(original).toString('utf8')})`;
    if (typeof value === 'string' && value.length >= 4 && value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
      return `${value} (utf8: ${Buffer.from(value, 'base64').toString('utf8')})`;
    }
    return value;
  });
}

/** Each planted secret as the search looks for it: as written, base64, and base64 of its JSON form. */
function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(JSON.stringify(secret)).toString('base64')];
}

const plant = (label: string): string => `planted-${label}-${randomUUID()}`;

test('with the codec, a workflow gets its secret back while raw history holds it nowhere', async () => {
  const secret = plant('protected-parameter');
  const { result, history } = await withWorker(dataConverterFor(keyring), async (client, taskQueue) => {
    const handle = await client.workflow.start(echoSecret, { taskQueue, workflowId: `codec-echo-${randomUUID()}`, args: [secret] });
    return { result: await handle.result(), history: await rawHistoryText(handle) };
  });
  expect(result).toBe(secret);
  expect(history).toContain('binary/encrypted');
  for (const form of forms(secret)) expect(history).not.toContain(form);
}, 60_000);

test('with the codec, failure messages reach the client in clear while raw history holds neither secret', async () => {
  const secret = plant('run-as-password');
  const failureSecret = plant('sas-signature');
  const { error, history } = await withWorker(dataConverterFor(keyring), async (client, taskQueue) => {
    const handle = await client.workflow.start(failWithSecret, { taskQueue, workflowId: `codec-fail-${randomUUID()}`, args: [{ secret, failureSecret }] });
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, history: await rawHistoryText(handle) };
  });
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect((error as WorkflowFailedError).cause?.message).toBe(`login failed with ${failureSecret}`);
  expect(history).toContain('Encoded failure');
  for (const form of [...forms(secret), ...forms(failureSecret)]) expect(history).not.toContain(form);
}, 60_000);

test('without the codec the same search finds both secrets in raw history (the search can see them)', async () => {
  const secret = plant('control');
  const failureSecret = plant('control-failure');
  const history = await withWorker({}, async (client, taskQueue) => {
    const handle = await client.workflow.start(failWithSecret, { taskQueue, workflowId: `codec-control-${randomUUID()}`, args: [{ secret, failureSecret }] });
    await handle.result().catch(() => undefined);
    return rawHistoryText(handle);
  });
  expect(history).toContain(secret);
  expect(history).toContain(failureSecret);
}, 60_000);
