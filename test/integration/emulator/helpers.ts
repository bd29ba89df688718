import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { ComputeManagementClient } from '@azure/arm-compute';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createComputeClient } from '../../../src/azure/clients';
import { EmulatorAdminClient, generateFleet, startEmulator, type EmulatorHandle, type EmulatorOptions, type FleetDefinition } from '../../../src/emulator';
import { testStack } from '../../harness/stack';

/** Shared set-up of the emulator's own tests: a real emulator over HTTPS, the real SDK, the real Azurite. */

export const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000e1';
export const RG = 'fleet-rg-01';
/** Poll fast: these tests run the emulator 100x faster than Azure. */
export const POLL = { updateIntervalInMs: 20 };

export interface EmulatorFixture {
  handle: EmulatorHandle;
  admin: EmulatorAdminClient;
  client: ComputeManagementClient;
  fleet: FleetDefinition;
  dataDir: string;
  /** Resource id of a standalone VM by name. */
  vmId(name: string): string;
  stop(): Promise<void>;
}

export function newDataDir(): string {
  return mkdtempSync(join(testStack().tmpDir, 'emulator-'));
}

export async function startTestEmulator(options: Partial<EmulatorOptions> & { throttlingOn?: boolean } = {}): Promise<EmulatorFixture> {
  const fleet = options.fleet ?? generateFleet({ vms: 6, subscriptionId: SUBSCRIPTION, resourceGroups: 1, scaleSets: 1, instancesPerScaleSet: 2 });
  const dataDir = options.dataDir ?? newDataDir();
  const { throttlingOn, ...rest } = options;
  const handle = await startEmulator({
    port: 0,
    timeScale: 0.01,
    instanceViewRefreshMs: 50,
    throttling: throttlingOn ? undefined : { enabled: false },
    ...rest,
    dataDir,
    fleet,
  });
  const admin = new EmulatorAdminClient({ adminUrl: handle.adminUrl, caCertPem: handle.caCertPem, token: handle.token });
  const client = createComputeClient({ armEndpoint: handle.endpoint, armCaFile: handle.caCertPath, armToken: handle.token }, SUBSCRIPTION);
  return {
    handle,
    admin,
    client,
    fleet,
    dataDir,
    vmId: (name) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${name}`,
    stop: () => handle.stop(),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test helper: bodies are checked field by field
}

/** One HTTPS request without the SDK, to check status codes, headers and bodies exactly. */
export function raw(
  handle: Pick<EmulatorHandle, 'endpoint' | 'caCertPem' | 'token'>,
  method: string,
  pathOrUrl: string,
  options: { token?: string | null; body?: unknown } = {},
): Promise<RawResponse> {
  const url = pathOrUrl.startsWith('https://') ? new URL(pathOrUrl) : new URL(pathOrUrl, handle.endpoint);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const token = options.token === undefined ? handle.token : options.token;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: handle.caCertPem,
        agent: false,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function runCommandPath(vm: string, name: string, apiVersion = '2026-03-01', query = ''): string {
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${vm}/runCommands/${name}?api-version=${apiVersion}${query}`;
}

export async function waitFor<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls the instance view until the script reached a terminal state. */
export async function awaitTerminal(fx: EmulatorFixture, vm: string, name: string): Promise<NonNullable<Awaited<ReturnType<ComputeManagementClient['virtualMachineRunCommands']['getByVirtualMachine']>>['instanceView']>> {
  return waitFor(async () => {
    const rc = await fx.client.virtualMachineRunCommands.getByVirtualMachine(RG, vm, name, { expand: 'instanceView' });
    const state = rc.instanceView?.executionState;
    return state && ['Succeeded', 'Failed', 'TimedOut', 'Canceled'].includes(state) ? rc.instanceView : undefined;
  }, `${vm}/${name} to finish`);
}

/** A blob in Azurite and a SAS URI to it (read, add, create, write), as fleetcmd mints them. */
export async function blobWithSas(container: string, blob: string): Promise<{ sasUri: string; read(): Promise<Buffer> }> {
  const { azurite } = testStack();
  const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const containerClient = service.getContainerClient(container);
  await containerClient.createIfNotExists();
  const blobClient = containerClient.getBlobClient(blob);
  const sas = generateBlobSASQueryParameters(
    { containerName: container, blobName: blob, permissions: BlobSASPermissions.parse('racw'), expiresOn: new Date(Date.now() + 3600_000) },
    credential,
  ).toString();
  return { sasUri: `${blobClient.url}?${sas}`, read: () => blobClient.downloadToBuffer() };
}

export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A killed grandchild may linger as a zombie when PID 1 does not reap: it runs nothing.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
