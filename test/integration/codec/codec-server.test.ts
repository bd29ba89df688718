import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { dataConverterFor, failureConverterPath } from '../../../src/codec/data-converter';
import { generateKey, Keyring } from '../../../src/codec/keys';
import { startCodecServer } from '../../../src/codec/server';
import { obtainTemporalCli } from '../../../src/devstack/temporal-cli';
import { testStack } from '../../harness/stack';
import * as activities from './activities';
import { echoSecret } from './workflows';

const run = promisify(execFile);
const stack = testStack();

test('the Temporal CLI shows an encrypted history in clear through the codec server given its token', async () => {
  const cli = await obtainTemporalCli({ allowDownload: false });
  if (cli.type !== 'existing-path') throw new Error('no Temporal CLI binary to run');
  const generated = generateKey();
  const keyring = Keyring.create({ current: generated.id, keys: { [generated.id]: generated.key } });
  const dataConverter = dataConverterFor(keyring);
  const token = `token-${randomUUID()}`;
  const server = await startCodecServer({ port: 0, keyring, token });
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), failureConverterPath });
  const connection = await Connection.connect({ address: stack.temporal.address });
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
  const taskQueue = `codec-cli-${randomUUID()}`;
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities, dataConverter });
  const running = worker.run();
  try {
    const secret = `planted-cli-${randomUUID()}`;
    const client = new Client({ connection, namespace: stack.temporal.namespace, dataConverter });
    const workflowId = `codec-cli-${randomUUID()}`;
    await client.workflow.execute(echoSecret, { taskQueue, workflowId, args: [secret] });

    const show = (...extra: string[]): Promise<{ stdout: string }> =>
      run(cli.path, ['workflow', 'show', '--workflow-id', workflowId, '--address', stack.temporal.address, '--namespace', stack.temporal.namespace, '--output', 'json', ...extra]);
    // JSON output shows payloads as protobuf JSON: the decoded secret is the base64 of its JSON form.
    const inClear = Buffer.from(JSON.stringify(secret)).toString('base64');
    const decoded = await show('--codec-endpoint', server.url, '--codec-auth', `Bearer ${token}`);
    expect(decoded.stdout).toContain(inClear);
    const raw = await show();
    expect(raw.stdout).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(raw.stdout).not.toContain(inClear);
  } finally {
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await connection.close();
    await server.stop();
  }
}, 120_000);
