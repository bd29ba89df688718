import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import globalSetup from '../harness/global-setup';
import globalTeardown from '../harness/global-teardown';
import { testStack, type TestStack } from '../harness/stack';

/**
 * Where a chaos scenario runs: the harness's stack (Temporal dev server,
 * Azurite, the workflow bundle, a temp folder). Under jest it is the one the
 * integration run's global setup started; from the command line the runner
 * starts its own through the same global setup, so the harness's startFleet
 * works unchanged in both. Scenarios that kill the server (R2) start a
 * server of their own besides.
 */
export interface ChaosEnvironment {
  stack: TestStack;
  log(line: string): void;
  /** A new folder for one scenario's data and logs. */
  scenarioDir(name: string): string;
}

export function harnessEnvironment(log: (line: string) => void): ChaosEnvironment {
  const stack = testStack();
  return { stack, log, scenarioDir: (name) => mkdtempSync(join(stack.tmpDir, `chaos-${name}-`)) };
}

/** The command line's stack: started here, stopped by stop() (FLEETCMD_KEEP_TEST_DATA=1 keeps its folder). */
export async function startOwnEnvironment(log: (line: string) => void): Promise<ChaosEnvironment & { stop(): Promise<void> }> {
  await globalSetup();
  return { ...harnessEnvironment(log), stop: () => globalTeardown() };
}
