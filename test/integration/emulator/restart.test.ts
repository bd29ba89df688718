import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { testStack } from '../../harness/stack';
import { awaitTerminal, isGone, newDataDir, POLL, raw, RG, runCommandPath, startTestEmulator, SUBSCRIPTION, waitFor } from './helpers';

/**
 * Persistence: fleet, run commands, instance views, operations
 * and counters survive a restart; a script that was running when the emulator
 * went away is not re-run but reported Failed, and its process is killed.
 */

jest.setTimeout(60_000);

const fleet = { virtualMachines: [1, 2, 3].map((i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `vm-${i}`, tags: { role: 'web' } })) };

function readPid(file: string): Promise<number> {
  return waitFor(async () => {
    try {
      const pid = Number(readFileSync(file, 'utf8'));
      return pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }, `a pid in ${file}`);
}

test('state survives a stop and start on the same data dir', async () => {
  const dataDir = newDataDir();
  const pidFile = join(mkdtempSync(join(testStack().tmpDir, 'pids-')), 'pid');
  const first = await startTestEmulator({ dataDir, fleet });
  await first.client.virtualMachineRunCommands.createOrUpdate(RG, 'vm-1', 'done', { location: 'westus', source: { script: 'echo finished' }, tags: { keep: 'me' } }, POLL);
  const finished = await awaitTerminal(first, 'vm-1', 'done');
  const put = await raw(first.handle, 'PUT', runCommandPath('vm-2', 'running'), { body: { location: 'westus', properties: { source: { script: `echo $$ > ${pidFile}; echo partial; sleep 300` } } } });
  const pid = await readPid(pidFile);
  await first.stop();

  const second = await startTestEmulator({ dataDir, fleet: { virtualMachines: [] } });
  try {
    expect(second.handle.caCertPem).toBe(first.handle.caCertPem);
    expect((await second.admin.getFleet()).virtualMachines.map((v) => v.name)).toEqual(['vm-1', 'vm-2', 'vm-3']);
    const done = await second.client.virtualMachineRunCommands.getByVirtualMachine(RG, 'vm-1', 'done', { expand: 'instanceView' });
    expect(done.instanceView).toEqual(finished);
    expect(done.tags).toEqual({ keep: 'me' });
    expect(await second.admin.executionCount(second.vmId('vm-1'), 'done')).toBe(1);

    const interrupted = await awaitTerminal(second, 'vm-2', 'running');
    expect(interrupted).toMatchObject({ executionState: 'Failed', exitCode: -1, output: 'partial\n' });
    expect(interrupted.executionMessage).toBe('Execution failed: the emulator stopped while the script was running; the script was killed and is not run again');
    expect(isGone(pid)).toBe(true);
    const operationPath = new URL(String(put.headers['azure-asyncoperation']));
    const operation = await raw(second.handle, 'GET', `${operationPath.pathname}${operationPath.search}`);
    expect(operation.json.status).toBe('Succeeded');
    const [run] = await second.admin.runs({ vm: second.vmId('vm-2'), runCommand: 'running' });
    expect(run.endedAt).toBeDefined();
  } finally {
    await second.stop();
  }
});

test('a script running when the emulator process is killed is killed and reported Failed after the restart', async () => {
  const dataDir = newDataDir();
  const pidFile = join(mkdtempSync(join(testStack().tmpDir, 'pids-')), 'pid');
  const root = join(__dirname, '..', '..', '..');
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'emulator', 'main.ts'), '--data-dir', dataDir, '--vms', '3', '--subscription-id', SUBSCRIPTION, '--resource-groups', '1', '--latency', 'none', '--time-scale', '0.01', '--instance-view-refresh-ms', '50', '--no-throttling'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
    });
    const ready = JSON.parse(line) as { endpoint: string; caCertPath: string; token: string };
    const handle = { endpoint: ready.endpoint, caCertPem: readFileSync(ready.caCertPath, 'utf8'), token: ready.token };
    const put = await raw(handle, 'PUT', runCommandPath('web-001', 'orphan'), { body: { location: 'westus', properties: { source: { script: `echo $$ > ${pidFile}; sleep 300` } } } });
    expect(put.status).toBe(201);
    const pid = await readPid(pidFile);
    // The state file records the running process shortly after it starts (writes are debounced).
    await waitFor(async () => readFileSync(join(dataDir, 'state.json'), 'utf8').includes(`"pid":${pid}`), 'the state file to record the process');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(isGone(pid)).toBe(false);

    const restarted = await startTestEmulator({ dataDir });
    try {
      const view = await awaitTerminal(restarted, 'web-001', 'orphan');
      expect(view).toMatchObject({ executionState: 'Failed', exitCode: -1 });
      expect(view.executionMessage).toContain('the emulator stopped while the script was running');
      await waitFor(async () => isGone(pid), 'the orphaned script to be killed', 5_000);
      expect(await restarted.admin.executionCount(restarted.vmId('web-001'), 'orphan')).toBe(1);
    } finally {
      await restarted.stop();
    }
  } finally {
    child.kill('SIGKILL');
  }
});
