import { rmSync } from 'node:fs';

/** Stops what global-setup started; keeps the data folder when FLEETCMD_KEEP_TEST_DATA=1 (for post-mortems). */
export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__fleetcmdStack;
  if (!started) return;
  await started.stack.stop();
  if (process.env.FLEETCMD_KEEP_TEST_DATA === '1') {
    process.stderr.write(`[stack] kept test data in ${started.tmpDir}\n`);
  } else {
    rmSync(started.tmpDir, { recursive: true, force: true });
  }
  globalThis.__fleetcmdStack = undefined;
}
