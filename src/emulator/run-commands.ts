import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startManagedRun, TAIL_BYTES, type AgentRun } from './agent';
import { armErrors } from './arm-errors';
import { withoutSas } from './blob-writer';
import { findBuiltInCommand } from './builtin-commands';
import type { Counters } from './counters';
import type { FaultState } from './faults';
import { normalizeLocation, type Fleet, type SimulatedVm } from './fleet';
import type { OperationRegistry } from './operations';
import { killProcessGroup, readTail } from './process-runner';
import { resourceTime } from './time-format';
import { delay, type Timings } from './timing';
import type { ArmErrorBody, ProvisioningState, RunCommandInstanceView, RunCommandSpec, RunRecord } from './types';

/**
 * Managed run commands: the platform's side (CRP). It keeps each VM's run
 * command resources, decides when an agent runs a script (not on an identical
 * PUT; again, killing the old run, on a changed one), turns what the agent
 * reports into the instance view and provisioning state, and completes the
 * async operations the client polls.
 */

export const MAX_RUN_COMMANDS_PER_VM = 25;

const TERMINAL: ReadonlySet<ProvisioningState> = new Set(['Succeeded', 'Failed']);

interface AgentState {
  view: RunCommandInstanceView;
  started: boolean;
  finished: boolean;
}

export interface RunCommandRecord {
  vmKey: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  /** The full spec, secrets included (memory only; see persistedSpec). */
  spec: RunCommandSpec;
  specHash: string;
  /** Bumped for every execution: names its sandbox folder and tells stale reports apart. */
  sequence: number;
  provisioningState: ProvisioningState;
  /** What GET shows: the last state the agent reported (frozen while the agent hangs). */
  instanceView: RunCommandInstanceView;
  /** What the agent last said, published or not. */
  agent?: AgentState;
  pendingOperations: string[];
  deleting: boolean;
  deleteOperations: string[];
  /** The running script, for crash recovery after a restart. */
  process?: { pid: number; dir: string };
  run?: AgentRun;
  runRecord?: RunRecord;
  bodies: Map<string, string>;
}

export interface PersistedRunCommand {
  vmKey: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  spec: RunCommandSpec;
  specHash: string;
  sequence: number;
  provisioningState: ProvisioningState;
  instanceView: RunCommandInstanceView;
  agentFinished: boolean;
  pendingOperations: string[];
  deleting: boolean;
  deleteOperations: string[];
  process?: { pid: number; dir: string };
}

export interface RunCommandWrite {
  location?: string;
  tags?: Record<string, string>;
  spec: RunCommandSpec;
}

function pendingView(): RunCommandInstanceView {
  return { executionState: 'Pending', executionMessage: '', exitCode: 0, output: '', error: '' };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Identity of a run command's configuration: an identical PUT (same hash) does not run the script again. */
export function specHash(spec: RunCommandSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}

/** What may be written to disk or shown: no protected parameters, no password, no SAS. */
export function publicSpec(spec: RunCommandSpec): RunCommandSpec {
  const { protectedParameters: _p, runAsPassword: _r, ...rest } = spec;
  return {
    ...rest,
    source: { ...spec.source, scriptUri: spec.source.scriptUri ? withoutSas(spec.source.scriptUri) : undefined },
    outputBlobUri: spec.outputBlobUri ? withoutSas(spec.outputBlobUri) : undefined,
    errorBlobUri: spec.errorBlobUri ? withoutSas(spec.errorBlobUri) : undefined,
  };
}

function isFailure(view: RunCommandInstanceView): boolean {
  return view.executionState === 'Failed' || view.executionState === 'TimedOut' || view.executionMessage.startsWith('Execution failed');
}

function provisioningError(record: RunCommandRecord, vm: SimulatedVm): ArmErrorBody {
  const type = vm.osType === 'Windows' ? 'RunCommandHandlerWindows' : 'RunCommandHandlerLinux';
  return {
    code: 'VMExtensionProvisioningError',
    message: `VM has reported a failure when processing extension '${record.name}' (publisher 'Microsoft.CPlat.Core' and type '${type}'). Error message: '${record.instanceView.executionMessage}'. More information on troubleshooting is available at https://aka.ms/RunCommandManaged.`,
  };
}

const PREEMPTED: ArmErrorBody = { code: 'OperationPreempted', message: 'Operation execution has been preempted by a more recent operation.' };

export class RunCommandService {
  private readonly byVm = new Map<string, Map<string, RunCommandRecord>>();
  private readonly sequences = new Map<string, number>();
  /** Set by stop: nothing starts any more. */
  private closed = false;

  constructor(
    private readonly deps: {
      fleet: () => Fleet;
      operations: OperationRegistry;
      counters: Counters;
      faults: FaultState;
      timings: Timings;
      dataDir: string;
      changed: () => void;
    },
  ) {}

  sandboxDir(vm: SimulatedVm): string {
    return join(this.deps.dataDir, 'agents', ...vm.key.split('/'));
  }

  list(vm: SimulatedVm): RunCommandRecord[] {
    return [...(this.byVm.get(vm.key)?.values() ?? [])];
  }

  get(vm: SimulatedVm, name: string): RunCommandRecord | undefined {
    return this.byVm.get(vm.key)?.get(name.toLowerCase());
  }

  count(): number {
    let n = 0;
    for (const m of this.byVm.values()) n += m.size;
    return n;
  }

  private nextSequence(vmKey: string): number {
    const n = (this.sequences.get(vmKey) ?? 0) + 1;
    this.sequences.set(vmKey, n);
    return n;
  }

  private isCurrent(record: RunCommandRecord, sequence: number): boolean {
    return !record.deleting && record.sequence === sequence && this.byVm.get(record.vmKey)?.get(record.name.toLowerCase()) === record;
  }

  private touch(record: RunCommandRecord): void {
    record.bodies.clear();
    this.deps.changed();
  }

  /** commandId is translated by the platform; the handler only ever sees a script. */
  private executionSpec(spec: RunCommandSpec): RunCommandSpec {
    if (!spec.source.commandId || spec.source.script || spec.source.scriptUri) return spec;
    const doc = findBuiltInCommand(spec.source.commandId);
    if (!doc) return spec;
    return { ...spec, source: { ...spec.source, script: doc.script.join('\n') } };
  }

  /** PUT: create, replace, or (identical spec) leave alone. */
  put(vm: SimulatedVm, name: string, write: RunCommandWrite): { record: RunCommandRecord; created: boolean; operationId: string } {
    if (write.location === undefined) throw armErrors.locationRequired();
    const location = normalizeLocation(write.location);
    if (location !== vm.location) {
      throw armErrors.invalidParameter('location', `The location '${write.location}' of run command '${name}' does not match the location '${vm.location}' of its virtual machine '${vm.name}'.`);
    }
    if (write.spec.source.commandId && !findBuiltInCommand(write.spec.source.commandId)) throw armErrors.entityNotFound();
    const existing = this.get(vm, name);
    if (existing?.deleting) throw armErrors.markedForDeletion(existing.name);
    if (!existing) {
      const count = this.byVm.get(vm.key)?.size ?? 0;
      if (count >= MAX_RUN_COMMANDS_PER_VM) throw armErrors.runCommandLimit(MAX_RUN_COMMANDS_PER_VM, count);
    }
    const hash = specHash(write.spec);
    const operation = this.deps.operations.create('runCommand', vm.subscriptionId, vm.location, vm.key);
    if (existing && existing.specHash === hash) {
      if (write.tags !== undefined) existing.tags = write.tags;
      this.attachIdentical(vm, existing, operation.id);
      this.touch(existing);
      return { record: existing, created: false, operationId: operation.id };
    }
    if (existing) {
      existing.tags = write.tags;
      this.reconfigure(vm, existing, write.spec, hash, operation.id);
      return { record: existing, created: false, operationId: operation.id };
    }
    const record: RunCommandRecord = {
      vmKey: vm.key,
      name,
      location: vm.location,
      tags: write.tags,
      spec: write.spec,
      specHash: hash,
      sequence: 0,
      provisioningState: 'Creating',
      instanceView: pendingView(),
      pendingOperations: [],
      deleting: false,
      deleteOperations: [],
      bodies: new Map(),
    };
    let records = this.byVm.get(vm.key);
    if (!records) {
      records = new Map();
      this.byVm.set(vm.key, records);
    }
    records.set(name.toLowerCase(), record);
    this.reconfigure(vm, record, write.spec, hash, operation.id);
    return { record, created: true, operationId: operation.id };
  }

  /** PATCH: merge the given properties; a changed result runs again. */
  patch(vm: SimulatedVm, record: RunCommandRecord, update: { tags?: Record<string, string>; spec: Partial<RunCommandSpec> }): string {
    if (record.deleting) throw armErrors.markedForDeletion(record.name);
    const merged: RunCommandSpec = { ...record.spec };
    for (const [key, value] of Object.entries(update.spec) as Array<[keyof RunCommandSpec, unknown]>) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
    if (merged.source.commandId && !findBuiltInCommand(merged.source.commandId)) throw armErrors.entityNotFound();
    if (update.tags !== undefined) record.tags = update.tags;
    const operation = this.deps.operations.create('runCommand', vm.subscriptionId, vm.location, vm.key);
    const hash = specHash(merged);
    if (hash === record.specHash) this.attachIdentical(vm, record, operation.id);
    else this.reconfigure(vm, record, merged, hash, operation.id);
    this.touch(record);
    return operation.id;
  }

  private attachIdentical(vm: SimulatedVm, record: RunCommandRecord, operationId: string): void {
    if (TERMINAL.has(record.provisioningState)) {
      const failed = record.provisioningState === 'Failed';
      this.deps.operations.complete(operationId, failed ? 'Failed' : 'Succeeded', failed ? { error: provisioningError(record, vm) } : {});
    } else {
      record.pendingOperations.push(operationId);
    }
  }

  private reconfigure(vm: SimulatedVm, record: RunCommandRecord, spec: RunCommandSpec, hash: string, operationId: string): void {
    for (const id of record.pendingOperations) this.deps.operations.complete(id, 'Canceled', { error: PREEMPTED });
    const previous = record.run;
    const isNew = record.sequence === 0;
    record.spec = spec;
    record.specHash = hash;
    record.sequence = this.nextSequence(vm.key);
    record.provisioningState = isNew ? 'Creating' : 'Updating';
    record.instanceView = pendingView();
    record.agent = undefined;
    record.pendingOperations = [operationId];
    record.run = undefined;
    this.touch(record);
    void this.deploy(vm, record, record.sequence, previous);
  }

  private async deploy(vm: SimulatedVm, record: RunCommandRecord, sequence: number, previous: AgentRun | undefined): Promise<void> {
    // The handler kills a still-running earlier execution of the same name first.
    if (previous) await previous.cancel();
    await delay(this.deps.timings.agentPickupMs() + this.deps.faults.vm(vm.key).agentPickupDelayMs);
    if (this.closed || !this.isCurrent(record, sequence)) return;
    const run = startManagedRun(
      {
        vm,
        runCommandName: record.name,
        sequence,
        sandboxDir: this.sandboxDir(vm),
        spec: this.executionSpec(record.spec),
        refreshMs: this.deps.timings.refreshMs,
      },
      {
        processStarted: (pid, dir) => {
          record.process = { pid, dir };
          record.runRecord = this.deps.counters.runStarted(vm.id, record.name, 'managed', pid);
          const crash = this.deps.faults.vm(vm.key).agentCrash;
          if (crash) {
            this.deps.faults.consumeCrash(vm.key);
            setTimeout(() => run.crash(), crash.afterMs).unref();
          }
          this.deps.changed();
        },
        processEnded: (exitCode, state) => {
          if (record.runRecord) this.deps.counters.runEnded(record.runRecord, exitCode, state);
          // record.process stays until the agent's final report: a stop in between still finds the output files.
          if (record.sequence === sequence) record.runRecord = undefined;
        },
        report: (view, phase) => {
          if (!this.isCurrent(record, sequence)) return;
          record.agent = { view, started: true, finished: phase === 'finished' };
          if (phase === 'finished') {
            record.run = undefined;
            record.process = undefined;
          }
          this.publish(vm, record);
        },
      },
    );
    record.run = run;
  }

  /**
   * Makes the agent's last report visible. A hung agent got as far as saying
   * the script started (the instance view shows Running) and then goes silent:
   * nothing more is published and provisioning never completes, until the
   * fault is cleared.
   */
  private publish(vm: SimulatedVm, record: RunCommandRecord): void {
    const agent = record.agent;
    if (!agent) return;
    if (this.deps.faults.vm(vm.key).hungAgent) {
      if (record.instanceView.executionState === 'Pending' && agent.view.startTime) {
        record.instanceView = { ...agent.view, executionState: 'Running', executionMessage: 'Execution in progress', exitCode: 0, output: '', error: '', endTime: undefined };
        this.touch(record);
      }
      return;
    }
    record.instanceView = agent.view;
    this.touch(record);
    if (TERMINAL.has(record.provisioningState) || record.deleting) return;
    if (agent.finished) void this.completeProvisioning(vm, record, record.sequence, record.spec.treatFailureAsDeploymentFailure && isFailure(agent.view));
    else if (record.spec.asyncExecution && agent.started) void this.completeProvisioning(vm, record, record.sequence, false);
  }

  private async completeProvisioning(vm: SimulatedVm, record: RunCommandRecord, sequence: number, failed: boolean): Promise<void> {
    await delay(this.deps.timings.provisioningLagMs());
    if (!this.isCurrent(record, sequence) || TERMINAL.has(record.provisioningState)) return;
    this.finishProvisioning(vm, record, failed);
  }

  private finishProvisioning(vm: SimulatedVm, record: RunCommandRecord, failed: boolean): void {
    record.provisioningState = failed ? 'Failed' : 'Succeeded';
    const error = failed ? provisioningError(record, vm) : undefined;
    for (const id of record.pendingOperations) this.deps.operations.complete(id, failed ? 'Failed' : 'Succeeded', error ? { error } : {});
    record.pendingOperations = [];
    this.touch(record);
  }

  /** DELETE: kills a running script, then removes the resource. undefined when there is nothing to delete. */
  delete(vm: SimulatedVm, record: RunCommandRecord | undefined): string | undefined {
    if (!record) return undefined;
    const operation = this.deps.operations.create('delete', vm.subscriptionId, vm.location, vm.key);
    record.deleteOperations.push(operation.id);
    if (record.deleting) return operation.id;
    record.deleting = true;
    record.provisioningState = 'Deleting';
    for (const id of record.pendingOperations) this.deps.operations.complete(id, 'Canceled', { error: PREEMPTED });
    record.pendingOperations = [];
    this.touch(record);
    void (async () => {
      await record.run?.cancel();
      record.run = undefined;
      await delay(this.deps.timings.deleteMs());
      this.remove(record);
    })();
    return operation.id;
  }

  private remove(record: RunCommandRecord): void {
    const records = this.byVm.get(record.vmKey);
    if (records?.get(record.name.toLowerCase()) === record) records.delete(record.name.toLowerCase());
    if (records && records.size === 0) this.byVm.delete(record.vmKey);
    for (const id of record.deleteOperations) this.deps.operations.complete(id, 'Succeeded');
    record.deleteOperations = [];
    this.deps.changed();
  }

  // ------------------------------------------------------------ VM faults

  /** The agent reports again: publish what it said while hung. */
  agentResumed(vm: SimulatedVm): void {
    for (const record of this.list(vm)) this.publish(vm, record);
  }

  /** The handler crashes: scripts running now are killed and reported Failed. Returns how many. */
  crashRunning(vm: SimulatedVm): number {
    let n = 0;
    for (const record of this.list(vm)) {
      if (record.run && record.process) {
        record.run.crash();
        n += 1;
      }
    }
    return n;
  }

  /** Deallocation stops the VM: running scripts die and are reported Failed. */
  async deallocated(vm: SimulatedVm): Promise<void> {
    const at = Date.now();
    await Promise.all(
      this.list(vm).map(async (record) => {
        if (!record.run || record.deleting) return;
        const sequence = record.sequence;
        const run = record.run;
        record.run = undefined;
        const dir = record.process?.dir;
        await run.cancel();
        if (!this.isCurrent(record, sequence)) return;
        const [output, error] = dir ? await Promise.all([readTail(join(dir, 'stdout'), TAIL_BYTES), readTail(join(dir, 'stderr'), TAIL_BYTES)]) : ['', ''];
        const view: RunCommandInstanceView = {
          executionState: 'Failed',
          executionMessage: 'Execution failed: the VM was deallocated while the script was running',
          exitCode: -1,
          output,
          error,
          startTime: record.agent?.view.startTime ?? resourceTime(at),
          endTime: resourceTime(Date.now()),
        };
        record.agent = { view, started: true, finished: true };
        record.instanceView = view;
        this.touch(record);
        if (!TERMINAL.has(record.provisioningState)) this.finishProvisioning(vm, record, record.spec.treatFailureAsDeploymentFailure);
      }),
    );
  }

  // ------------------------------------------------------------ lifecycle

  /** Stop: no script starts any more, and every running one is killed. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.killAll();
  }

  /** Kills every script (stop, reset). */
  async killAll(): Promise<void> {
    const runs: Array<Promise<void>> = [];
    for (const records of this.byVm.values()) {
      for (const record of records.values()) {
        if (record.run) runs.push(record.run.cancel());
        record.run = undefined;
      }
    }
    await Promise.all(runs);
  }

  async reset(): Promise<void> {
    for (const records of this.byVm.values()) {
      for (const record of records.values()) {
        record.deleting = true;
        for (const id of [...record.pendingOperations, ...record.deleteOperations]) this.deps.operations.complete(id, 'Canceled', { error: PREEMPTED });
      }
    }
    await this.killAll();
    this.byVm.clear();
    this.sequences.clear();
    this.deps.changed();
  }

  /** Drops run commands of VMs that left the fleet. */
  async retainFleet(fleet: Fleet): Promise<void> {
    for (const [vmKey, records] of [...this.byVm]) {
      if (fleet.byKey(vmKey)) continue;
      for (const record of records.values()) {
        record.deleting = true;
        await record.run?.cancel();
      }
      this.byVm.delete(vmKey);
    }
    this.deps.changed();
  }

  snapshot(): { runCommands: PersistedRunCommand[]; sequences: Record<string, number> } {
    const runCommands: PersistedRunCommand[] = [];
    for (const records of this.byVm.values()) {
      for (const r of records.values()) {
        runCommands.push({
          vmKey: r.vmKey,
          name: r.name,
          location: r.location,
          tags: r.tags,
          spec: publicSpec(r.spec),
          specHash: r.specHash,
          sequence: r.sequence,
          provisioningState: r.provisioningState,
          instanceView: r.instanceView,
          agentFinished: r.agent?.finished ?? false,
          pendingOperations: r.pendingOperations,
          deleting: r.deleting,
          deleteOperations: r.deleteOperations,
          process: r.process,
        });
      }
    }
    return { runCommands, sequences: Object.fromEntries(this.sequences) };
  }

  /**
   * Loads persisted run commands. A script that was running when the emulator
   * stopped is not re-run: its process group is killed if it is still alive,
   * and it is reported Failed (exit -1) with the output its files hold.
   */
  async restore(state: { runCommands: PersistedRunCommand[]; sequences: Record<string, number> }): Promise<void> {
    const fleet = this.deps.fleet();
    this.sequences.clear();
    for (const [k, v] of Object.entries(state.sequences)) this.sequences.set(k, v);
    for (const p of state.runCommands) {
      const vm = fleet.byKey(p.vmKey);
      if (!vm) continue;
      const record: RunCommandRecord = {
        ...p,
        agent: p.agentFinished ? { view: p.instanceView, started: true, finished: true } : undefined,
        bodies: new Map(),
      };
      if (record.deleting) {
        for (const id of record.deleteOperations) this.deps.operations.complete(id, 'Succeeded');
        continue;
      }
      let records = this.byVm.get(vm.key);
      if (!records) {
        records = new Map();
        this.byVm.set(vm.key, records);
      }
      records.set(record.name.toLowerCase(), record);
      if (p.agentFinished && TERMINAL.has(record.provisioningState)) continue;
      if (!p.agentFinished) await this.closeInterrupted(record);
      if (!TERMINAL.has(record.provisioningState)) {
        this.finishProvisioning(vm, record, record.spec.treatFailureAsDeploymentFailure && isFailure(record.instanceView));
      }
    }
  }

  private async closeInterrupted(record: RunCommandRecord): Promise<void> {
    const now = Date.now();
    let output = record.instanceView.output;
    let error = record.instanceView.error;
    if (record.process) {
      if (isOurProcess(record.process.pid, record.process.dir)) killProcessGroup(record.process.pid);
      [output, error] = await Promise.all([readTail(join(record.process.dir, 'stdout'), TAIL_BYTES), readTail(join(record.process.dir, 'stderr'), TAIL_BYTES)]);
    }
    const started = record.instanceView.startTime;
    const view: RunCommandInstanceView = {
      executionState: 'Failed',
      executionMessage: started
        ? 'Execution failed: the emulator stopped while the script was running; the script was killed and is not run again'
        : 'Execution failed: the emulator stopped before the script started; it is not run',
      exitCode: -1,
      output,
      error,
      startTime: started ?? resourceTime(now),
      endTime: resourceTime(now),
    };
    record.instanceView = view;
    record.agent = { view, started: true, finished: true };
    record.process = undefined;
  }
}

/** A pid from a previous life is ours only if it still works in the run's folder (pids get reused). */
function isOurProcess(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    return false;
  }
}
