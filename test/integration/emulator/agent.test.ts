import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RestError } from '@azure/core-rest-pipeline';
import type { VirtualMachineRunCommand } from '@azure/arm-compute';
import { testStack } from '../../harness/stack';
import { awaitTerminal, blobWithSas, isGone, POLL, raw, RG, runCommandPath, startTestEmulator, SUBSCRIPTION, waitFor, type EmulatorFixture } from './helpers';

/** The simulated agent behaves like Azure's Linux handler, running scripts for real. */

jest.setTimeout(30_000);

let fx: EmulatorFixture;
beforeAll(async () => {
  const virtualMachines = Array.from({ length: 12 }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `web-${String(i + 1).padStart(3, '0')}` }));
  fx = await startTestEmulator({ fleet: { virtualMachines: [...virtualMachines, { subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: 'win-01', osType: 'Windows' }] } });
});
afterAll(() => fx.stop());

const ops = (): EmulatorFixture['client']['virtualMachineRunCommands'] => fx.client.virtualMachineRunCommands;

function put(vm: string, name: string, body: Partial<VirtualMachineRunCommand>): Promise<VirtualMachineRunCommand> {
  return ops().createOrUpdate(RG, vm, name, { location: 'westus', ...body }, POLL);
}

/** `seq -w 1 n` as the script prints it. */
function seqOutput(n: number): string {
  const width = String(n).length;
  let out = '';
  for (let i = 1; i <= n; i++) out += `${String(i).padStart(width, '0')}\n`;
  return out;
}

async function expectRestError(promise: Promise<unknown>, status: number, code: string): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RestError);
  expect((error as RestError).statusCode).toBe(status);
  expect((error as RestError).code).toBe(code);
  return error as RestError;
}

test('named parameters become environment variables and unnamed ones arguments, protected after public', async () => {
  await put('web-001', 'params', {
    source: { script: 'echo "A=$A S=$S args=$*"' },
    parameters: [
      { name: 'A', value: 'public' },
      { name: '', value: 'p1' },
    ],
    protectedParameters: [
      { name: 'S', value: 'hidden' },
      { name: '', value: 'p2' },
    ],
  });
  const view = await awaitTerminal(fx, 'web-001', 'params');
  expect(view.output).toBe('A=public S=hidden args=p1 p2\n');
});

test('exit code 0 is Succeeded and a non-zero exit code is Failed with the handler message', async () => {
  await put('web-002', 'ok', { source: { script: 'exit 0' } });
  await put('web-002', 'bad', { source: { script: 'echo oops >&2; exit 7' } });
  expect(await awaitTerminal(fx, 'web-002', 'ok')).toMatchObject({ executionState: 'Succeeded', exitCode: 0, executionMessage: 'Execution completed' });
  expect(await awaitTerminal(fx, 'web-002', 'bad')).toMatchObject({
    executionState: 'Failed',
    exitCode: 7,
    executionMessage: 'Execution failed: failed to execute command: command terminated with exit status=7',
    error: 'oops\n',
  });
});

test('the instance view holds exactly the last 4,096 bytes of a 1 MB output', async () => {
  await put('web-003', 'megabyte', { source: { script: 'seq -w 1 150000' } });
  const expected = Buffer.from(seqOutput(150000));
  expect(expected.length).toBeGreaterThan(1_000_000);
  const view = await awaitTerminal(fx, 'web-003', 'megabyte');
  expect(Buffer.byteLength(view.output ?? '')).toBe(4096);
  expect(view.output).toBe(expected.subarray(expected.length - 4096).toString());
});

test('the full output and error reach the Azurite append blobs, sha256-equal, in blocks of at most 4 MiB', async () => {
  const run = `run-${Date.now()}`;
  const output = await blobWithSas('emulator-tests', `${run}/stdout`);
  const error = await blobWithSas('emulator-tests', `${run}/stderr`);
  await put('web-004', 'big-output', {
    source: { script: 'seq -w 1 750000; echo done >&2' },
    outputBlobUri: output.sasUri,
    errorBlobUri: error.sasUri,
  });
  await awaitTerminal(fx, 'web-004', 'big-output');
  const expected = seqOutput(750000);
  expect(Buffer.byteLength(expected)).toBeGreaterThan(4 * 1024 * 1024);
  const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
  expect(sha(await output.read())).toBe(sha(expected));
  expect((await error.read()).toString()).toBe('done\n');
});

test('the output blob is cleared before a run writes to it', async () => {
  const blob = await blobWithSas('emulator-tests', `cleared-${Date.now()}`);
  await put('web-004', 'first-writer', { source: { script: 'echo first run' }, outputBlobUri: blob.sasUri });
  await awaitTerminal(fx, 'web-004', 'first-writer');
  await put('web-004', 'second-writer', { source: { script: 'echo second' }, outputBlobUri: blob.sasUri });
  await awaitTerminal(fx, 'web-004', 'second-writer');
  expect((await blob.read()).toString()).toBe('second\n');
});

test('timeoutInSeconds kills the script: Failed with exit code -1 on Linux', async () => {
  const started = Date.now();
  await put('web-005', 'too-slow', { source: { script: 'sleep 30' }, timeoutInSeconds: 1 });
  const view = await awaitTerminal(fx, 'web-005', 'too-slow');
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(view).toMatchObject({ executionState: 'Failed', exitCode: -1, executionMessage: 'Execution failed: failed to execute command: command terminated with exit status=-1' });
  const [run] = await fx.admin.runs({ vm: fx.vmId('web-005'), runCommand: 'too-slow' });
  expect(isGone(run.pid ?? -1)).toBe(true);
});

test('a Windows-flavoured VM reports a timeout as TimedOut', async () => {
  await put('win-01', 'too-slow', { source: { script: 'sleep 30' }, timeoutInSeconds: 1 });
  expect(await awaitTerminal(fx, 'win-01', 'too-slow')).toMatchObject({ executionState: 'TimedOut', exitCode: -1 });
});

test('an identical PUT does not run the script again', async () => {
  const body = { source: { script: 'echo once' }, parameters: [{ name: 'X', value: '1' }] };
  await put('web-006', 'idempotent', body);
  await awaitTerminal(fx, 'web-006', 'idempotent');
  const again = await put('web-006', 'idempotent', body);
  expect(again.provisioningState).toBe('Succeeded');
  await new Promise((r) => setTimeout(r, 300));
  expect(await fx.admin.executionCount(fx.vmId('web-006'), 'idempotent')).toBe(1);
});

test('a changed PUT kills the running script and runs the new one', async () => {
  const dir = mkdtempSync(join(testStack().tmpDir, 'pids-'));
  const pidFile = join(dir, 'old.pid');
  void ops().createOrUpdate(RG, 'web-007', 'changing', { location: 'westus', source: { script: `echo $$ > ${pidFile}; sleep 300` } }, POLL).catch(() => undefined);
  const oldPid = await waitFor(async () => {
    try {
      return Number(readFileSync(pidFile, 'utf8'));
    } catch {
      return undefined;
    }
  }, 'the first script to start');
  await put('web-007', 'changing', { source: { script: 'echo replaced' } });
  const view = await awaitTerminal(fx, 'web-007', 'changing');
  expect(view.output).toBe('replaced\n');
  expect(isGone(oldPid)).toBe(true);
  expect(await fx.admin.executionCount(fx.vmId('web-007'), 'changing')).toBe(2);
});

test('DELETE kills a running script and its children', async () => {
  const dir = mkdtempSync(join(testStack().tmpDir, 'pids-'));
  const pidFile = join(dir, 'pids');
  void ops().createOrUpdate(RG, 'web-008', 'doomed', { location: 'westus', source: { script: `sleep 300 & echo "$$ $!" > ${pidFile}; wait` } }, POLL).catch(() => undefined);
  const pids = await waitFor(async () => {
    try {
      const text = readFileSync(pidFile, 'utf8').trim();
      return text.includes(' ') ? text.split(' ').map(Number) : undefined;
    } catch {
      return undefined;
    }
  }, 'the script to start');
  expect(pids.some(isGone)).toBe(false);
  await ops().delete(RG, 'web-008', 'doomed', POLL);
  await waitFor(async () => pids.every(isGone), 'the script and its child to be gone', 5_000);
  const left = await raw(fx.handle, 'GET', runCommandPath('web-008', 'doomed'));
  expect(left.status).toBe(404);
});

test('a VM holding 25 run commands refuses the 26th with 400', async () => {
  for (let i = 1; i <= 25; i++) {
    const res = await raw(fx.handle, 'PUT', runCommandPath('web-009', `rc-${i}`), { body: { location: 'westus', properties: { source: { script: 'true' }, asyncExecution: true } } });
    expect(res.status).toBe(201);
  }
  const error = await expectRestError(put('web-009', 'rc-26', { source: { script: 'true' } }), 400, 'BadRequest');
  expect(error.message).toContain('limit25,current25');
  await put('web-009', 'rc-25', { source: { script: 'echo still updatable' } });
});

test('an action Run Command overlapping a running one gets 409 Conflict', async () => {
  const first = fx.client.virtualMachines.runCommand(RG, 'web-010', { commandId: 'RunShellScript', script: ['sleep 1'] }, POLL);
  await waitFor(async () => (await fx.admin.counters({ vm: fx.vmId('web-010') })).concurrency.current === 1, 'the first action to start');
  const error = await expectRestError(fx.client.virtualMachines.runCommand(RG, 'web-010', { commandId: 'RunShellScript', script: ['true'] }, POLL), 409, 'Conflict');
  expect(error.message).toBe('Run command extension execution is in progress. Please wait for completion before invoking a run command.');
  await first;
});

test('a scriptUri is downloaded through its SAS and never shown with it', async () => {
  const blob = await blobWithSas('emulator-tests', `scripts/${Date.now()}.sh`);
  const { BlockBlobClient } = await import('@azure/storage-blob');
  const script = '\uFEFFecho from blob\r\necho "arg=$1"\r\n';
  await new BlockBlobClient(blob.sasUri).upload(script, Buffer.byteLength(script));
  await put('web-011', 'from-uri', { source: { scriptUri: blob.sasUri }, parameters: [{ name: '', value: 'x' }] });
  expect((await awaitTerminal(fx, 'web-011', 'from-uri')).output).toBe('from blob\narg=x\n');
  const got = await raw(fx.handle, 'GET', runCommandPath('web-011', 'from-uri'));
  expect(got.json.properties.source.scriptUri).toBe(blob.sasUri.split('?')[0]);
});

test('a commandId is expanded from the built-in documents', async () => {
  await put('web-011', 'builtin', { source: { commandId: 'RunShellScript' } });
  expect((await awaitTerminal(fx, 'web-011', 'builtin')).output).toMatch(/^This is a sample script\nOptional parameters: /);
});

test('asyncExecution completes provisioning once the script has started', async () => {
  const created = await put('web-012', 'async', { source: { script: 'sleep 1; echo finished' }, asyncExecution: true });
  expect(created.provisioningState).toBe('Succeeded');
  const now = await ops().getByVirtualMachine(RG, 'web-012', 'async', { expand: 'instanceView' });
  expect(now.instanceView?.executionState).toBe('Running');
  expect((await awaitTerminal(fx, 'web-012', 'async')).output).toBe('finished\n');
});

test('a running script refreshes its instance view on the interval', async () => {
  void put('web-012', 'progress', { source: { script: 'echo first; sleep 1.5; echo second' } }).catch(() => undefined);
  const running = await waitFor(async () => {
    const rc = await ops().getByVirtualMachine(RG, 'web-012', 'progress', { expand: 'instanceView' });
    return rc.instanceView?.output === 'first\n' ? rc : undefined;
  }, 'the first line to be reported');
  expect(running.instanceView?.executionState).toBe('Running');
  expect(running.instanceView?.executionMessage).toBe('Execution in progress');
  expect(running.provisioningState).toBe('Creating');
  expect((await awaitTerminal(fx, 'web-012', 'progress')).output).toBe('first\nsecond\n');
});

test('treatFailureAsDeploymentFailure turns a failed script into a failed deployment', async () => {
  await expect(put('web-001', 'must-pass', { source: { script: 'exit 3' }, treatFailureAsDeploymentFailure: true })).rejects.toThrow(
    /The long-running operation has failed\. VMExtensionProvisioningError\. VM has reported a failure when processing extension 'must-pass'/,
  );
  const rc = await ops().getByVirtualMachine(RG, 'web-001', 'must-pass', { expand: 'instanceView' });
  expect(rc.provisioningState).toBe('Failed');
  expect(rc.instanceView?.exitCode).toBe(3);
});

test('without treatFailureAsDeploymentFailure a failed script still provisions Succeeded', async () => {
  const created = await put('web-001', 'may-fail', { source: { script: 'exit 3' } });
  expect(created.provisioningState).toBe('Succeeded');
  expect((await awaitTerminal(fx, 'web-001', 'may-fail')).executionState).toBe('Failed');
});

test('an unknown runAsUser is rejected with exit code -102', async () => {
  await put('web-002', 'run-as', { source: { script: 'whoami' }, runAsUser: 'no-such-user-here', runAsPassword: 'pw' });
  const view = await awaitTerminal(fx, 'web-002', 'run-as');
  expect(view).toMatchObject({ executionState: 'Failed', exitCode: -102 });
  expect(view.executionMessage).toContain('Failed to lookup RunAs user');
  expect(await fx.admin.executionCount(fx.vmId('web-002'), 'run-as')).toBe(0);
});

test('protectedParameters, runAsPassword and SAS tokens are never echoed', async () => {
  const blob = await blobWithSas('emulator-tests', `secret-${Date.now()}`);
  await put('web-003', 'secrets', {
    source: { script: 'true' },
    protectedParameters: [{ name: 'TOKEN', value: 'top-secret-value' }],
    runAsPassword: 'p4ssw0rd-value',
    outputBlobUri: blob.sasUri,
  });
  const single = await raw(fx.handle, 'GET', runCommandPath('web-003', 'secrets', '2026-03-01', '&$expand=instanceView'));
  const list = await raw(fx.handle, 'GET', `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/web-003/runCommands?api-version=2026-03-01`);
  for (const text of [single.text, list.text]) {
    expect(text).not.toContain('top-secret-value');
    expect(text).not.toContain('p4ssw0rd-value');
    expect(text).not.toContain('protectedParameters');
    expect(text).not.toContain('sig=');
  }
  expect(single.json.properties.outputBlobUri).toBe(blob.sasUri.split('?')[0]);
});

test('with the realistic profile a run command is Pending until the agent picks it up', async () => {
  const realistic = await startTestEmulator({ latencyProfile: 'realistic', timeScale: 0.05 });
  try {
    const put = await raw(realistic.handle, 'PUT', runCommandPath('web-001', 'slow-pickup'), { body: { location: 'westus', properties: { source: { script: 'echo picked up' } } } });
    expect(put.status).toBe(201);
    const early = await raw(realistic.handle, 'GET', runCommandPath('web-001', 'slow-pickup', '2026-03-01', '&$expand=instanceView'));
    expect(early.json.properties.provisioningState).toBe('Creating');
    expect(early.json.properties.instanceView.executionState).toBe('Pending');
    expect((await awaitTerminal(realistic, 'web-001', 'slow-pickup')).output).toBe('picked up\n');
  } finally {
    await realistic.stop();
  }
});
