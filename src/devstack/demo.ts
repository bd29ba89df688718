import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { runCli } from '../client/cli';
import { processIo } from '../client/context';
import { progressOf, startRollout } from '../client/rollouts';
import { DEFAULT_SUBSCRIPTION_ID, EmulatorAdminClient, generateFleet, startEmulator, vmResourceId } from '../emulator';
import { loadRunbookFile } from '../runbook/load';
import { installTelemetry } from '../telemetry';
import { createWorker } from '../worker';
import { freePort } from './processes';
import { startStack } from './stack';

/**
 * `npm run demo`: the whole of fleetcmd on this machine. Temporal (with its
 * Web UI), Azurite and the emulator with a fleet of 50 VMs in 3 resource
 * groups; a worker; then a canary-first patch rollout in which one VM's agent
 * crashes (its rollback runs), approved after the canary, watched live; then
 * the two-command ARM template of Azure's Run Command docs on one VM.
 * Scripts run for real on this machine, in the emulator's sandbox folders.
 */
const say = (line: string): void => void process.stdout.write(`\n\x1b[1m== ${line}\x1b[0m\n`);

export async function runDemo(options: { keepRunning: boolean }): Promise<void> {
  installTelemetry({ logLevel: 'WARN' });
  const dataDir = mkdtempSync(join(tmpdir(), 'fleetcmd-demo-'));
  say('starting Temporal (with its Web UI), Azurite and the Azure emulator');
  const temporalPort = await portOr(7233);
  const stack = await startStack({ dataDir, ui: true, temporalPort, uiPort: await portOr(8233), log: (l) => console.log(`   ${l}`) });
  const emulator = await startEmulator({
    dataDir: join(dataDir, 'emulator'),
    timeScale: 0.05,
    latencyProfile: 'realistic',
    instanceViewRefreshMs: 750,
    fleet: generateFleet({ vms: 50, resourceGroups: 3 }),
    throttling: { enabled: true },
  });
  const admin = new EmulatorAdminClient({ adminUrl: emulator.adminUrl, caCertPem: emulator.caCertPem, token: emulator.token });
  const azure = {
    armEndpoint: emulator.endpoint,
    armCaFile: emulator.caCertPath,
    armToken: emulator.token,
    armRefillSpeedup: 1 / 0.05,
    storageConnectionString: stack.info.azurite.connectionString,
  };
  const address = stack.info.temporal.address;
  const taskQueue = 'fleetcmd-demo';
  const worker = await createWorker({ address, namespace: 'default', taskQueue, armWritesPerSecond: 50 }, { activities: createActivities(azure) });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const cli = (...args: string[]): Promise<number> => runCli(['node', 'fleetcmd', '--address', address, '--task-queue', taskQueue, ...args], processIo);
  console.log(`   Temporal ${address}, Web UI ${stack.info.temporal.uiUrl}`);
  console.log(`   emulator ${emulator.endpoint}: ${(await admin.stats()).virtualMachines} VMs in fleet-rg-01..03 (scripts run for real on this machine)`);

  // The CLI's own ARM calls (plan) go to the emulator too.
  Object.assign(process.env, {
    FLEETCMD_ARM_ENDPOINT: azure.armEndpoint,
    FLEETCMD_ARM_CA_FILE: azure.armCaFile,
    FLEETCMD_ARM_TOKEN: azure.armToken,
    FLEETCMD_STORAGE_CONNECTION_STRING: azure.storageConnectionString,
  });

  try {
    say('fleetcmd plan examples/patch-rollout.yaml');
    await cli('plan', 'examples/patch-rollout.yaml', '--subscription', DEFAULT_SUBSCRIPTION_ID);
    const loaded = await loadRunbookFile('examples/patch-rollout.yaml');
    if (!loaded.ok) throw new Error('examples/patch-rollout.yaml is invalid');
    const runbook = { ...loaded.runbook, targets: { ...loaded.runbook.targets, subscriptionId: DEFAULT_SUBSCRIPTION_ID } };

    // One web VM's agent will crash mid-script: its target fails and its rollback runs.
    const fleet = await admin.getFleet();
    const web = fleet.virtualMachines.filter((vm) => vm.resourceGroup === 'fleet-rg-01' && vm.tags?.role === 'web');
    const victim = web[2] ?? web[web.length - 1];
    await admin.setVmFaults({ vm: vmResourceId(DEFAULT_SUBSCRIPTION_ID, victim.resourceGroup, victim.name), agentCrash: { afterMs: 300 } });
    console.log(`   (the agent of ${victim.resourceGroup}/${victim.name} is set to crash mid-script)`);

    say('fleetcmd start: a canary wave, approval, then the rest');
    const handle = await startRollout(client, { runbook, taskQueue, poll: { initialIntervalMs: 1_000, maximumIntervalMs: 3_000 } });
    console.log(`   rollout ${handle.workflowId}: ${stack.info.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`);
    const approver = approveAfterCanary(client, handle.workflowId, cli);
    await cli('status', handle.workflowId, '--watch');
    await approver;

    say('two run commands ordered by dependsOn (an ARM template) on one VM: fleetcmd run examples/arm/two-run-commands-linux.json');
    await cli('run', 'examples/arm/two-run-commands-linux.json', '--vm', `${web[0].resourceGroup}/${web[0].name}`, '--subscription', DEFAULT_SUBSCRIPTION_ID);

    say('where to look');
    console.log(`   Temporal Web UI   ${stack.info.temporal.uiUrl} (search FleetcmdRunbook="patch-openssl")`);
    console.log(`   full outputs      ${stack.info.azurite.blobEndpoint}/fleetcmd-output/${handle.workflowId}/<resourceGroup>/<vm>/<step>/stdout`);
    console.log(`   CLI               npx fleetcmd --address ${address} --task-queue ${taskQueue} status ${handle.workflowId}`);
    if (options.keepRunning) {
      console.log('\nEverything is still running for you to explore. Ctrl-C stops it all.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await emulator.stop();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Waits for the canary to finish, then approves the next wave through the CLI, as an operator would. */
async function approveAfterCanary(client: Client, rolloutId: string, cli: (...args: string[]) => Promise<number>): Promise<void> {
  const handle = client.workflow.getHandle(rolloutId);
  for (;;) {
    const progress = await progressOf(handle).catch(() => undefined);
    if (progress?.status === 'AwaitingApproval') {
      process.stdout.write(`\n   canary done; approving: fleetcmd approve ${rolloutId} --by demo\n`);
      await cli('approve', rolloutId, '--by', 'demo', '--note', 'canary looks good');
      return;
    }
    if (progress && ['Completed', 'Stopped', 'Canceled'].includes(progress.status)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function portOr(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => void freePort().then(resolve));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(preferred)));
  });
}

if (require.main === module) {
  runDemo({ keepRunning: Boolean(process.stdin.isTTY) && !process.env.CI })
    .then(() => process.exit(0))
    .catch((err: unknown) => {
      process.stderr.write(`demo failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    });
}
