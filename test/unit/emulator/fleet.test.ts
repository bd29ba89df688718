import { Fleet, generateFleet } from '../../../src/emulator/fleet';

test('a generated fleet spreads VMs over resource groups with role and env tags, plus scale sets', () => {
  const fleet = generateFleet({ vms: 10, resourceGroups: 3 });
  expect(fleet.virtualMachines).toHaveLength(10);
  expect(new Set(fleet.virtualMachines.map((v) => v.resourceGroup))).toEqual(new Set(['fleet-rg-01', 'fleet-rg-02', 'fleet-rg-03']));
  expect(fleet.virtualMachines.map((v) => v.tags?.role)).toEqual(['web', 'web', 'web', 'db', 'cache', 'web', 'web', 'web', 'db', 'cache']);
  expect(fleet.virtualMachines[9].tags?.env).toBe('staging');
  expect(fleet.virtualMachineScaleSets?.map((s) => s.name)).toEqual(['web-vmss', 'cache-vmss']);
});

test('generation is deterministic', () => {
  expect(generateFleet({ vms: 50 })).toEqual(generateFleet({ vms: 50 }));
});

test('the index finds VMs and scale-set instances case-insensitively and by resource id', () => {
  const fleet = new Fleet(generateFleet({ vms: 3, resourceGroups: 1 }));
  const vm = fleet.vm('00000000-0000-0000-0000-000000000000', 'FLEET-RG-01', 'WEB-001');
  expect(vm?.name).toBe('web-001');
  expect(fleet.byId(vm?.id.toUpperCase() ?? '')).toBe(vm);
  const instance = fleet.scaleSetVm('00000000-0000-0000-0000-000000000000', 'fleet-rg-01', 'web-vmss', '2');
  expect(instance?.name).toBe('web-vmss_2');
  expect(fleet.vm('00000000-0000-0000-0000-000000000000', 'fleet-rg-01', 'web-vmss')).toBeUndefined();
  expect(fleet.size).toBe(3 + 6);
});

test('a duplicate VM is refused', () => {
  expect(() => new Fleet({ virtualMachines: [{ resourceGroup: 'rg', name: 'a' }, { resourceGroup: 'RG', name: 'A' }] })).toThrow(/duplicate VM/);
});
