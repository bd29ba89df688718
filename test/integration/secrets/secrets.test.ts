import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { BlobSASPermissions, BlobServiceClient } from '@azure/storage-blob';
import { runCli } from '../../../src/client/cli';
import type { CliIo } from '../../../src/client/context';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { EncryptionCodec, loadKeyring } from '../../../src/codec';
import { targetWorkflowId } from '../../../src/runbook/execution';
import { SUBSCRIPTION, startFleet, waitFor, type Fleet } from '../../harness/fleet';
import { testStack } from '../../harness/stack';

const RG = 'secret-rg';
let fleet: Fleet;
// The run's key: the replay test decrypts these histories with it.
const codecEnv = { FLEETCMD_CODEC_KEYS: testStack().codecKeys };
const workerLog: string[] = [];

// Three planted secrets: a protected parameter, a runAsPassword, and a SAS signature (of the script's URI).
const protectedValue = `pp-${randomBytes(12).toString('hex')}`;
const runAsPassword = `pw-${randomBytes(12).toString('hex')}`;
let sasSignature = '';
let scriptUri = '';

beforeAll(async () => {
  fleet = await startFleet({ fleet: { virtualMachines: [{ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'vm-1' }] } });
  const container = BlobServiceClient.fromConnectionString(testStack().azurite.connectionString).getContainerClient('scripts');
  await container.createIfNotExists();
  const blob = container.getBlockBlobClient('show.sh');
  const script = 'echo "token sha256 $(printf %s "$TOKEN" | sha256sum | cut -c1-64)"\necho "user $(id -un)"\n';
  await blob.upload(script, script.length);
  scriptUri = await blob.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) });
  sasSignature = decodeURIComponent(new URL(scriptUri).searchParams.get('sig') ?? '');
  await fleet.spawnWorker({ env: { ...codecEnv, FLEETCMD_LOG_LEVEL: 'DEBUG' }, onOutput: (t) => workerLog.push(t) });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

/** Every string in a history, plus every base64 payload decoded as UTF-8 (where plain text would hide). */
function searchable(history: unknown): string {
  const text = JSON.stringify(history);
  const decoded = [...text.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
  return [text, ...decoded].join('\n');
}

test('three planted secrets reach the script but appear nowhere in history, the worker log or the CLI output', async () => {
  const file = join(testStack().tmpDir, 'secret-runbook.yaml');
  writeFileSync(
    file,
    `name: secrets
location: westus
targets: { vms: [${RG}/vm-1] }
steps:
  - name: show
    scriptUri: "${scriptUri}"
    protectedParameters: [{ name: TOKEN, value: "${protectedValue}" }]
    runAsUser: root
    runAsPassword: "${runAsPassword}"
`,
  );
  const out: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void out.push(t), isTTY: false, env: { ...process.env, ...codecEnv } };
  const rolloutId = `secrets-${Date.now()}`;
  const code = await runCli(['node', 'fleetcmd', '--address', testStack().temporal.address, '--task-queue', fleet.taskQueue, 'run', file, '--vm', `${RG}/vm-1`, '--subscription', SUBSCRIPTION, '--id', rolloutId], io);
  const cliOutput = out.join('');
  expect(code).toBe(0);

  // The script saw the protected parameter (its hash is printed) and ran as the runAs user.
  expect(cliOutput).toContain(`token sha256 ${createHash('sha256').update(protectedValue).digest('hex')}`);
  expect(cliOutput).toContain('user root');

  const connection = await Connection.connect({ address: testStack().temporal.address });
  try {
    const workflowId = targetWorkflowId(rolloutId, { kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: RG, vmName: 'vm-1' });
    const raw = searchable(await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory());
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    const keyring = loadKeyring(codecEnv);
    if (!keyring) throw new Error('no keyring');
    const inputPayloads = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const [input] = await new EncryptionCodec({ keyring }).decode(inputPayloads as Payload[]);
    const decoded = JSON.stringify(defaultPayloadConverter.fromPayload(input));
    await waitFor(async () => workerLog.join('').includes('createRunCommand'), { what: 'the worker to log its activities' });
    const log = workerLog.join('');
    for (const secret of [protectedValue, runAsPassword, sasSignature]) {
      expect({ secret, inHistory: raw.includes(secret) }).toEqual({ secret, inHistory: false });
      expect({ secret, inWorkerLog: log.includes(secret) }).toEqual({ secret, inWorkerLog: false });
      expect({ secret, inCliOutput: cliOutput.includes(secret) }).toEqual({ secret, inCliOutput: false });
    }
    // With the key, the workflow's input in that same history holds them: the workflow carried them, encrypted.
    expect(decoded).toContain(protectedValue);
    expect(decoded).toContain(runAsPassword);
  } finally {
    await connection.close();
  }
}, 120_000);
