/**
 * How fast the emulator answers the rollout's hot request (GET a run command
 * with $expand=instanceView), and what 10,000 idle simulated VMs cost.
 *
 *   npx ts-node --transpile-only bench/emulator.ts [--vms 10000] [--seconds 10] [--concurrency 64]
 *
 * The emulator runs as its own process (as `fleetcmd emulator` does), so the
 * load generator and the server each get a core. Two load generators, one
 * after the other: the real ComputeManagementClient with a keep-alive agent,
 * and raw HTTPS requests on keep-alive sockets (the emulator's own ceiling).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createComputeClient } from '../src/azure/clients';
import { EmulatorAdminClient } from '../src/emulator/admin-client';

const SUBSCRIPTION = '00000000-0000-0000-0000-00000000be0c';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const vms = arg('vms', 10_000);
const seconds = arg('seconds', 10);
const concurrency = arg('concurrency', 64);
const targets = 50;

interface Ready {
  endpoint: string;
  caCertPath: string;
  token: string;
  adminUrl: string;
}

async function load(label: string, once: (i: number) => Promise<void>): Promise<{ label: string; requests: number; perSecond: number; errors: number }> {
  let requests = 0;
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let i = worker;
      while (Date.now() < deadline) {
        try {
          await once(i++);
          requests += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  return { label, requests, perSecond: Math.round(requests / elapsed), errors };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetcmd-bench-emulator-'));
  const root = join(__dirname, '..');
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'emulator', 'main.ts'), '--data-dir', dataDir, '--vms', String(vms), '--resource-groups', '40', '--subscription-id', SUBSCRIPTION, '--latency', 'none', '--no-throttling', '--instance-view-refresh-ms', '1000'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const ready = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))) as Ready;
    const caCertPem = readFileSync(ready.caCertPath, 'utf8');
    const admin = new EmulatorAdminClient({ adminUrl: ready.adminUrl, caCertPem, token: ready.token });
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await admin.stats();

    const fleet = await admin.getFleet();
    const chosen = fleet.virtualMachines.slice(0, targets);
    const client = createComputeClient({ armEndpoint: ready.endpoint, armCaFile: ready.caCertPath, armToken: ready.token }, SUBSCRIPTION);
    await Promise.all(
      chosen.map((vm) => client.virtualMachineRunCommands.createOrUpdate(vm.resourceGroup, vm.name, 'bench', { location: 'westus', source: { script: 'seq 1 2000' } }, { updateIntervalInMs: 100 })),
    );

    const sdk = await load('ComputeManagementClient (keep-alive)', async (i) => {
      const vm = chosen[i % chosen.length];
      await client.virtualMachineRunCommands.getByVirtualMachine(vm.resourceGroup, vm.name, 'bench', { expand: 'instanceView' });
    });

    const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: caCertPem });
    const paths = chosen.map((vm) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/${vm.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}/runCommands/bench?$expand=instanceView&api-version=2026-03-01`);
    const url = new URL(ready.endpoint);
    const rawHttps = await load('raw HTTPS (keep-alive)', (i) =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, path: paths[i % paths.length], agent, headers: { authorization: `Bearer ${ready.token}` } }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode)))));
        });
        req.on('error', reject);
        req.end();
      }),
    );
    agent.destroy();
    const loaded = await admin.stats();

    const lines = [
      `emulator benchmark: ${idle.virtualMachines} simulated VMs, ${concurrency} concurrent requests, ${seconds} s per run, GET runCommand ?$expand=instanceView over ${targets} VMs`,
      `  ${sdk.label.padEnd(40)} ${String(sdk.perSecond).padStart(7)} req/s  (${sdk.requests} requests, ${sdk.errors} errors)`,
      `  ${rawHttps.label.padEnd(40)} ${String(rawHttps.perSecond).padStart(7)} req/s  (${rawHttps.requests} requests, ${rawHttps.errors} errors)`,
      `  emulator RSS, ${idle.virtualMachines} idle VMs`.padEnd(42) + ` ${mib(idle.rssBytes).padStart(11)}`,
      `  emulator RSS after the load`.padEnd(42) + ` ${mib(loaded.rssBytes).padStart(11)}`,
      `  targets: >= 2000 req/s, <= 1024 MiB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
