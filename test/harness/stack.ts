import { readFileSync } from 'node:fs';

/** What the integration harness started for this run (see global-setup.ts). */
export interface TestStack {
  temporal: {
    address: string;
    namespace: string;
    /** SQLite file of the dev server, so a test can restart it on the same history. */
    dbFilename: string;
    /** false when the server came from the SDK's download and cannot be restarted by tests. */
    restartable: boolean;
  };
  azurite: {
    blobEndpoint: string;
    accountName: string;
    accountKey: string;
    connectionString: string;
  };
  /** Prebuilt workflow bundle (bundleWorkflowCode once per run). */
  workflowBundlePath: string;
  /** A temp folder owned by this run, removed at teardown. */
  tmpDir: string;
  /** FLEETCMD_CODEC_KEYS of this run: tests that encrypt use it, and the replay test decrypts with it. */
  codecKeys: string;
}

export function testStack(): TestStack {
  const file = process.env.FLEETCMD_TEST_STACK;
  if (!file) throw new Error('FLEETCMD_TEST_STACK is not set: run integration tests through jest (global-setup.ts starts the stack)');
  return JSON.parse(readFileSync(file, 'utf8')) as TestStack;
}
