import { Pacer, armClassOf, subscriptionOfUrl, vmKeyOfUrl } from '../../../src/activities/pacing';

const SUB = '00000000-0000-0000-0000-000000000000';
const VM = `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm-1`;
const headers = (h: Record<string, string>) => ({ get: (name: string) => h[name] });

function pacerAt(start = 0) {
  let now = start;
  const pacer = new Pacer(1, () => now);
  return { pacer, advance: (ms: number) => void (now += ms) };
}

test('a bucket never observed costs no wait', () => {
  const { pacer } = pacerAt();
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' })).toBe(0);
});

test('with tokens to spare a write goes at once', () => {
  const { pacer } = pacerAt();
  pacer.observe({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' }, headers({ 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/UpdateVMResource;11,Microsoft.Compute/UpdateVMSubscriptionMaximum;1499', 'x-ms-ratelimit-remaining-subscription-writes': '199' }));
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' })).toBe(0);
});

test("an exhausted per-VM bucket waits for Azure's refill (4 per minute: 15 s a token)", () => {
  const { pacer } = pacerAt();
  pacer.observe({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' }, headers({ 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/UpdateVMResource;0,Microsoft.Compute/UpdateVMSubscriptionMaximum;1400' }));
  // One token is kept in reserve, so two are needed: 30 s.
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' })).toBe(30_000);
  // The next write queues behind it.
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' })).toBe(45_000);
});

test('refill over time shortens the wait', () => {
  const { pacer, advance } = pacerAt();
  pacer.observe({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' }, headers({ 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/UpdateVMResource;0' }));
  advance(20_000);
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' })).toBe(10_000);
});

test("ARM's per-subscription writes bucket (10 per second) paces writes too", () => {
  const { pacer } = pacerAt();
  pacer.observe({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' }, headers({ 'x-ms-ratelimit-remaining-subscription-writes': '0' }));
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: `${VM}-other`, armClass: 'writes' })).toBe(200);
});

test('the emulator\'s faster refill is taken into account', () => {
  const now = 0;
  const pacer = new Pacer(100, () => now);
  pacer.observe({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' }, headers({ 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/UpdateVMResource;0' }));
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'writes' })).toBe(300);
});

test('URLs name their subscription, VM and ARM class', () => {
  const url = `https://management.azure.com/subscriptions/${SUB}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM-1/runCommands/x?api-version=2026-03-01`;
  expect(subscriptionOfUrl(url)).toBe(SUB);
  expect(vmKeyOfUrl(url)).toBe(VM);
  expect(vmKeyOfUrl(`https://h/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/3/runCommands/x`)).toBe(
    `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/ss/virtualmachines/3`,
  );
  expect([armClassOf('GET'), armClassOf('PUT'), armClassOf('DELETE')]).toEqual(['reads', 'writes', 'deletes']);
});

test('a request deferred beyond maxWaitMs takes no token, so deferred requests do not push each other back', () => {
  const { pacer } = pacerAt();
  pacer.observe({ subscriptionId: SUB, resourceKey: VM, armClass: 'reads' }, headers({ 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/LowCostGetResource;0' }));
  const first = pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'reads' }, { maxWaitMs: 0 });
  const second = pacer.reserve({ subscriptionId: SUB, resourceKey: VM, armClass: 'reads' }, { maxWaitMs: 0 });
  expect(first).toBe(10_000);
  expect(second).toBe(first);
});

test('buckets of VMs not heard of for 30 minutes are forgotten (they have refilled), so a long-lived worker stays small', () => {
  const { pacer, advance } = pacerAt(1_000);
  const vm = (i: number) => `/subscriptions/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm-${i}`;
  const exhausted = headers({ 'x-ms-ratelimit-remaining-resource': 'Microsoft.Compute/UpdateVMResource;0,Microsoft.Compute/UpdateVMSubscriptionMaximum;1400' });
  for (let i = 0; i < 100; i++) pacer.observe({ subscriptionId: SUB, resourceKey: vm(i), armClass: 'writes' }, exhausted);
  expect(pacer.size).toBe(101); // 100 per-VM buckets and the subscription's
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: vm(0), armClass: 'writes' })).toBeGreaterThan(0);

  advance(31 * 60_000);
  pacer.observe({ subscriptionId: SUB, resourceKey: vm(100), armClass: 'writes' }, exhausted);
  expect(pacer.size).toBe(2); // the new VM's and the subscription's, just observed again
  expect(pacer.reserve({ subscriptionId: SUB, resourceKey: vm(0), armClass: 'writes' })).toBe(0);
});
