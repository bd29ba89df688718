/**
 * The local Azure: an HTTPS server that @azure/arm-compute talks to unchanged,
 * serving Compute's run-command API, with simulated VM agents that run the
 * scripts for real on this machine. Imported only by its own entry points
 * (the CLI, the dev stack, the test harness): fleetcmd sees it as an ARM
 * endpoint and nothing more.
 */
import { Emulator } from './emulator';
import type { EmulatorHandle, EmulatorOptions } from './types';

export type {
  EmulatorHandle,
  EmulatorOptions,
  FleetDefinition,
  LatencyProfile,
  OsType,
  RequestFaults,
  RunRecord,
  ScaleSetDefinition,
  ThrottlingSettings,
  VirtualMachineDefinition,
  VmFaults,
} from './types';
export { CONTRIBUTOR_TOKEN, READER_TOKEN } from './emulator';
export { generateFleet, scaleSetResourceId, scaleSetVmResourceId, vmResourceId, DEFAULT_LOCATION, DEFAULT_SUBSCRIPTION_ID, type GenerateFleetOptions } from './fleet';
export { EmulatorAdminClient } from './admin-client';

/** Starts an emulator on 127.0.0.1 (options.port, or a free port) and resolves once it answers. */
export function startEmulator(options: EmulatorOptions): Promise<EmulatorHandle> {
  return new Emulator(options).start();
}
