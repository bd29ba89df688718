import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { raw, startTestEmulator, type EmulatorFixture, type RawResponse } from './helpers';

/**
 * Replays the request sequences Azure recorded (azure-cli's recordings in
 * test/fixtures/azure-recordings; their README names each one's source)
 * against the emulator, and checks status codes, LRO headers, body keys,
 * throttling policy families and provisioningState transitions. Operation
 * ids differ, so recorded operation URLs are mapped to the ones the emulator
 * handed out for the same write.
 */

const RECORDINGS = join(__dirname, '..', '..', 'fixtures', 'azure-recordings');
const RECORDED_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

interface Interaction {
  request: { method: string; uri: string; body: string | null };
  response: { status: { code: number }; headers: Record<string, string[]>; body: { string: string } };
}

function load(file: string): Interaction[] {
  return (parse(readFileSync(join(RECORDINGS, file), 'utf8')) as { interactions: Interaction[] }).interactions;
}

/** The recorded action script installs nginx with apt-get: scripts run for real here, so it is swapped for a harmless one. */
function safeBody(body: string | null): unknown {
  if (body === null) return undefined;
  const parsed = JSON.parse(body) as { script?: string[] };
  // The short sleep keeps the first recorded poll (InProgress) observable.
  if (parsed.script) parsed.script = ['sleep 0.3', 'echo replayed action', 'echo to stderr >&2'];
  return parsed;
}

function keys(value: unknown): string[] {
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).filter((k) => k !== 'tags').sort() : [];
}

/** "Microsoft.Compute/UpdateVM3Min;239,..." -> ["UpdateVM"]; ours say "UpdateVMResource"/"UpdateVMSubscriptionMaximum". */
function policyFamilies(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return [...new Set(text.split(',').filter(Boolean).map((p) => p.split(';')[0].replace(/^Microsoft\.Compute\//, '').replace(/(3Min|30Min|Resource|SubscriptionMaximum)$/, '')))];
}

function operationId(url: string): string {
  return /\/operations\/([^?]+)/.exec(url)?.[1] ?? '';
}

function provisioningState(body: unknown): string | undefined {
  return (body as { properties?: { provisioningState?: string } } | undefined)?.properties?.provisioningState;
}

async function replay(fx: EmulatorFixture, interactions: Interaction[]): Promise<string[]> {
  const operations = new Map<string, { asyncOperation: string; location?: string }>();
  const transitions: string[] = [];
  for (const [index, { request, response }] of interactions.entries()) {
    const recordedUrl = new URL(request.uri);
    const recordedBody = response.body.string ? (JSON.parse(response.body.string) as unknown) : undefined;
    const where = `#${index} ${request.method} ${recordedUrl.pathname}`;
    let url = `${recordedUrl.pathname}${recordedUrl.search}`;
    const isOperation = /\/operations\//.test(recordedUrl.pathname);
    if (isOperation) {
      const ours = operations.get(operationId(request.uri));
      if (!ours) throw new Error(`${where}: no operation of ours for the recorded one`);
      url = recordedUrl.searchParams.get('monitor') === 'true' ? (ours.location ?? `${ours.asyncOperation}&monitor=true`) : ours.asyncOperation;
    }

    let actual: RawResponse;
    const deadline = Date.now() + 15_000;
    for (;;) {
      actual = await raw(fx.handle, request.method, url, { body: safeBody(request.body) });
      if (request.method !== 'GET') break;
      // Azure's client waited for these states; so do we (the emulator may still be on its way).
      const settled = isOperation
        ? recordedUrl.searchParams.get('monitor') === 'true'
          ? actual.status === response.status.code
          : (actual.json as { status?: string }).status === (recordedBody as { status?: string }).status
        : provisioningState(actual.json) === provisioningState(recordedBody);
      if (settled || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 25));
    }

    expect({ where, status: actual.status }).toEqual({ where, status: response.status.code });
    const recordedHeaders = response.headers;
    for (const lro of ['azure-asyncoperation', 'location']) {
      expect({ where, [lro]: Boolean(actual.headers[lro]) }).toEqual({ where, [lro]: Boolean(recordedHeaders[lro]) });
    }
    if (recordedHeaders.location && !isOperation) expect(String(actual.headers.location)).toContain('monitor=true');
    for (const name of Object.keys(recordedHeaders).filter((h) => h.startsWith('x-ms-ratelimit-remaining'))) {
      expect({ where, [name]: actual.headers[name] !== undefined }).toEqual({ where, [name]: true });
    }
    if (recordedHeaders['x-ms-ratelimit-remaining-resource']) {
      expect({ where, families: policyFamilies(actual.headers['x-ms-ratelimit-remaining-resource']) }).toEqual({
        where,
        families: policyFamilies(recordedHeaders['x-ms-ratelimit-remaining-resource']),
      });
    }
    expect({ where, keys: keys(actual.json) }).toEqual({ where, keys: keys(recordedBody) });
    const recordedProperties = (recordedBody as { properties?: unknown } | undefined)?.properties;
    if (recordedProperties && !isOperation) {
      expect({ where, keys: keys((actual.json as { properties?: unknown }).properties) }).toEqual({ where, keys: keys(recordedProperties) });
    }
    const state = provisioningState(actual.json);
    if (state && /\/runCommands\//.test(recordedUrl.pathname)) transitions.push(`${request.method} ${state}`);
    if (isOperation && !recordedUrl.searchParams.get('monitor')) transitions.push(`operation ${(actual.json as { status: string }).status}`);

    const asyncOperation = actual.headers['azure-asyncoperation'];
    if (typeof asyncOperation === 'string') {
      const recordedOperation = recordedHeaders['azure-asyncoperation'][0];
      const location = actual.headers.location;
      operations.set(operationId(recordedOperation), { asyncOperation, location: typeof location === 'string' ? location : undefined });
    }
  }
  return transitions;
}

jest.setTimeout(30_000);

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startTestEmulator({
    fleet: {
      virtualMachines: [
        { subscriptionId: RECORDED_SUBSCRIPTION, resourceGroup: 'cli_test_vm_run_command_v2000001', name: 'vm-000002', location: 'westus' },
        { subscriptionId: RECORDED_SUBSCRIPTION, resourceGroup: 'cli_test_vm_run_command000001', name: 'test-run-command-vm', location: 'westus' },
      ],
    },
  });
});
afterAll(() => fx.stop());

test('the managed run command session (test_run_command_v2.yaml) replays with the recorded codes, headers, keys and states', async () => {
  const interactions = load('test_run_command_v2.yaml');
  const transitions = await replay(fx, interactions);
  expect(transitions).toEqual([
    'PUT Creating',
    'operation Succeeded',
    'GET Succeeded',
    'GET Succeeded',
    'PATCH Updating',
    'operation Succeeded',
    'GET Succeeded',
    'GET Succeeded',
    'operation Succeeded',
  ]);
});

test('an empty source is reported as the recording shows: Running, exit 0, the configuration error, start == end', async () => {
  const interactions = load('test_run_command_v2.yaml');
  const recorded = JSON.parse(interactions[3].response.body.string) as { properties: { instanceView: Record<string, unknown> } };
  const path = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/cli_test_vm_run_command_v2000001/providers/Microsoft.Compute/virtualMachines/vm-000002/runCommands/empty-source?api-version=2022-03-01';
  await raw(fx.handle, 'PUT', path, { body: { location: 'westus', properties: { source: {}, asyncExecution: false } } });
  const view = await (async () => {
    for (;;) {
      const got = await raw(fx.handle, 'GET', `${path}&$expand=instanceView`);
      if (got.json.properties.provisioningState === 'Succeeded') return got.json.properties.instanceView as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const { startTime: _s, endTime: _e, ...recordedRest } = recorded.properties.instanceView;
  expect(view).toMatchObject(recordedRest);
  expect(view.startTime).toBe(view.endTime);
  expect(String(view.startTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
});

test('the action Run Command session (test_vm_run_command_e2e.yaml) replays with the recorded codes, headers, keys and result shape', async () => {
  const interactions = load('test_vm_run_command_e2e.yaml');
  const transitions = await replay(fx, interactions);
  expect(transitions).toEqual(['operation InProgress', 'operation Succeeded']);
  const documents = await raw(fx.handle, 'GET', new URL(interactions[0].request.uri).pathname + new URL(interactions[0].request.uri).search);
  expect(documents.json).toEqual(JSON.parse(interactions[0].response.body.string));
  const document = await raw(fx.handle, 'GET', new URL(interactions[1].request.uri).pathname + new URL(interactions[1].request.uri).search);
  expect(document.json).toEqual(JSON.parse(interactions[1].response.body.string));
});

test('operation times carry 7 fractional digits and resource times whole seconds, as recorded', async () => {
  const put = await raw(fx.handle, 'PUT', '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/cli_test_vm_run_command_v2000001/providers/Microsoft.Compute/virtualMachines/vm-000002/runCommands/times?api-version=2022-03-01', {
    body: { location: 'westus', properties: { source: { script: 'true' } } },
  });
  let op: RawResponse;
  do {
    op = await raw(fx.handle, 'GET', String(put.headers['azure-asyncoperation']));
  } while (op.json.status === 'InProgress');
  expect(op.json.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$/);
  expect(op.json.endTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$/);
  expect(Object.keys(op.json)).toEqual(['startTime', 'endTime', 'status', 'name']);
});
