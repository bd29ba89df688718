/**
 * The baseline of P1: what a careful engineer writes without fleetcmd — a
 * plain Node script, no durability, running the same ARM calls with the same
 * concurrency. It lists the resource group's VMs, then per VM (p-limit) and
 * per step: a run-command PUT whose poller (the SDK's) is awaited to the end,
 * a GET with the instance view for the exit code, and a DELETE that is sent
 * but not waited for (as fleetcmd does). A failed step ends that VM.
 *
 * Runs as its own process (`node -r ts-node/register/transpile-only
 * bench/plain-fleet.ts '<json>'`) so it does not share an event loop with
 * the emulator; prints one JSON line of figures.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import pLimit from 'p-limit';
import { ComputeManagementClient } from '@azure/arm-compute';
import { StaticTokenCredential } from '../src/azure/clients';

export interface PlainFleetInput {
  armEndpoint: string;
  armCaFile: string;
  armToken: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** Each step's script, run in order. */
  scripts: string[];
  concurrency: number;
  pollIntervalMs: number;
  /** Run-command names are `<prefix>-<step index>`. */
  namePrefix: string;
}

export interface PlainFleetResult {
  wallMs: number;
  targets: number;
  succeeded: number;
  failed: number;
  steps: number;
  peakRssBytes: number;
}

export async function runPlainFleet(input: PlainFleetInput): Promise<PlainFleetResult> {
  const client = new ComputeManagementClient(new StaticTokenCredential(input.armToken), input.subscriptionId, {
    endpoint: input.armEndpoint,
    agent: new Agent({ keepAlive: true, ca: readFileSync(input.armCaFile, 'utf8'), maxSockets: 256 }),
    credentials: { scopes: [`${new URL(input.armEndpoint).origin}/.default`] },
  });
  const started = Date.now();
  const vms: string[] = [];
  for await (const vm of client.virtualMachines.list(input.resourceGroup)) if (vm.name) vms.push(vm.name);

  const limit = pLimit(input.concurrency);
  let succeeded = 0;
  let steps = 0;
  await Promise.all(
    vms.map((vm) =>
      limit(async () => {
        for (const [i, script] of input.scripts.entries()) {
          const name = `${input.namePrefix}-${i}`;
          const poller = client.virtualMachineRunCommands.createOrUpdate(
            input.resourceGroup,
            vm,
            name,
            { location: input.location, source: { script }, asyncExecution: false, treatFailureAsDeploymentFailure: false },
            { updateIntervalInMs: input.pollIntervalMs },
          );
          await poller;
          const view = await client.virtualMachineRunCommands.getByVirtualMachine(input.resourceGroup, vm, name, { expand: 'instanceView' });
          await client.virtualMachineRunCommands.delete(input.resourceGroup, vm, name).submitted();
          steps += 1;
          if (view.instanceView?.exitCode !== 0) return;
        }
        succeeded += 1;
      }),
    ),
  );
  return { wallMs: Date.now() - started, targets: vms.length, succeeded, failed: vms.length - succeeded, steps, peakRssBytes: peakRss(process.pid) };
}

/** The kernel's high-water mark of a process's resident set (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : 0;
}

if (require.main === module) {
  runPlainFleet(JSON.parse(process.argv[2] ?? '{}') as PlainFleetInput).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`plain fleet script: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
