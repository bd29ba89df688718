import { Throttle } from '../../../src/emulator/throttle';

const vmWrite = { policy: 'UpdateVM' as const, subscriptionId: 'sub', resourceKey: 'sub/rg/vm1', principal: 'p', armClass: 'writes' as const };

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('a VM may make 12 Update VM requests at once and the 13th is throttled', () => {
  const c = clock();
  const throttle = new Throttle({ enabled: true, scale: 1, arm: true }, 1, c.now);
  for (let i = 0; i < 12; i++) expect(throttle.admit(vmWrite).rejection).toBeUndefined();
  const decision = throttle.admit(vmWrite);
  expect(decision.rejection?.status).toBe(429);
  expect(decision.rejection?.body.details?.[0].target).toBe('UpdateVMResource');
  // 4 per minute: one token after 15 s.
  expect(decision.headers['retry-after']).toBe('15');
});

test('the bucket refills at 4 per minute, timeScale times faster', () => {
  const c = clock();
  const throttle = new Throttle({ enabled: true, scale: 1, arm: false }, 0.01, c.now);
  for (let i = 0; i < 12; i++) throttle.admit(vmWrite);
  expect(throttle.admit(vmWrite).rejection).toBeDefined();
  c.advance(150); // 15 s / 100
  expect(throttle.admit(vmWrite).rejection).toBeUndefined();
});

test('remaining counts are reported per resource and per subscription', () => {
  const throttle = new Throttle({ enabled: true, scale: 1, arm: true }, 1, clock().now);
  const { headers } = throttle.admit(vmWrite);
  expect(headers['x-ms-ratelimit-remaining-resource']).toBe('Microsoft.Compute/UpdateVMResource;11,Microsoft.Compute/UpdateVMSubscriptionMaximum;1499');
  expect(headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
});

test('scale multiplies bucket sizes', () => {
  const throttle = new Throttle({ enabled: true, scale: 2, arm: false }, 1, clock().now);
  for (let i = 0; i < 24; i++) expect(throttle.admit(vmWrite).rejection).toBeUndefined();
  expect(throttle.admit(vmWrite).rejection).toBeDefined();
});

test('disabled throttling never rejects and reports full buckets', () => {
  const throttle = new Throttle({ enabled: false, scale: 1, arm: true }, 1, clock().now);
  for (let i = 0; i < 100; i++) expect(throttle.admit(vmWrite).rejection).toBeUndefined();
  expect(throttle.admit(vmWrite).headers['x-ms-ratelimit-remaining-resource']).toContain('UpdateVMResource;11');
});

test("ARM's write bucket is per subscription and principal", () => {
  const throttle = new Throttle({ enabled: true, scale: 0.01, arm: true }, 1, clock().now);
  const request = (vm: string, principal: string) => ({ ...vmWrite, policy: 'LowCostGet' as const, resourceKey: vm, principal });
  expect(throttle.admit(request('a', 'p1')).rejection).toBeUndefined();
  expect(throttle.admit(request('b', 'p1')).rejection).toBeUndefined();
  expect(throttle.admit(request('c', 'p1')).rejection?.body.code).toBe('SubscriptionRequestsThrottled');
  expect(throttle.admit(request('d', 'p2')).rejection).toBeUndefined();
});
