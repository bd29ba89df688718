import { raw, RG, runCommandPath, startTestEmulator, SUBSCRIPTION, type EmulatorFixture } from './helpers';

/** ARM's manners — api-version, tokens, roles, 404s, throttling with Retry-After. */

jest.setTimeout(30_000);

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startTestEmulator();
});
afterAll(() => fx.stop());

const putBody = { location: 'westus', properties: { source: { script: 'true' } } };
const rcPath = (name: string, apiVersion?: string): string => runCommandPath('web-001', name, apiVersion);

test('a request without api-version gets 400 MissingApiVersionParameter', async () => {
  const res = await raw(fx.handle, 'GET', rcPath('x').replace(/\?api-version=.*/, ''));
  expect(res.status).toBe(400);
  expect(res.json).toEqual({ error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } });
});

test('a request with an unknown api-version gets 400 InvalidApiVersionParameter', async () => {
  const res = await raw(fx.handle, 'GET', rcPath('x', '2099-01-01'));
  expect(res.status).toBe(400);
  expect(res.json.error.code).toBe('InvalidApiVersionParameter');
  expect(res.json.error.message).toMatch(/^The api-version '2099-01-01' is invalid\. The supported versions are '2026-03-01,.*2019-03-01'\.$/);
});

test('a request without a bearer token gets 401', async () => {
  const res = await raw(fx.handle, 'GET', rcPath('x'), { token: null });
  expect(res.status).toBe(401);
  expect(res.json.error.code).toBe('AuthenticationFailed');
  expect(res.headers['www-authenticate']).toContain('Bearer');
});

test('a request with an unknown token gets 401 InvalidAuthenticationToken', async () => {
  const res = await raw(fx.handle, 'GET', rcPath('x'), { token: 'not-a-token' });
  expect(res.status).toBe(401);
  expect(res.json.error.code).toBe('InvalidAuthenticationToken');
});

test('a read-only token may read but gets 403 AuthorizationFailed on writes', async () => {
  const reader = fx.handle.readOnlyToken;
  expect((await raw(fx.handle, 'GET', `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines?api-version=2026-03-01`, { token: reader })).status).toBe(200);
  const put = await raw(fx.handle, 'PUT', rcPath('reader'), { token: reader, body: putBody });
  expect(put.status).toBe(403);
  expect(put.headers['x-ms-failure-cause']).toBe('gateway');
  expect(put.json.error.code).toBe('AuthorizationFailed');
  expect(put.json.error.message).toContain("does not have authorization to perform action 'Microsoft.Compute/virtualMachines/runCommands/write'");
  const del = await raw(fx.handle, 'DELETE', rcPath('reader'), { token: reader });
  expect(del.status).toBe(403);
  expect(del.json.error.message).toContain('Microsoft.Compute/virtualMachines/runCommands/delete');
  const action = await raw(fx.handle, 'POST', `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/web-001/runCommand?api-version=2026-03-01`, {
    token: reader,
    body: { commandId: 'RunShellScript', script: ['true'] },
  });
  expect(action.status).toBe(403);
});

test('an unknown VM gets 404 ResourceNotFound in Azure words', async () => {
  const res = await raw(fx.handle, 'PUT', runCommandPath('no-such-vm', 'rc'), { body: putBody });
  expect(res.status).toBe(404);
  expect(res.json).toEqual({
    error: {
      code: 'ResourceNotFound',
      message: `The Resource 'Microsoft.Compute/virtualMachines/no-such-vm' under resource group '${RG}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    },
  });
});

test('an unknown run command gets 404 and an unknown resource group or subscription gets its own 404', async () => {
  const rc = await raw(fx.handle, 'GET', rcPath('never-created'));
  expect(rc.status).toBe(404);
  expect(rc.json.error.code).toBe('ResourceNotFound');
  expect(rc.json.error.message).toContain("'Microsoft.Compute/virtualMachines/web-001/runCommands/never-created'");
  const group = await raw(fx.handle, 'GET', `/subscriptions/${SUBSCRIPTION}/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines/web-001/runCommands?api-version=2026-03-01`);
  expect(group.json.error.code).toBe('ResourceGroupNotFound');
  const sub = await raw(fx.handle, 'GET', `/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Compute/virtualMachines?api-version=2026-03-01`);
  expect(sub.status).toBe(404);
  expect(sub.json.error.code).toBe('SubscriptionNotFound');
});

test('a malformed body gets 400 naming the field', async () => {
  const res = await raw(fx.handle, 'PUT', rcPath('bad-body'), { body: { location: 'westus', properties: { timeoutInSeconds: 'soon' } } });
  expect(res.status).toBe(400);
  expect(res.json.error.code).toBe('InvalidRequestContent');
  expect(res.json.error.message).toContain('properties.timeoutInSeconds');
});

test('responses carry x-ms-ratelimit-remaining headers that count down', async () => {
  const throttled = await startTestEmulator({ throttlingOn: true, timeScale: 1 });
  try {
    const first = await raw(throttled.handle, 'PUT', rcPath('count-1'), { body: putBody });
    const second = await raw(throttled.handle, 'PUT', rcPath('count-2'), { body: putBody });
    expect(first.headers['x-ms-ratelimit-remaining-resource']).toBe('Microsoft.Compute/UpdateVMResource;11,Microsoft.Compute/UpdateVMSubscriptionMaximum;1499');
    // The VM's bucket refills one token in 15 s: it counts down. The subscription's refills one in 0.12 s,
    // so on a busy machine the second request may find it refilled: it never counts up past the first.
    const [vmBucket, subscriptionBucket] = remaining(second.headers['x-ms-ratelimit-remaining-resource']);
    expect(vmBucket).toBe(10);
    expect(subscriptionBucket).toBeLessThanOrEqual(1499);
    expect(first.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
  } finally {
    await throttled.stop();
  }
});

test('a burst past the per-VM bucket gets 429 with Retry-After, and waiting that long succeeds', async () => {
  // Azure's own pace: the Update VM bucket (12) refills one token in 15 s, so the 13th request of the burst finds it empty
  // however slowly a busy machine sends them.
  const throttled = await startTestEmulator({ throttlingOn: true, timeScale: 1 });
  try {
    for (let i = 0; i < 12; i++) expect((await raw(throttled.handle, 'PUT', rcPath(`burst-${i}`), { body: putBody })).status).toBe(201);
    const rejected = await raw(throttled.handle, 'PUT', rcPath('burst-12'), { body: putBody });
    expect(rejected.status).toBe(429);
    const retryAfter = Number(rejected.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(rejected.json.error).toMatchObject({
      code: 'OperationNotAllowed',
      details: [{ code: 'TooManyRequests', target: 'UpdateVMResource' }],
      innererror: { internalErrorCode: 'TooManyRequestsReceived' },
    });
    // Another VM has its own bucket.
    expect((await raw(throttled.handle, 'PUT', runCommandPath('web-002', 'other-vm'), { body: putBody })).status).toBe(201);
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    expect((await raw(throttled.handle, 'PUT', rcPath('burst-12'), { body: putBody })).status).toBe(201);
  } finally {
    await throttled.stop();
  }
}, 60_000);

test('the per-subscription bucket throttles across VMs', async () => {
  const virtualMachines = Array.from({ length: 20 }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `vm-${i}` }));
  // Scale 0.01 at Azure's own pace: 15 Update VM requests per subscription, 1 per VM, no refill to speak of.
  const throttled = await startTestEmulator({ fleet: { virtualMachines }, throttlingOn: true, timeScale: 1, throttling: { enabled: true, scale: 0.01, arm: false } });
  try {
    const statuses = [];
    for (const vm of virtualMachines) statuses.push((await raw(throttled.handle, 'PUT', runCommandPath(vm.name, 'one-each'), { body: putBody })).status);
    expect(statuses.slice(0, 15)).toEqual(Array(15).fill(201));
    const res = await raw(throttled.handle, 'PUT', runCommandPath('vm-19', 'one-each'), { body: putBody });
    expect(res.status).toBe(429);
    expect(res.json.error.details[0].target).toBe('UpdateVMSubscriptionMaximum');
    expect(res.json.error.message).toBe('The server rejected the request because too many requests have been received for this subscription.');
  } finally {
    await throttled.stop();
  }
});

test("ARM's per-subscription read bucket answers SubscriptionRequestsThrottled", async () => {
  const throttled = await startTestEmulator({ throttlingOn: true, timeScale: 1, throttling: { enabled: true, scale: 0.01, arm: true } });
  try {
    // Scale 0.01: ARM allows 2 reads; each GET goes to another VM so Compute's per-VM buckets do not interfere.
    const vms = throttled.fleet.virtualMachines.map((v) => v.name);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await raw(throttled.handle, 'GET', runCommandPath(vms[i], 'none')));
    expect(statuses.map((s) => s.status)).toEqual([404, 404, 429]);
    expect(statuses[2].json.error.code).toBe('SubscriptionRequestsThrottled');
    expect(statuses[2].json.error.message).toContain("Number of 'read' requests for subscription");
    expect(Number(statuses[2].headers['retry-after'])).toBeGreaterThanOrEqual(1);
  } finally {
    await throttled.stop();
  }
});

/** The counts of an `x-ms-ratelimit-remaining-resource` header, in its order. */
function remaining(header: string | string[] | undefined): number[] {
  return String(header ?? '')
    .split(',')
    .map((policy) => Number(policy.split(';')[1]));
}
