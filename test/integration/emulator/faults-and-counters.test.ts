import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmulatorAdminClient, EmulatorAdminError } from '../../../src/emulator/admin-client';
import { testStack } from '../../harness/stack';
import { awaitTerminal, isGone, POLL, raw, RG, runCommandPath, startTestEmulator, SUBSCRIPTION, waitFor, type EmulatorFixture } from './helpers';

/** Every fault and every counter of the admin path, proven. */

jest.setTimeout(30_000);

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startTestEmulator({ fleet: { virtualMachines: Array.from({ length: 8 }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `vm-${i + 1}` })) } });
});
afterEach(() => fx.admin.clearFaults());
afterAll(() => fx.stop());

const putBody = (script: string): unknown => ({ location: 'westus', properties: { source: { script } } });

function startPut(vm: string, name: string, script: string): void {
  void fx.client.virtualMachineRunCommands.createOrUpdate(RG, vm, name, { location: 'westus', source: { script } }, POLL).catch(() => undefined);
}

// ---------------------------------------------------------------- faults

test('injected latency delays ARM requests but not the admin path', async () => {
  await fx.admin.setRequestFaults({ latencyMs: 400 });
  let started = Date.now();
  await raw(fx.handle, 'GET', runCommandPath('vm-1', 'none'));
  expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  started = Date.now();
  await fx.admin.health();
  expect(Date.now() - started).toBeLessThan(300);
});

test('an injected 5xx rate answers server errors in ARM shape', async () => {
  await fx.admin.setRequestFaults({ serverErrorRate: 1, serverErrorStatus: 503 });
  const res = await raw(fx.handle, 'GET', runCommandPath('vm-1', 'none'));
  expect(res.status).toBe(503);
  expect(res.json.error.code).toBe('ServiceUnavailable');
  await fx.admin.setRequestFaults({ serverErrorRate: 1 });
  expect((await raw(fx.handle, 'GET', runCommandPath('vm-1', 'none'))).status).toBe(500);
});

test('an injected connection-reset rate drops connections without an answer', async () => {
  await fx.admin.setRequestFaults({ connectionResetRate: 1 });
  await expect(raw(fx.handle, 'GET', runCommandPath('vm-1', 'none'))).rejects.toThrow(/socket hang up|ECONNRESET/);
});

test("a reset after handling loses the answer but the write took effect (the script ran once)", async () => {
  await fx.admin.setRequestFaults({ connectionResetRate: 1, phase: 'after' });
  await expect(raw(fx.handle, 'PUT', runCommandPath('vm-2', 'lost-answer'), { body: putBody('echo ran') })).rejects.toThrow();
  await fx.admin.clearFaults();
  expect((await awaitTerminal(fx, 'vm-2', 'lost-answer')).output).toBe('ran\n');
  expect(await fx.admin.executionCount(fx.vmId('vm-2'), 'lost-answer')).toBe(1);
});

test('a hung agent leaves the instance view at Running and the operation in progress until it recovers', async () => {
  await fx.admin.setVmFaults({ vm: fx.vmId('vm-3'), hungAgent: true });
  const put = await raw(fx.handle, 'PUT', runCommandPath('vm-3', 'hung'), { body: putBody('echo done') });
  await waitFor(async () => (await fx.admin.executionCount(fx.vmId('vm-3'), 'hung')) === 1, 'the script to run');
  await new Promise((r) => setTimeout(r, 300));
  const stuck = await raw(fx.handle, 'GET', runCommandPath('vm-3', 'hung', '2026-03-01', '&$expand=instanceView'));
  expect(stuck.json.properties.provisioningState).toBe('Creating');
  expect(stuck.json.properties.instanceView.executionState).toBe('Running');
  expect((await raw(fx.handle, 'GET', String(put.headers['azure-asyncoperation']))).json.status).toBe('InProgress');
  await fx.admin.setVmFaults({ vm: fx.vmId('vm-3'), hungAgent: false });
  expect((await awaitTerminal(fx, 'vm-3', 'hung')).output).toBe('done\n');
  expect((await raw(fx.handle, 'GET', String(put.headers['azure-asyncoperation']))).json.status).toBe('Succeeded');
});

test('an agent crash mid-script kills the script and reports it Failed', async () => {
  const pidDir = mkdtempSync(join(testStack().tmpDir, 'crash-'));
  await fx.admin.setVmFaults({ vm: fx.vmId('vm-4'), agentCrash: { afterMs: 300 } });
  startPut('vm-4', 'crashing', `echo $$ > ${pidDir}/pid; echo before; sleep 30`);
  const view = await awaitTerminal(fx, 'vm-4', 'crashing');
  expect(view).toMatchObject({ executionState: 'Failed', exitCode: -1, output: 'before\n' });
  expect(view.executionMessage).toContain('terminated unexpectedly');
  expect(isGone(Number(readFileSync(join(pidDir, 'pid'), 'utf8')))).toBe(true);
  // One-shot: the next script runs normally.
  startPut('vm-4', 'after-crash', 'echo fine');
  expect((await awaitTerminal(fx, 'vm-4', 'after-crash')).executionState).toBe('Succeeded');
});

test('a deallocated VM refuses run command writes with 409 and kills what was running', async () => {
  startPut('vm-5', 'interrupted', 'sleep 30');
  await waitFor(async () => (await fx.admin.counters({ vm: fx.vmId('vm-5') })).concurrency.current === 1, 'the script to start');
  await fx.admin.setVmFaults({ vm: fx.vmId('vm-5'), deallocated: true });
  expect(await awaitTerminal(fx, 'vm-5', 'interrupted')).toMatchObject({ executionState: 'Failed', exitCode: -1 });
  const res = await raw(fx.handle, 'PUT', runCommandPath('vm-5', 'refused'), { body: putBody('true') });
  expect(res.status).toBe(409);
  expect(res.json.error).toEqual({ code: 'OperationNotAllowed', message: 'Cannot modify extensions in the VM when the VM is not running.' });
  const vm = await fx.client.virtualMachines.get(RG, 'vm-5', { expand: 'instanceView' });
  expect(vm.instanceView?.statuses?.map((s) => s.code)).toContain('PowerState/deallocated');
});

// ---------------------------------------------------------------- counters

test('executions are counted per (VM, run command) and every run is recorded with times, exit code and pid', async () => {
  await fx.admin.reset('counters');
  await fx.client.virtualMachineRunCommands.createOrUpdate(RG, 'vm-6', 'counted', { location: 'westus', source: { script: 'exit 4' } }, POLL);
  await awaitTerminal(fx, 'vm-6', 'counted');
  await fx.client.virtualMachineRunCommands.update(RG, 'vm-6', 'counted', { source: { script: 'exit 0' } }, POLL);
  await awaitTerminal(fx, 'vm-6', 'counted');
  await fx.client.virtualMachineRunCommands.createOrUpdate(RG, 'vm-7', 'counted', { location: 'westus', source: { script: 'true' } }, POLL);
  await awaitTerminal(fx, 'vm-7', 'counted');
  expect(await fx.admin.executionCount(fx.vmId('vm-6'), 'counted')).toBe(2);
  expect(await fx.admin.executionCount(fx.vmId('vm-7'), 'counted')).toBe(1);
  const runs = await fx.admin.runs({ vm: fx.vmId('vm-6'), runCommand: 'counted' });
  expect(runs.map((r) => r.exitCode)).toEqual([4, 0]);
  for (const run of runs) {
    expect(run.pid).toBeGreaterThan(0);
    expect(Date.parse(run.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(run.startedAt));
  }
});

test('peak concurrency is measured overall and per VM', async () => {
  await fx.admin.reset('counters');
  startPut('vm-8', 'a', 'sleep 0.6');
  startPut('vm-8', 'b', 'sleep 0.6');
  startPut('vm-7', 'c', 'sleep 0.6');
  await waitFor(async () => (await fx.admin.counters()).concurrency.current === 3, 'three scripts at once');
  await waitFor(async () => (await fx.admin.counters()).concurrency.current === 0, 'the scripts to end');
  expect(await fx.admin.peakConcurrency()).toBe(3);
  expect(await fx.admin.peakConcurrency(fx.vmId('vm-8'))).toBe(2);
  expect(await fx.admin.peakConcurrency(fx.vmId('vm-7'))).toBe(1);
});

test('requests and 429s are counted (by status and by method), and reset zeroes the counters', async () => {
  await fx.admin.reset('counters');
  await fx.admin.setThrottling({ enabled: true, scale: 0.01, arm: false });
  try {
    await raw(fx.handle, 'GET', runCommandPath('vm-1', 'none'));
    await raw(fx.handle, 'GET', runCommandPath('vm-1', 'none'));
    const { requests } = await fx.admin.counters();
    // Other tests' stragglers (a late operation poll) may land after the reset: count by status.
    expect(requests.throttled).toBe(1);
    expect(requests.byStatus['404']).toBe(1);
    expect(requests.byStatus['429']).toBe(1);
    expect(requests.total).toBeGreaterThanOrEqual(2);
    expect(requests.byMethod.GET).toBeGreaterThanOrEqual(2);
    expect(Object.values(requests.byMethod).reduce((a, n) => a + n, 0)).toBe(requests.total);
  } finally {
    await fx.admin.setThrottling({ enabled: false });
  }
  await fx.admin.reset('counters');
  expect((await fx.admin.counters()).requests.total).toBe(0);
});

test('reset all removes run commands and kills their scripts but keeps the fleet', async () => {
  startPut('vm-1', 'long', 'sleep 30');
  await waitFor(async () => (await fx.admin.counters({ vm: fx.vmId('vm-1'), runCommand: 'long' })).runs.find((r) => r.pid), 'the script to start');
  const [run] = (await fx.admin.counters({ vm: fx.vmId('vm-1'), runCommand: 'long' })).runs;
  await fx.admin.reset('all');
  expect(isGone(run.pid ?? -1)).toBe(true);
  expect((await raw(fx.handle, 'GET', runCommandPath('vm-1', 'long'))).status).toBe(404);
  expect((await fx.admin.getFleet()).virtualMachines).toHaveLength(8);
});

// ---------------------------------------------------------------- the admin path itself

test('bad admin input gets 400 naming the field', async () => {
  await expect(fx.admin.setVmFaults({ vm: fx.vmId('vm-1'), hungAgent: 'yes' as unknown as boolean })).rejects.toThrow(/hungAgent/);
  await expect(fx.admin.setVmFaults({ vm: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/z' })).rejects.toThrow(/^emulator admin 400 InvalidAdminRequest: vm: no VM/);
  const error = await fx.admin.defineFleet({ virtualMachines: [{ resourceGroup: RG, name: '' }] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(EmulatorAdminError);
  expect((error as EmulatorAdminError).message).toContain('virtualMachines[0].name');
});

test('the admin path wants the contributor token', async () => {
  const anonymous = new EmulatorAdminClient({ adminUrl: fx.handle.adminUrl, caCertPem: fx.handle.caCertPem, token: 'wrong' });
  await expect(anonymous.health()).rejects.toMatchObject({ status: 401 });
});

test('a fleet defined on the admin path is what ARM lists', async () => {
  const other = await startTestEmulator({ fleet: { virtualMachines: [] } });
  try {
    await other.admin.generateFleet({ vms: 7, subscriptionId: SUBSCRIPTION, resourceGroups: 2, scaleSets: 1, instancesPerScaleSet: 2 });
    const names = [];
    for await (const vm of other.client.virtualMachines.listAll()) names.push(vm.name);
    expect(names).toHaveLength(7);
    const instances = [];
    for await (const vm of other.client.virtualMachineScaleSetVMs.list('fleet-rg-01', 'web-vmss')) instances.push(vm.instanceId);
    expect(instances).toEqual(['0', '1']);
  } finally {
    await other.stop();
  }
});
