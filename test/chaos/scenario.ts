import { randomUUID } from 'node:crypto';
import type { Runbook } from '../../src/runbook/runbook';
import { startFleet, type Fleet, type FleetOptions } from '../harness/fleet';
import type { ChaosEnvironment } from './environment';
import { Prng, mixSeed } from './prng';
import { awaitRollout, awaitTargetsClosed, startChaosRollout, type RolloutEnd, type StartedRollout } from './rollout';
import { verifyRollout, type TargetUnderTest, type Verification } from './verify';
import { WorkerProcesses } from './worker-processes';
import { onInterrupt } from './interrupt';

export type ScenarioId = 'R1' | 'R2' | 'R3' | 'R4';

/** How long after the rollout's end its targets' workflows may still be closing. */
const TARGET_CLOSE_GRACE_MS = 60_000;

export interface ScenarioOptions {
  targets: number;
  seed: number;
  /** How long the rollout may take before the scenario gives up on it (each scenario has a default). */
  deadlineMs?: number;
}

/** What the faults of a scenario amounted to. */
export interface FaultSummary {
  injected: number;
  detail: string;
  /** Set when the scenario could not inject all it meant to (e.g. the rollout ended first). */
  shortfall?: string;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  seed: number;
  targets: number;
  rollout: { id: string; status: string; stopReason?: string };
  verification: Verification;
  faults: FaultSummary;
  wallMs: number;
  /** Worker processes: how many ran, were killed by the scenario, or exited on their own (and were replaced). */
  workers: { started: number; killed: number; exitedByThemselves: number };
  /** Scenario-specific figures. */
  notes: string[];
  /** Every broken invariant; empty when the scenario holds. */
  violations: string[];
  /** The scenario's worker logs. */
  dataDir: string;
}

/** What a scenario's chaos routine gets while the rollout runs. */
export interface ChaosContext {
  fleet: Fleet;
  workers: WorkerProcesses;
  rollout: StartedRollout;
  prng: Prng;
  log(line: string): void;
  /** True once the rollout has ended (or the deadline passed): stop injecting. */
  ended(): boolean;
  /** Sleeps, waking early when the rollout ends; false if it woke for that. */
  sleep(ms: number): Promise<boolean>;
}

export interface ScenarioDefinition {
  id: ScenarioId;
  title: string;
  options: ScenarioOptions;
  runbook: Runbook;
  targets: TargetUnderTest[];
  fleet: FleetOptions;
  agentGraceSeconds?: number;
  /** How long the rollout may take before the scenario gives up on it, unless the options say otherwise. */
  deadlineMs: number;
  /** Before the rollout starts (e.g. VM faults). */
  prepare?(fleet: Fleet, prng: Prng): Promise<void>;
  /** Runs alongside the rollout until it ends; returns what it injected. */
  chaos(ctx: ChaosContext): Promise<FaultSummary>;
  /** Scenario-specific invariants, checked after the common ones, and figures worth printing. */
  check?(ctx: { fleet: Fleet; rollout: StartedRollout; verification: Verification }): Promise<{ violations: string[]; notes?: string[] }>;
  /** Called once everything is stopped (e.g. a Temporal server of the scenario's own). */
  cleanup?(): Promise<void>;
}

/**
 * One scenario, start to end: a fleet (emulator in this process, a worker
 * process), a rollout, the scenario's chaos alongside it, then the common
 * invariants and the scenario's own. Everything it started is stopped,
 * whatever happens.
 */
export async function runScenario(env: ChaosEnvironment, def: ScenarioDefinition): Promise<ScenarioResult> {
  const { id, options } = def;
  const log = (line: string): void => env.log(`${id} ${line}`);
  const prng = new Prng(mixSeed(options.seed, id));
  const dataDir = env.scenarioDir(id.toLowerCase());
  let fleet: Fleet | undefined;
  let workers: WorkerProcesses | undefined;
  let stopped: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopped ??= (async () => {
      await workers?.stop();
      await fleet?.close();
      await def.cleanup?.();
    })());
  const untrack = onInterrupt(stopAll);
  try {
    fleet = await startFleet(def.fleet);
    workers = new WorkerProcesses({ env: fleet.workerEnv, logDir: dataDir, log });
    await def.prepare?.(fleet, prng.fork('prepare'));
    await workers.start();

    const rolloutId = `chaos-${id.toLowerCase()}-s${options.seed}-${randomUUID().slice(0, 6)}`;
    log(`rollout ${rolloutId}: ${options.targets} targets, seed ${options.seed}`);
    const rollout = await startChaosRollout(fleet.client, { runbook: def.runbook, taskQueue: fleet.taskQueue, rolloutId, agentGraceSeconds: def.agentGraceSeconds });
    const deadlineMs = options.deadlineMs ?? def.deadlineMs;
    const deadline = rollout.startedAt + deadlineMs;

    const rolloutEnd = new EndSignal();
    const ctx: ChaosContext = { fleet, workers, rollout, prng: prng.fork('chaos'), log, ended: () => rolloutEnd.ended, sleep: (ms) => rolloutEnd.sleep(ms) };
    const chaos = def.chaos(ctx);
    // If the chaos routine throws, the rollout is still waited for: the routine's error is reported with the rest.
    const chaosOutcome = chaos.then(
      (summary) => ({ summary }),
      (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
    );
    const end = await awaitRollout(rollout.handle, deadline, log);
    const wallMs = Date.now() - rollout.startedAt;
    rolloutEnd.fire();
    const chaosResult = await chaosOutcome;
    // Targets close just after they report; a worker must be there for that. A target still running after a minute is lost.
    await awaitTargetsClosed(fleet.client, rolloutId, def.targets.map((t) => t.ref), Date.now() + TARGET_CLOSE_GRACE_MS);
    // No worker from here on: an execution that a straggling activity would still send cannot slip in after the count.
    await workers.stop();
    const report = 'report' in end ? end.report : undefined;
    const verification = await verifyRollout({ client: fleet.client, admin: fleet.admin, rolloutId, steps: rollout.steps, targets: def.targets, report });
    const violations = [...endViolations(end, deadlineMs), ...verification.violations];
    if ('error' in chaosResult) violations.push(`the chaos routine failed: ${chaosResult.error}`);
    const faults = 'summary' in chaosResult ? chaosResult.summary : { injected: 0, detail: 'none (the chaos routine failed)' };
    if (faults.shortfall) violations.push(`the scenario fell short: ${faults.shortfall}`);
    const own = (await def.check?.({ fleet, rollout, verification })) ?? { violations: [] };
    violations.push(...own.violations);
    return {
      id,
      title: def.title,
      seed: options.seed,
      targets: options.targets,
      rollout: { id: rolloutId, status: report?.status ?? ('failure' in end ? 'Failed' : 'did not end'), ...(report?.stopReason ? { stopReason: report.stopReason } : {}) },
      verification,
      faults,
      wallMs,
      workers: { started: workers.started, killed: workers.kills, exitedByThemselves: workers.unexpectedExits },
      notes: own.notes ?? [],
      violations,
      dataDir,
    };
  } finally {
    untrack();
    await stopAll();
  }
}

/** Tells the chaos routine the rollout is over: sleeps end early, and ended() says so. */
class EndSignal {
  ended = false;
  private readonly wakers = new Set<() => void>();

  fire(): void {
    this.ended = true;
    this.wakers.forEach((wake) => wake());
  }

  /** true when the whole while passed, false when the end cut it short. */
  sleep(ms: number): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        resolve(true);
      }, ms);
      this.wakers.add(wake);
    });
  }
}

function endViolations(end: RolloutEnd, deadlineMs: number): string[] {
  if ('failure' in end) return [`the rollout workflow failed: ${end.failure}`];
  if ('timedOut' in end) return [`the rollout did not end within ${Math.round(deadlineMs / 60_000)} minutes`];
  return [];
}
