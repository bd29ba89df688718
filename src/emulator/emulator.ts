import { mkdirSync } from 'node:fs';
import { ActionRunCommandService } from './action-run-command';
import { AdminInputError, handleAdmin, type EmulatorControl, type EmulatorStats, type FaultsView, type ResetScope } from './admin';
import { ArmApi, type Principal } from './arm-api';
import { ensureTlsMaterial } from './certs';
import { Counters, type CountersSnapshot } from './counters';
import { FaultState, type VmFaultsUpdate } from './faults';
import { describeIssues, Fleet, fleetDefinitionSchema } from './fleet';
import { OperationRegistry, type Operation } from './operations';
import { StateFile } from './persistence';
import { RunCommandService, type PersistedRunCommand } from './run-commands';
import { startServer, type RunningServer } from './server';
import { DEFAULT_THROTTLING, Throttle } from './throttle';
import { Timings } from './timing';
import type { EmulatorHandle, EmulatorOptions, FleetDefinition, RequestFaults, RunRecord, ThrottlingSettings, VmFaults } from './types';

/**
 * Wires the emulator together: fleet, ARM API, agents, faults, counters,
 * throttling, persistence and the HTTPS server.
 */

/** Fixed, documented tokens: the emulator is a local test double, not a security boundary. */
export const CONTRIBUTOR_TOKEN = 'fleetcmd-emulator-contributor';
export const READER_TOKEN = 'fleetcmd-emulator-reader';

const PRINCIPALS: ReadonlyMap<string, Principal> = new Map([
  [CONTRIBUTOR_TOKEN, { name: 'fleetcmd-emulator-contributor', readOnly: false }],
  [READER_TOKEN, { name: 'fleetcmd-emulator-reader', readOnly: true }],
]);

interface PersistedState {
  version: 1;
  savedAt: string;
  fleet: FleetDefinition;
  runCommands: PersistedRunCommand[];
  sequences: Record<string, number>;
  operations: Operation[];
  counters: CountersSnapshot;
}

const RESTART_MESSAGE = 'The operation was interrupted because the emulator restarted.';

export class Emulator implements EmulatorControl {
  private fleet: Fleet;
  private readonly operations: OperationRegistry;
  private readonly counterState: Counters;
  private readonly faultState = new FaultState();
  private readonly throttle: Throttle;
  private readonly timings: Timings;
  private readonly runCommands: RunCommandService;
  private readonly actions: ActionRunCommandService;
  private readonly stateFile: StateFile<PersistedState>;
  private server: RunningServer | undefined;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(private readonly options: EmulatorOptions) {
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0)) throw new Error(`timeScale must be > 0, got ${timeScale}`);
    mkdirSync(options.dataDir, { recursive: true });
    const changed = (): void => {
      if (!this.stopped) this.stateFile.schedule();
    };
    this.fleet = new Fleet({ virtualMachines: [] });
    this.operations = new OperationRegistry(changed);
    this.counterState = new Counters(changed);
    this.throttle = new Throttle({ ...DEFAULT_THROTTLING, ...options.throttling }, timeScale);
    this.timings = new Timings(options.latencyProfile ?? 'none', timeScale, options.instanceViewRefreshMs);
    this.runCommands = new RunCommandService({
      fleet: () => this.fleet,
      operations: this.operations,
      counters: this.counterState,
      faults: this.faultState,
      timings: this.timings,
      dataDir: options.dataDir,
      changed,
    });
    this.actions = new ActionRunCommandService({
      operations: this.operations,
      counters: this.counterState,
      faults: this.faultState,
      timings: this.timings,
      sandboxDir: (vm) => this.runCommands.sandboxDir(vm),
    });
    this.stateFile = new StateFile(options.dataDir, () => this.snapshot());
  }

  async start(): Promise<EmulatorHandle> {
    const tls = ensureTlsMaterial(this.options.dataDir);
    await this.load();
    const arm = new ArmApi({
      fleet: () => this.fleet,
      runCommands: this.runCommands,
      actions: this.actions,
      operations: this.operations,
      faults: this.faultState,
      throttle: this.throttle,
    });
    this.server = await startServer({
      tls,
      port: this.options.port ?? 0,
      principals: PRINCIPALS,
      arm,
      admin: (method, path, query, body) => handleAdmin(this, method, path, query, body),
      faults: this.faultState,
      counters: this.counterState,
      timings: this.timings,
    });
    this.stateFile.flushSync();
    const endpoint = `https://127.0.0.1:${this.server.port}`;
    return {
      endpoint,
      caCertPath: tls.caCertPath,
      caCertPem: tls.caCertPem,
      token: CONTRIBUTOR_TOKEN,
      readOnlyToken: READER_TOKEN,
      adminUrl: `${endpoint}/admin`,
      stop: () => this.stop(),
    };
  }

  /** Scripts still running are killed; the state file records them as interrupted (see restore). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.server?.close();
    await Promise.all([this.runCommands.shutdown(), this.actions.shutdown()]);
    await this.stateFile.flush();
    this.stopped = true;
  }

  private async load(): Promise<void> {
    const raw = this.stateFile.load() as PersistedState | undefined;
    if (!raw) {
      this.fleet = this.validatedFleet(this.options.fleet ?? { virtualMachines: [] });
      return;
    }
    if (raw.version !== 1) throw new Error(`${this.stateFile.path}: unknown state version ${String(raw.version)}`);
    this.fleet = new Fleet(raw.fleet);
    this.operations.restore(raw.operations);
    this.counterState.restore(raw.counters);
    await this.runCommands.restore({ runCommands: raw.runCommands, sequences: raw.sequences });
    for (const run of this.counterState.openRuns()) this.counterState.runEnded(run, -1, 'Failed');
    // Whatever still waits belonged to work that died with the previous process (action runs).
    for (const op of this.operations.inProgress()) this.actions.interrupt(op.id, RESTART_MESSAGE);
  }

  private validatedFleet(definition: FleetDefinition): Fleet {
    const parsed = fleetDefinitionSchema.safeParse(definition);
    if (!parsed.success) throw new AdminInputError(describeIssues(parsed.error, 'fleet'));
    try {
      return new Fleet(parsed.data as FleetDefinition);
    } catch (error) {
      throw new AdminInputError(`fleet: ${(error as Error).message}`);
    }
  }

  private snapshot(): PersistedState {
    const { runCommands, sequences } = this.runCommands.snapshot();
    return {
      version: 1,
      savedAt: new Date().toISOString(),
      fleet: this.fleet.definition,
      runCommands,
      sequences,
      operations: this.operations.snapshot(),
      counters: this.counterState.snapshot(),
    };
  }

  private changed(): void {
    if (!this.stopped) this.stateFile.schedule();
  }

  // ------------------------------------------------------------ EmulatorControl (admin path)

  fleetDefinition(): FleetDefinition {
    return this.fleet.definition;
  }

  async defineFleet(definition: FleetDefinition): Promise<{ virtualMachines: number }> {
    const fleet = this.validatedFleet(definition);
    this.fleet = fleet;
    await this.runCommands.retainFleet(fleet);
    this.changed();
    return { virtualMachines: fleet.size };
  }

  faults(): FaultsView {
    return {
      requests: this.faultState.requests,
      vms: this.faultState.vmEntries().map(([key, f]) => ({ vm: this.fleet.byKey(key)?.id ?? key, ...f })),
    };
  }

  setRequestFaults(faults: Partial<RequestFaults>): RequestFaults {
    return this.faultState.setRequests(faults);
  }

  async setVmFaults(update: VmFaultsUpdate): Promise<{ vm: string } & VmFaults> {
    const vm = this.fleet.byId(update.vm);
    if (!vm) throw new AdminInputError(`vm: no VM with resource id '${update.vm}' in the fleet`);
    const { vm: _id, ...changes } = update;
    const { before, after } = this.faultState.setVm(vm.key, changes);
    if (before.hungAgent && !after.hungAgent) {
      this.runCommands.agentResumed(vm);
      this.actions.agentResumed(vm);
    }
    if (!before.deallocated && after.deallocated) {
      this.actions.crashRunning(vm);
      await this.runCommands.deallocated(vm);
    }
    if (changes.agentCrash) {
      const afterMs = changes.agentCrash.afterMs;
      const running = this.runCommands.list(vm).some((r) => r.process) || this.actions.isRunning(vm);
      if (running) {
        this.faultState.consumeCrash(vm.key);
        setTimeout(() => {
          this.runCommands.crashRunning(vm);
          this.actions.crashRunning(vm);
        }, afterMs).unref();
      }
    }
    return { vm: vm.id, ...this.faultState.vm(vm.key) };
  }

  async clearFaults(): Promise<void> {
    const keys = this.faultState.clear();
    for (const key of keys) {
      const vm = this.fleet.byKey(key);
      if (!vm) continue;
      this.runCommands.agentResumed(vm);
      this.actions.agentResumed(vm);
    }
  }

  throttling(): ThrottlingSettings {
    return this.throttle.settings;
  }

  setThrottling(settings: Partial<ThrottlingSettings>): ThrottlingSettings {
    return this.throttle.configure(settings);
  }

  counters(filter: { vm?: string; runCommand?: string }): CountersSnapshot {
    return this.counterState.snapshot(filter);
  }

  executionCount(vm: string, runCommand: string, kind: 'managed' | 'action'): number {
    return this.counterState.executionCount(vm, runCommand, kind);
  }

  runs(filter: { vm?: string; runCommand?: string }): RunRecord[] {
    return this.counterState.snapshot(filter).runs;
  }

  async reset(scope: ResetScope): Promise<void> {
    if (scope === 'all') {
      await Promise.all([this.runCommands.reset(), this.actions.killAll()]);
      this.operations.clear();
      this.faultState.clear();
      this.throttle.reset();
    }
    this.counterState.reset();
    this.changed();
  }

  stats(): EmulatorStats {
    const memory = process.memoryUsage();
    return {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      virtualMachines: this.fleet.size,
      runCommands: this.runCommands.count(),
      runningScripts: this.counterState.running,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }
}
