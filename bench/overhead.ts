import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { targetKey, targetWorkflowId, type PollPolicy, type TargetRef } from '../src/runbook/execution';
import { chaosFleet, chaosRunbook } from '../test/chaos/rollout';
import { startFleet, SUBSCRIPTION, type Fleet } from '../test/harness/fleet';
import { runRollout, startWorkerProcess } from './fleetcmd-run';
import type { PlainFleetInput, PlainFleetResult } from './plain-fleet';
import type { BenchContext } from './context';
import { formatTable, mib, ratio, seconds } from './table';
import { targetTimeline } from './timeline';

/**
 * P1: fleetcmd's wall time against a plain non-durable script making the same
 * ARM calls with the same concurrency, on the same emulator in the same run —
 * first with the recorded sessions' latencies (time-scaled), then with none
 * (the orchestrator's own ceiling, in steps per second).
 */
export interface OverheadOptions {
  targets: number;
  steps: number;
  concurrency: number;
  /** Time scale of the realistic latency profile (0.1: a 15 s step takes 1.5 s). */
  timeScale: number;
  /** The zero-latency ceiling's fleet and concurrency. */
  ceilingTargets: number;
  ceilingConcurrency: number;
}

export interface Side {
  wallMs: number;
  steps: number;
  succeeded: number;
  peakRssBytes: number;
}

export interface Pair {
  label: string;
  fleetcmd: Side;
  plain: Side;
}

export interface OverheadFigures {
  table: string;
  /** fleetcmd's wall time over the plain script's, with realistic latency. */
  ratio: number;
  realistic: Pair;
  ceiling: Pair;
}

export async function overhead(ctx: BenchContext, options: OverheadOptions): Promise<OverheadFigures> {
  const realistic = await comparison(ctx, 'realistic', {
    targets: options.targets,
    steps: options.steps,
    concurrency: options.concurrency,
    emulator: { timeScale: options.timeScale, latencyProfile: 'realistic' as const, instanceViewRefreshMs: undefined },
    // Both sides poll at the same interval: the instance view refreshes every 15 s x timeScale.
    pollMs: Math.max(100, Math.round(5_000 * options.timeScale)),
  });
  const ceiling = await comparison(ctx, 'zero-latency', {
    targets: options.ceilingTargets,
    steps: options.steps,
    concurrency: options.ceilingConcurrency,
    emulator: { timeScale: 0.01, latencyProfile: 'none' as const, instanceViewRefreshMs: 20 },
    pollMs: 100,
  });
  const rows = [realistic, ceiling].flatMap((p) => [
    [`${p.label}: wall time (s)`, seconds(p.fleetcmd.wallMs), seconds(p.plain.wallMs), ratio(p.fleetcmd.wallMs, p.plain.wallMs)],
    [`${p.label}: steps per second`, perSecond(p.fleetcmd), perSecond(p.plain), ratio(perSecond(p.fleetcmd), perSecond(p.plain))],
    [`${p.label}: targets succeeded`, p.fleetcmd.succeeded, p.plain.succeeded, ''],
    [`${p.label}: worker / script peak RSS (MiB)`, mib(p.fleetcmd.peakRssBytes), mib(p.plain.peakRssBytes), ratio(p.fleetcmd.peakRssBytes, p.plain.peakRssBytes)],
  ]);
  const table = formatTable(
    `P1 overhead: ${options.targets} targets x ${options.steps} steps, concurrency ${options.concurrency}, realistic latency x${options.timeScale}; ceiling: ${options.ceilingTargets} targets, concurrency ${options.ceilingConcurrency}, no latency`,
    ['', 'fleetcmd', 'plain script', 'ratio'],
    rows,
  );
  return { table, ratio: realistic.fleetcmd.wallMs / Math.max(1, realistic.plain.wallMs), realistic, ceiling };
}

function perSecond(side: Side): number {
  return side.wallMs > 0 ? side.steps / (side.wallMs / 1000) : 0;
}

async function comparison(
  ctx: BenchContext,
  label: string,
  o: { targets: number; steps: number; concurrency: number; emulator: Parameters<typeof startFleet>[0]; pollMs: number },
): Promise<Pair> {
  const rg = `bench-p1-${label}`;
  const { definition, targets } = chaosFleet(rg, o.targets);
  const fleet = await startFleet({ ...o.emulator, fleet: definition });
  try {
    const scripts = Array.from({ length: o.steps }, (_, i) => `echo step-${i + 1}`);
    ctx.log(`P1 ${label}: fleetcmd, ${o.targets} targets`);
    const fleetcmd = await fleetcmdSide(ctx, fleet, { rg, sample: targets[0], scripts, concurrency: o.concurrency, poll: { initialIntervalMs: o.pollMs, maximumIntervalMs: o.pollMs } });
    await fleet.admin.reset('all');
    ctx.log(`P1 ${label}: plain script, ${o.targets} targets`);
    const plain = await plainSide(fleet, { rg, scripts, concurrency: o.concurrency, pollMs: o.pollMs });
    return { label, fleetcmd, plain };
  } finally {
    await fleet.close();
  }
}

async function fleetcmdSide(ctx: BenchContext, fleet: Fleet, o: { rg: string; sample?: TargetRef; scripts: string[]; concurrency: number; poll: PollPolicy }): Promise<Side> {
  const steps = o.scripts.map((script, i) => `{ name: s${i + 1}, ${i > 0 ? `dependsOn: [s${i}], ` : ''}script: "${script}" }`);
  const runbook = chaosRunbook('bench-overhead', o.rg, steps, `{ maxConcurrency: ${o.concurrency}, maxErrors: "100%" }`);
  const worker = await startWorkerProcess(fleet, { logFile: ctx.file(`p1-worker-${o.rg}.log`) });
  try {
    const rolloutId = `${o.rg}-${Date.now()}`;
    const run = await runRollout(fleet, { runbook, rolloutId, poll: o.poll });
    if (o.sample) {
      // Where one target's time went, for whoever wants to see the orchestration's share.
      const file = ctx.file(`p1-timeline-${o.rg}.txt`);
      writeFileSync(file, await targetTimeline(fleet.client, targetWorkflowId(rolloutId, o.sample)));
      ctx.log(`P1: the timeline of ${targetKey(o.sample)} is in ${file}`);
    }
    const succeeded = run.report.counts.Succeeded;
    return { wallMs: run.wallMs, steps: succeeded * o.scripts.length, succeeded, peakRssBytes: worker.peakRssBytes() };
  } finally {
    await worker.stop();
  }
}

async function plainSide(fleet: Fleet, o: { rg: string; scripts: string[]; concurrency: number; pollMs: number }): Promise<Side> {
  const input: PlainFleetInput = {
    armEndpoint: fleet.azure.armEndpoint,
    armCaFile: fleet.azure.armCaFile ?? '',
    armToken: fleet.azure.armToken ?? '',
    subscriptionId: SUBSCRIPTION,
    resourceGroup: o.rg,
    location: 'westus',
    scripts: o.scripts,
    concurrency: o.concurrency,
    pollIntervalMs: o.pollMs,
    namePrefix: 'plain',
  };
  const result = await runChild(input);
  return { wallMs: result.wallMs, steps: result.steps, succeeded: result.succeeded, peakRssBytes: result.peakRssBytes };
}

function runChild(input: PlainFleetInput): Promise<PlainFleetResult> {
  const root = join(__dirname, '..');
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'plain-fleet.ts'), JSON.stringify(input)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the plain script exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as PlainFleetResult);
    });
  });
}
