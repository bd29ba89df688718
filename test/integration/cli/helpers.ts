import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryNotRegisteredError } from '@temporalio/client';
import { runCli } from '../../../src/client/cli';
import type { CliIo } from '../../../src/client/context';
import { progressOf, rolloutHandle, startRollout } from '../../../src/client/rollouts';
import { vmResourceId } from '../../../src/emulator';
import type { RolloutProgress, RolloutStatus } from '../../../src/runbook/rollout';
import type { Runbook } from '../../../src/runbook/runbook';
import { planRunbook } from '../../../src/runbook/to-plan';
import { SUBSCRIPTION, startFleet, waitFor, type Fleet, type FleetOptions } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';
import { testStack } from '../../harness/stack';

/**
 * The fleet a test file runs the CLI against: started with an in-process
 * worker before the file's first test, closed after its last. Call at the
 * top level of the file; the returned function gives the fleet inside tests.
 */
export function useFleet(definition: NonNullable<FleetOptions['fleet']>): () => Fleet {
  let fleet: Fleet | undefined;
  beforeAll(async () => {
    fleet = await startFleet({ fleet: definition });
    await fleet.startWorker();
  }, 60_000);
  afterAll(async () => {
    await fleet?.close();
  });
  return () => {
    if (!fleet) throw new Error('the fleet is not started: use it inside a test');
    return fleet;
  };
}

/** What one in-process `fleetcmd` invocation printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `fleetcmd <args>` in this process against the fleet's Temporal, task queue and emulator. */
export async function fleetcmd(fleet: Fleet, args: string[], options: { isTTY?: boolean } = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTTY: options.isTTY ?? false, env: { ...fleet.workerEnv, USER: 'tester' }, columns: () => 120 };
  const { address, namespace } = testStack().temporal;
  const code = await runCli(['node', 'fleetcmd', '--address', address, '--namespace', namespace, '--task-queue', fleet.taskQueue, ...args], io);
  return { code, out: out.join(''), err: err.join('') };
}

/** VMs `<prefix>-00`.. in one resource group, for startFleet. */
export function machines(rg: string, names: string[]) {
  return { virtualMachines: names.map((name) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: rg, name })) };
}

export function vmNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
}

export function vmId(rg: string, name: string): string {
  return vmResourceId(SUBSCRIPTION, rg, name);
}

/** A runbook of one step over the given resource group. */
export function oneStepRunbook(name: string, rg: string, script: string, rollout: string): Runbook {
  return runbookFromYaml(`
name: ${name}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${rg}] }
steps:
  - name: work
    script: ${JSON.stringify(script)}
rollout: ${rollout}
`);
}

/** Writes a runbook file for the verbs that take one. */
export function runbookFile(yaml: string): string {
  const dir = mkdtempSync(join(testStack().tmpDir, 'cli-runbook-'));
  const file = join(dir, 'runbook.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * Starts a rollout through the library, polling fast: the CLI's `start` uses
 * production poll intervals (5 s and up), too slow for tests that are about
 * steering, not starting.
 */
export async function startFast(fleet: Fleet, runbook: Runbook, rolloutId: string): Promise<string> {
  await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, rolloutId, poll: TEST_POLL });
  return rolloutId;
}

export function runCommandNameOf(runbook: Runbook, rolloutId: string, step = 'work'): string {
  const found = planRunbook(runbook, { rolloutId }).steps.find((s) => s.name === step);
  if (!found) throw new Error(`no step ${step}`);
  return found.runCommandName;
}

export async function progress(fleet: Fleet, rolloutId: string): Promise<RolloutProgress> {
  return progressOf(rolloutHandle(fleet.client, rolloutId));
}

export async function waitForStatus(fleet: Fleet, rolloutId: string, status: RolloutStatus, timeoutMs = 60_000): Promise<RolloutProgress> {
  return waitFor(
    async () => {
      // A rollout without a query handler yet (see progressNow) is not there yet.
      const p = await progress(fleet, rolloutId).catch((err: unknown) => {
        if (err instanceof QueryNotRegisteredError) return undefined;
        throw err;
      });
      return p?.status === status ? p : undefined;
    },
    { what: `rollout ${rolloutId} to be ${status}`, timeoutMs },
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// eslint-disable-next-line no-control-regex
export const ANSI_ESCAPE = /\x1b\[/;
