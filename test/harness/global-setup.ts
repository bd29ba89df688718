import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { failureConverterPath, generateKey } from '../../src/codec';
import { startStack, type Stack } from '../../src/devstack/stack';
import type { TestStack } from './stack';

declare global {
  var __fleetcmdStack: { stack: Stack; tmpDir: string } | undefined;
}

/**
 * Starts the real stack once for the integration run: the Temporal dev server
 * (SQLite in a temp folder, fleetcmd's search attributes) and Azurite; bundles
 * the workflow code once. Tests read the addresses through testStack().
 */
export default async function globalSetup(): Promise<void> {
  const tmpDir = mkdtempSync(join(tmpdir(), 'fleetcmd-test-'));
  const log = (line: string): void => void process.stderr.write(`[stack] ${line}\n`);
  const stack = await startStack({ dataDir: tmpDir, log });
  globalThis.__fleetcmdStack = { stack, tmpDir };

  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    // As production bundles do: failures are encoded by the codec's converter when keys are set.
    failureConverterPath,
    logger: { info: () => undefined, warn: () => undefined, error: (m) => log(m), debug: () => undefined, trace: () => undefined, log: () => undefined },
  });
  const workflowBundlePath = join(tmpDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, code);

  const key = generateKey({ id: 'test-run' });
  const info: TestStack = { ...stack.info, workflowBundlePath, tmpDir, codecKeys: `${key.id}:${key.key}` };
  const file = join(tmpDir, 'stack.json');
  writeFileSync(file, JSON.stringify(info, null, 2));
  process.env.FLEETCMD_TEST_STACK = file;
  log(`Temporal ${info.temporal.address}, Azurite ${info.azurite.blobEndpoint}, data ${tmpDir}`);
}
