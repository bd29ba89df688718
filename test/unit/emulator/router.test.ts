import { routeArmPath } from '../../../src/emulator/router';

const base = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute';

test('VM run command paths are routed, fixed segments case-insensitively', () => {
  expect(routeArmPath(`${base}/virtualMachines/vm1/runCommands/rc`)).toEqual({ kind: 'runCommand', subscriptionId: 's', resourceGroup: 'rg', target: { kind: 'vm', vmName: 'vm1' }, runCommandName: 'rc' });
  expect(routeArmPath('/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1/runcommands')?.kind).toBe('runCommandList');
  expect(routeArmPath(`${base}/virtualMachines/vm1/runCommand`)?.kind).toBe('actionRunCommand');
});

test('scale-set VM run command paths are routed', () => {
  expect(routeArmPath(`${base}/virtualMachineScaleSets/ss/virtualMachines/3/runCommands/rc`)).toEqual({
    kind: 'runCommand',
    subscriptionId: 's',
    resourceGroup: 'rg',
    target: { kind: 'scaleSetVm', scaleSet: 'ss', instanceId: '3' },
    runCommandName: 'rc',
  });
});

test('location paths are routed to documents and operations', () => {
  expect(routeArmPath('/subscriptions/s/providers/Microsoft.Compute/locations/westus/runCommands/RunShellScript')?.kind).toBe('commandDocument');
  expect(routeArmPath('/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/abc')).toEqual({ kind: 'operation', subscriptionId: 's', location: 'westus', operationId: 'abc' });
});

test('unknown paths are not routed', () => {
  expect(routeArmPath('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts')).toBeUndefined();
  expect(routeArmPath(`${base}/virtualMachines/vm1/extensions/x`)).toBeUndefined();
  expect(routeArmPath('/nothing')).toBeUndefined();
});
