import type { ChaosEnvironment } from '../environment';
import { chaosFleet, chaosRunbook, underTest } from '../rollout';
import { runScenario, type ChaosContext, type FaultSummary, type ScenarioOptions, type ScenarioResult } from '../scenario';

export interface WorkerKillOptions extends ScenarioOptions {
  /** kill -9s of the worker during the rollout (20 in the full run). */
  kills?: number;
  /** Seconds a new worker runs before it is killed: drawn uniformly from this range. */
  secondsBetweenKills?: [number, number];
}

/**
 * R1: the worker process is killed with SIGKILL again and again while a
 * rollout runs, each time after a seeded random while, and a new one is
 * started at once. Whatever the worker was doing — a PUT on its way, a poll,
 * a workflow task — is lost with it; the rollout must still end with every
 * target done and every script run once.
 */
export function workerKills(env: ChaosEnvironment, options: WorkerKillOptions): Promise<ScenarioResult> {
  const kills = options.kills ?? 20;
  const [minGap, maxGap] = options.secondsBetweenKills ?? [2, 8];
  const rg = 'chaos-r1';
  const { definition, targets } = chaosFleet(rg, options.targets);
  return runScenario(env, {
    id: 'R1',
    title: `${kills} × kill -9 of the worker during a rollout`,
    options,
    // Two dependent steps long enough that kills land mid-script as well as between steps.
    runbook: chaosRunbook('chaos-worker-kills', rg, ['{ name: prepare, script: "sleep 1; echo prepared" }', '{ name: apply, dependsOn: [prepare], script: "sleep 2; echo applied" }'], '{ maxConcurrency: 20 }'),
    targets: underTest(targets),
    fleet: { fleet: definition },
    deadlineMs: 30 * 60_000,
    chaos: (ctx) => killRepeatedly(ctx, kills, minGap, maxGap),
  });
}

async function killRepeatedly(ctx: ChaosContext, kills: number, minGap: number, maxGap: number): Promise<FaultSummary> {
  const gaps: number[] = [];
  for (let i = 0; i < kills; i++) {
    const gap = ctx.prng.between(minGap, maxGap);
    if (!(await ctx.sleep(gap * 1000))) break;
    await ctx.workers.kill9();
    gaps.push(gap);
    ctx.log(`kill -9 ${i + 1}/${kills} after ${gap.toFixed(1)} s`);
    // A new worker at once (the time it takes to start is part of the outage).
    await ctx.workers.start();
  }
  const done = ctx.workers.kills;
  return {
    injected: done,
    detail: `${done} worker kill -9 (every ${minGap}–${maxGap} s, mean ${mean(gaps).toFixed(1)} s)`,
    ...(done < kills ? { shortfall: `only ${done} of ${kills} kills happened before the rollout ended` } : {}),
  };
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}
