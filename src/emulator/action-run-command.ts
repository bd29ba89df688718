import { startActionRun, type ActionRunResult } from './agent';
import { armErrors } from './arm-errors';
import { findBuiltInCommand } from './builtin-commands';
import type { Counters } from './counters';
import type { FaultState } from './faults';
import type { SimulatedVm } from './fleet';
import type { OperationRegistry } from './operations';
import { delay, type Timings } from './timing';
import type { RunCommandInputParameter } from './types';

/**
 * The action Run Command (POST .../runCommand): one at a time per VM (Azure
 * answers 409 Conflict to an overlapping one), the result reported once, at
 * the end, through the operation and its Location.
 */

export interface ActionRunCommandInput {
  commandId: string;
  script?: string[];
  parameters?: RunCommandInputParameter[];
}

interface ActionState {
  operationId: string;
  crash?: () => void;
  cancel?: () => Promise<void>;
  /** Held back while the agent hangs. */
  finished?: ActionRunResult;
}

export class ActionRunCommandService {
  private readonly active = new Map<string, ActionState>();
  private sequence = 0;
  private closed = false;

  constructor(
    private readonly deps: {
      operations: OperationRegistry;
      counters: Counters;
      faults: FaultState;
      timings: Timings;
      sandboxDir: (vm: SimulatedVm) => string;
    },
  ) {}

  isRunning(vm: SimulatedVm): boolean {
    return this.active.has(vm.key);
  }

  invoke(vm: SimulatedVm, input: ActionRunCommandInput): string {
    const doc = findBuiltInCommand(input.commandId);
    if (!doc) throw armErrors.entityNotFound();
    if (this.active.has(vm.key)) throw armErrors.actionRunCommandInProgress();
    const operation = this.deps.operations.create('action', vm.subscriptionId, vm.location, vm.key);
    const state: ActionState = { operationId: operation.id };
    this.active.set(vm.key, state);
    const script = (input.script && input.script.length > 0 ? input.script : doc.script).join('\n');
    void (async () => {
      await delay(this.deps.timings.actionPickupMs());
      if (this.closed || this.active.get(vm.key) !== state) return;
      let record: ReturnType<Counters['runStarted']> | undefined;
      const run = startActionRun(
        { vm, sequence: ++this.sequence, sandboxDir: this.deps.sandboxDir(vm), script, parameters: input.parameters ?? [] },
        {
          processStarted: (pid) => {
            record = this.deps.counters.runStarted(vm.id, doc.id, 'action', pid);
          },
          processEnded: (exitCode, executionState) => {
            if (record) this.deps.counters.runEnded(record, exitCode, executionState);
          },
        },
      );
      state.crash = run.crash;
      state.cancel = async () => {
        await run.cancel();
      };
      const crash = this.deps.faults.vm(vm.key).agentCrash;
      if (crash) {
        this.deps.faults.consumeCrash(vm.key);
        setTimeout(() => run.crash(), crash.afterMs).unref();
      }
      state.finished = await run.result;
      this.report(vm);
    })();
    return operation.id;
  }

  /** Completes the operation with the result, unless the agent hangs. */
  private report(vm: SimulatedVm): void {
    const state = this.active.get(vm.key);
    if (!state?.finished || this.deps.faults.vm(vm.key).hungAgent) return;
    this.active.delete(vm.key);
    const { value, crashed } = state.finished;
    if (crashed) {
      this.deps.operations.complete(state.operationId, 'Failed', {
        result: value,
        error: { code: 'VMExtensionProvisioningError', message: `VM has reported a failure when processing extension 'RunCommandLinux'. Error message: '${value[0]?.message ?? ''}'.` },
      });
    } else {
      this.deps.operations.complete(state.operationId, 'Succeeded', { result: value });
    }
  }

  agentResumed(vm: SimulatedVm): void {
    this.report(vm);
  }

  crashRunning(vm: SimulatedVm): number {
    const state = this.active.get(vm.key);
    if (!state?.crash || state.finished) return 0;
    state.crash();
    return 1;
  }

  /** Stop: no action run starts any more, and running ones are killed. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.killAll();
  }

  async killAll(): Promise<void> {
    const states = [...this.active.values()];
    this.active.clear();
    await Promise.all(states.map((s) => s.cancel?.()));
  }

  /** An action run cut short by a restart or reset. */
  interrupt(operationId: string, reason: string): void {
    this.deps.operations.complete(operationId, 'Failed', { error: { code: 'InternalExecutionError', message: reason } });
  }
}
