import { resolve } from 'node:path';
import { EmulatorAdminClient } from './admin-client';
import { DEFAULT_LOCATION, DEFAULT_SUBSCRIPTION_ID, generateFleet } from './fleet';
import { startEmulator } from './index';
import type { EmulatorHandle, LatencyProfile } from './types';

/**
 * Process entry of the emulator: `node dist/emulator/main.js --vms 100`.
 * Prints one JSON line when ready and stops on SIGINT/SIGTERM. `fleetcmd
 * emulator` calls runEmulatorCli with human output.
 */

export const EMULATOR_HELP = `Usage: fleetcmd emulator [options]

Starts the local Azure: an HTTPS server on 127.0.0.1 that serves Azure's
Compute run-command API (managed run commands on VMs and scale-set VMs, the
action Run Command, built-in command documents, VM listing) to the unchanged
Azure SDK, with simulated VMs behind it.

WARNING: scripts sent to the simulated VMs RUN FOR REAL ON THIS MACHINE, with
bash, as the user running the emulator, in a sandbox folder per VM under the
data dir. The sandbox is a working directory, not an isolation boundary.

Options:
  --port <n>                   port on 127.0.0.1 (default 0: a free port)
  --data-dir <dir>             certificates, state, VM sandboxes (default .fleetcmd/emulator)
  --vms <n>                    (re)define the fleet: n VMs plus scale sets (default 10 on a new data dir)
  --resource-groups <n>        resource groups to spread the VMs over (default n/250, at least 1)
  --scale-sets <n>             scale sets (default 2)
  --instances-per-scale-set <n>  instances per scale set (default 3)
  --subscription-id <id>       subscription of the fleet (default ${DEFAULT_SUBSCRIPTION_ID})
  --location <name>            location of the fleet (default ${DEFAULT_LOCATION})
  --time-scale <x>             1 = Azure's timings and throttle refill; 0.01 = 100x faster (default 1)
  --latency <none|realistic>   agent and ARM delays as in the recordings (default realistic)
  --instance-view-refresh-ms <n>  how often running scripts report (default 15000 x time scale)
  --no-throttling              turn Compute/ARM throttling off
  --throttle-scale <x>         multiply bucket sizes and refill rates
  --json                       print one JSON line instead of the summary
  -h, --help                   this text

A worker uses it with:
  FLEETCMD_ARM_ENDPOINT  the endpoint printed
  FLEETCMD_ARM_CA_FILE   the CA file printed (the emulator's own CA)
  FLEETCMD_ARM_TOKEN     the token printed (a Contributor; a Reader token is printed too)
`;

export interface EmulatorCliArgs {
  port: number;
  dataDir: string;
  vms?: number;
  resourceGroups?: number;
  scaleSets?: number;
  instancesPerScaleSet?: number;
  subscriptionId: string;
  location: string;
  timeScale: number;
  latencyProfile: LatencyProfile;
  instanceViewRefreshMs?: number;
  throttling: boolean;
  throttleScale: number;
  json: boolean;
  help: boolean;
}

export class EmulatorCliError extends Error {}

function numberArg(flag: string, value: string | undefined, options: { integer?: boolean; min?: number } = {}): number {
  if (value === undefined) throw new EmulatorCliError(`${flag}: a value is required`);
  const n = Number(value);
  if (!Number.isFinite(n) || (options.integer && !Number.isInteger(n)) || (options.min !== undefined && n < options.min)) {
    throw new EmulatorCliError(`${flag}: expected ${options.integer ? 'an integer' : 'a number'}${options.min !== undefined ? ` >= ${options.min}` : ''}, got '${value}'`);
  }
  return n;
}

export function parseEmulatorArgs(argv: readonly string[]): EmulatorCliArgs {
  const args: EmulatorCliArgs = {
    port: 0,
    dataDir: resolve('.fleetcmd', 'emulator'),
    subscriptionId: DEFAULT_SUBSCRIPTION_ID,
    location: DEFAULT_LOCATION,
    timeScale: 1,
    latencyProfile: 'realistic',
    throttling: true,
    throttleScale: 1,
    json: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? (argv[i].split(/=(.*)/s, 2) as [string, string]) : [argv[i], undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        args.port = numberArg(flag, value(), { integer: true, min: 0 });
        break;
      case '--data-dir': {
        const dir = value();
        if (!dir) throw new EmulatorCliError('--data-dir: a value is required');
        args.dataDir = resolve(dir);
        break;
      }
      case '--vms':
        args.vms = numberArg(flag, value(), { integer: true, min: 0 });
        break;
      case '--resource-groups':
        args.resourceGroups = numberArg(flag, value(), { integer: true, min: 1 });
        break;
      case '--scale-sets':
        args.scaleSets = numberArg(flag, value(), { integer: true, min: 0 });
        break;
      case '--instances-per-scale-set':
        args.instancesPerScaleSet = numberArg(flag, value(), { integer: true, min: 0 });
        break;
      case '--subscription-id':
        args.subscriptionId = value() ?? '';
        if (!args.subscriptionId) throw new EmulatorCliError('--subscription-id: a value is required');
        break;
      case '--location':
        args.location = value() ?? '';
        if (!args.location) throw new EmulatorCliError('--location: a value is required');
        break;
      case '--time-scale':
        args.timeScale = numberArg(flag, value());
        if (args.timeScale <= 0) throw new EmulatorCliError('--time-scale: must be > 0');
        break;
      case '--latency': {
        const profile = value();
        if (profile !== 'none' && profile !== 'realistic') throw new EmulatorCliError(`--latency: expected none or realistic, got '${profile ?? ''}'`);
        args.latencyProfile = profile;
        break;
      }
      case '--instance-view-refresh-ms':
        args.instanceViewRefreshMs = numberArg(flag, value(), { integer: true, min: 10 });
        break;
      case '--no-throttling':
        args.throttling = false;
        break;
      case '--throttle-scale':
        args.throttleScale = numberArg(flag, value());
        if (args.throttleScale <= 0) throw new EmulatorCliError('--throttle-scale: must be > 0');
        break;
      case '--json':
        args.json = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new EmulatorCliError(`unknown option '${argv[i]}' (see --help)`);
    }
  }
  return args;
}

export interface EmulatorCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Starts the emulator from command-line arguments and prints how to use it:
 * a JSON line with --json (or `json: true`), a summary with the environment a
 * worker needs otherwise. Resolves with the handle (undefined after --help).
 */
export async function runEmulatorCli(argv: readonly string[], io: EmulatorCliIo & { json?: boolean } = { stdout: process.stdout, stderr: process.stderr }): Promise<EmulatorHandle | undefined> {
  const args = parseEmulatorArgs(argv);
  if (args.help) {
    io.stdout.write(EMULATOR_HELP);
    return undefined;
  }
  const fleet = () =>
    generateFleet({
      vms: args.vms ?? 10,
      subscriptionId: args.subscriptionId,
      location: args.location,
      resourceGroups: args.resourceGroups,
      scaleSets: args.scaleSets,
      instancesPerScaleSet: args.instancesPerScaleSet,
    });
  const handle = await startEmulator({
    port: args.port,
    dataDir: args.dataDir,
    timeScale: args.timeScale,
    latencyProfile: args.latencyProfile,
    instanceViewRefreshMs: args.instanceViewRefreshMs,
    fleet: fleet(),
    throttling: { enabled: args.throttling, scale: args.throttleScale },
  });
  const admin = new EmulatorAdminClient({ adminUrl: handle.adminUrl, caCertPem: handle.caCertPem, token: handle.token });
  // A data dir keeps its fleet across restarts; an explicit --vms redefines it.
  if (args.vms !== undefined) await admin.defineFleet(fleet());
  const { virtualMachines } = await admin.stats();
  const ready = { endpoint: handle.endpoint, caCertPath: handle.caCertPath, token: handle.token, readOnlyToken: handle.readOnlyToken, adminUrl: handle.adminUrl };
  if (args.json || io.json) {
    io.stdout.write(`${JSON.stringify(ready)}\n`);
  } else {
    io.stdout.write(
      [
        `fleetcmd emulator: local Azure at ${handle.endpoint} (${virtualMachines} VMs, subscription ${args.subscriptionId}, location ${args.location})`,
        `  data dir   ${args.dataDir}`,
        `  CA file    ${handle.caCertPath}`,
        `  admin      ${handle.adminUrl}`,
        `  reader     ${handle.readOnlyToken} (a read-only token, for trying 403s)`,
        '  Scripts sent to these VMs run for real on this machine (bash, in the data dir sandboxes).',
        '',
        'Point a worker at it:',
        `  export FLEETCMD_ARM_ENDPOINT=${handle.endpoint}`,
        `  export FLEETCMD_ARM_CA_FILE=${handle.caCertPath}`,
        `  export FLEETCMD_ARM_TOKEN=${handle.token}`,
        '',
        'Ctrl-C stops it.',
        '',
      ].join('\n'),
    );
  }
  return handle;
}

if (require.main === module) {
  runEmulatorCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, json: true })
    .then((handle) => {
      if (!handle) return;
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        handle.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    })
    .catch((error: unknown) => {
      process.stderr.write(`fleetcmd emulator: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof EmulatorCliError ? 2 : 1);
    });
}
