import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in tests log warnings and errors only; INFO state changes drown the test output.
if (!(globalThis as { __fleetcmdRuntime?: boolean }).__fleetcmdRuntime) {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by an earlier test file in this process
  }
  (globalThis as { __fleetcmdRuntime?: boolean }).__fleetcmdRuntime = true;
}
