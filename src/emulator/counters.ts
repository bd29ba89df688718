import type { ExecutionState, RunRecord } from './types';

/**
 * What tests read to prove behaviour: how many times each (VM, run command)
 * really ran a script, every run's start/end/exit/pid, peak concurrency
 * (overall and per VM) and request/429 counts.
 */

const MAX_RUN_RECORDS = 200_000;

export interface ExecutionCount {
  vm: string;
  runCommand: string;
  kind: 'managed' | 'action';
  count: number;
}

export interface ConcurrencyCounters {
  current: number;
  peak: number;
  perVm: Array<{ vm: string; current: number; peak: number }>;
}

export interface RequestCounters {
  total: number;
  throttled: number;
  byStatus: Record<string, number>;
  /** Requests by HTTP method (GET, PUT, DELETE, ...), whatever their answer. */
  byMethod: Record<string, number>;
}

export interface CountersSnapshot {
  executions: ExecutionCount[];
  runs: RunRecord[];
  concurrency: ConcurrencyCounters;
  requests: RequestCounters;
}

function executionKey(vm: string, kind: string, runCommand: string): string {
  return `${vm.toLowerCase()}|${kind}|${runCommand.toLowerCase()}`;
}

export class Counters {
  private executions = new Map<string, ExecutionCount>();
  private runs: RunRecord[] = [];
  private current = 0;
  private peak = 0;
  private perVm = new Map<string, { vm: string; current: number; peak: number }>();
  private requests: RequestCounters = { total: 0, throttled: 0, byStatus: {}, byMethod: {} };

  constructor(private readonly onChange: () => void = () => undefined) {}

  /** A script process started: one execution, one more running. */
  runStarted(vm: string, runCommand: string, kind: 'managed' | 'action', pid: number): RunRecord {
    const key = executionKey(vm, kind, runCommand);
    const entry = this.executions.get(key);
    if (entry) entry.count += 1;
    else this.executions.set(key, { vm, runCommand, kind, count: 1 });
    const record: RunRecord = { vm, runCommand, kind, startedAt: new Date().toISOString(), executionState: 'Running', pid };
    this.runs.push(record);
    if (this.runs.length > MAX_RUN_RECORDS) this.runs.splice(0, this.runs.length - MAX_RUN_RECORDS);
    this.current += 1;
    this.peak = Math.max(this.peak, this.current);
    const vmKey = vm.toLowerCase();
    const perVm = this.perVm.get(vmKey) ?? { vm, current: 0, peak: 0 };
    perVm.current += 1;
    perVm.peak = Math.max(perVm.peak, perVm.current);
    this.perVm.set(vmKey, perVm);
    this.onChange();
    return record;
  }

  runEnded(record: RunRecord, exitCode: number, executionState: ExecutionState): void {
    if (record.endedAt) return;
    record.endedAt = new Date().toISOString();
    record.exitCode = exitCode;
    record.executionState = executionState;
    this.current = Math.max(0, this.current - 1);
    const perVm = this.perVm.get(record.vm.toLowerCase());
    if (perVm) perVm.current = Math.max(0, perVm.current - 1);
    this.onChange();
  }

  get running(): number {
    return this.current;
  }

  request(status: number, method: string): void {
    this.requests.total += 1;
    if (status === 429) this.requests.throttled += 1;
    const key = String(status);
    this.requests.byStatus[key] = (this.requests.byStatus[key] ?? 0) + 1;
    this.requests.byMethod[method] = (this.requests.byMethod[method] ?? 0) + 1;
  }

  executionCount(vm: string, runCommand: string, kind: 'managed' | 'action' = 'managed'): number {
    return this.executions.get(executionKey(vm, kind, runCommand))?.count ?? 0;
  }

  snapshot(filter: { vm?: string; runCommand?: string } = {}): CountersSnapshot {
    const vm = filter.vm?.toLowerCase();
    const rc = filter.runCommand?.toLowerCase();
    const matches = (v: string, r: string): boolean => (!vm || v.toLowerCase() === vm) && (!rc || r.toLowerCase() === rc);
    return {
      executions: [...this.executions.values()].filter((e) => matches(e.vm, e.runCommand)).map((e) => ({ ...e })),
      runs: this.runs.filter((r) => matches(r.vm, r.runCommand)).map((r) => ({ ...r })),
      concurrency: {
        current: this.current,
        peak: this.peak,
        perVm: [...this.perVm.values()].filter((p) => !vm || p.vm.toLowerCase() === vm).map((p) => ({ ...p })),
      },
      requests: { ...this.requests, byStatus: { ...this.requests.byStatus }, byMethod: { ...this.requests.byMethod } },
    };
  }

  /** Runs still marked running (after a restart they are closed as failed). */
  openRuns(): RunRecord[] {
    return this.runs.filter((r) => !r.endedAt);
  }

  restore(snapshot: CountersSnapshot): void {
    this.executions = new Map(snapshot.executions.map((e) => [executionKey(e.vm, e.kind, e.runCommand), { ...e }]));
    this.runs = snapshot.runs.map((r) => ({ ...r }));
    this.peak = snapshot.concurrency.peak;
    this.current = 0;
    this.perVm = new Map(snapshot.concurrency.perVm.map((p) => [p.vm.toLowerCase(), { vm: p.vm, current: 0, peak: p.peak }]));
    this.requests = { ...snapshot.requests, byStatus: { ...snapshot.requests.byStatus }, byMethod: { ...snapshot.requests.byMethod } };
    // Runs open at the time of the snapshot count as running until the caller closes them.
    for (const run of this.runs) {
      if (run.endedAt) continue;
      this.current += 1;
      const perVm = this.perVm.get(run.vm.toLowerCase());
      if (perVm) perVm.current += 1;
    }
  }

  /** Forgets history; scripts still running stay counted as running (their end will be recorded). */
  reset(): void {
    this.executions.clear();
    this.runs = this.runs.filter((r) => !r.endedAt);
    this.peak = this.current;
    for (const [key, perVm] of this.perVm) {
      if (perVm.current === 0) this.perVm.delete(key);
      else perVm.peak = perVm.current;
    }
    this.requests = { total: 0, throttled: 0, byStatus: {}, byMethod: {} };
    this.onChange();
  }
}
