import { POLL, RG, startTestEmulator, SUBSCRIPTION, type EmulatorFixture } from './helpers';

/** The unchanged ComputeManagementClient (v24) drives the emulator over HTTPS. */

jest.setTimeout(30_000);

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startTestEmulator();
});
afterAll(() => fx.stop());

const vm = 'web-001';

test('a VM run command goes through create, get with instanceView, list, update and delete', async () => {
  const ops = fx.client.virtualMachineRunCommands;
  const created = await ops.createOrUpdate(RG, vm, 'lifecycle', { location: 'westus', source: { script: 'echo "hello $GREETING"' }, parameters: [{ name: 'GREETING', value: 'world' }] }, POLL);
  expect(created.provisioningState).toBe('Succeeded');
  expect(created.id).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${vm}/runCommands/lifecycle`);

  const withView = await ops.getByVirtualMachine(RG, vm, 'lifecycle', { expand: 'instanceView' });
  expect(withView.instanceView).toMatchObject({ executionState: 'Succeeded', exitCode: 0, output: 'hello world\n', executionMessage: 'Execution completed' });

  const names: string[] = [];
  for await (const rc of ops.listByVirtualMachine(RG, vm)) names.push(rc.name ?? '');
  expect(names).toEqual(['lifecycle']);

  const updated = await ops.update(RG, vm, 'lifecycle', { source: { script: 'echo updated' } }, POLL);
  expect(updated.provisioningState).toBe('Succeeded');
  const after = await ops.getByVirtualMachine(RG, vm, 'lifecycle', { expand: 'instanceView' });
  expect(after.instanceView?.output).toBe('updated\n');

  await ops.delete(RG, vm, 'lifecycle', POLL);
  const left: string[] = [];
  for await (const rc of ops.listByVirtualMachine(RG, vm)) left.push(rc.name ?? '');
  expect(left).toEqual([]);
});

test('a scale-set VM run command goes through create, get with instanceView, list, update and delete', async () => {
  const ss = fx.fleet.virtualMachineScaleSets?.[0];
  if (!ss) throw new Error('fleet has no scale set');
  const ops = fx.client.virtualMachineScaleSetVMRunCommands;
  const created = await ops.createOrUpdate(RG, ss.name, '1', 'vmss-lifecycle', { location: 'westus', source: { script: 'echo from-instance' } }, POLL);
  expect(created.provisioningState).toBe('Succeeded');
  expect(created.type).toBe('Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands');

  const got = await ops.get(RG, ss.name, '1', 'vmss-lifecycle', { expand: 'instanceView' });
  expect(got.instanceView).toMatchObject({ executionState: 'Succeeded', output: 'from-instance\n' });

  const names: string[] = [];
  for await (const rc of ops.list(RG, ss.name, '1')) names.push(rc.name ?? '');
  expect(names).toEqual(['vmss-lifecycle']);

  await ops.update(RG, ss.name, '1', 'vmss-lifecycle', { source: { script: 'echo again' } }, POLL);
  expect((await ops.get(RG, ss.name, '1', 'vmss-lifecycle', { expand: 'instanceView' })).instanceView?.output).toBe('again\n');

  await ops.delete(RG, ss.name, '1', 'vmss-lifecycle', POLL);
  const left: string[] = [];
  for await (const rc of ops.list(RG, ss.name, '1')) left.push(rc.name ?? '');
  expect(left).toEqual([]);
});

test('the action Run Command returns RunCommandResult with [stdout] and [stderr]', async () => {
  const result = await fx.client.virtualMachines.runCommand(
    RG,
    'web-002',
    { commandId: 'RunShellScript', script: ['echo out $0 $1', 'echo err >&2'], parameters: [{ name: '', value: 'a' }, { name: '', value: 'b' }] },
    POLL,
  );
  expect(result.value).toEqual([
    { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: 'Enable succeeded: \n[stdout]\nout a b\n\n[stderr]\nerr\n' },
  ]);
});

test('VMs are listed by subscription and by resource group with their tags, paged by nextLink', async () => {
  const big = await startTestEmulator({ fleet: { virtualMachines: Array.from({ length: 230 }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: i % 2 ? RG : 'other-rg', name: `vm-${i}`, tags: { role: i % 3 ? 'web' : 'db' } })) } });
  try {
    const all = [];
    for await (const v of big.client.virtualMachines.listAll()) all.push(v);
    expect(all).toHaveLength(230);
    const inGroup = [];
    for await (const v of big.client.virtualMachines.list(RG)) inGroup.push(v);
    expect(inGroup).toHaveLength(115);
    expect(inGroup.every((v) => v.id?.includes(`/resourceGroups/${RG}/`))).toBe(true);
    expect(all.find((v) => v.name === 'vm-3')?.tags).toEqual({ role: 'db' });
  } finally {
    await big.stop();
  }
});

test('scale sets and their instances are listed', async () => {
  const sets = [];
  for await (const ss of fx.client.virtualMachineScaleSets.listAll()) sets.push(ss);
  expect(sets.map((s) => s.name)).toEqual(['web-vmss']);
  expect(sets[0].tags).toEqual({ role: 'web', env: 'prod' });
  const instances = [];
  for await (const i of fx.client.virtualMachineScaleSetVMs.list(RG, 'web-vmss')) instances.push(i);
  expect(instances.map((i) => i.instanceId)).toEqual(['0', '1']);
});

test('the built-in command documents of a location are listed and RunShellScript carries its script', async () => {
  const docs = [];
  for await (const d of fx.client.virtualMachineRunCommands.list('westus')) docs.push(d);
  expect(docs).toHaveLength(15);
  const doc = await fx.client.virtualMachineRunCommands.get('westus', 'RunShellScript');
  expect(doc.script).toEqual(['echo This is a sample script', 'echo Optional parameters: $0 $1']);
  expect(doc.osType).toBe('Linux');
});
