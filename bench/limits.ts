import { COMPUTE_POLICIES } from '../src/emulator/throttle';
import { chaosFleet, chaosRunbook } from '../test/chaos/rollout';
import { startFleet } from '../test/harness/fleet';
import type { BenchContext } from './context';
import { historyFigures, runRollout, startWorkerProcess } from './fleetcmd-run';
import { formatTable, mib, ratio, seconds } from './table';

/**
 * P2 and P4: a large one-step rollout under Compute's and ARM's real buckets
 * (sizes as Azure's, refills sped up by 1/timeScale), its wall time against
 * the least time those buckets allow, the 429s it drew, and the worker's peak
 * RSS and the largest history on the way.
 */
export interface LimitsOptions {
  targets: number;
  /** The emulator's time scale: buckets refill 1/timeScale times faster than Azure's. */
  timeScale: number;
  concurrency: number;
}

/** The least time a bucket of `size` refilling `perSecond` allows for `ops` requests. */
export function boundSeconds(ops: number, size: number, perSecond: number): number {
  return Math.max(0, (ops - size) / perSecond);
}

/**
 * What the buckets imply for `targets` one-step targets: each target costs a
 * PUT and a DELETE ("Update VM" for Compute; a write and a delete for ARM) and
 * at least two reads (the GET before the PUT and one poll).
 */
export function bucketBound(targets: number, timeScale: number): { seconds: number; by: string } {
  const update = COMPUTE_POLICIES.UpdateVM.subscription;
  const speedup = 1 / timeScale;
  const candidates: Array<[string, number]> = [
    ['Compute UpdateVM per subscription (PUT + DELETE)', boundSeconds(targets * 2, update.size, (update.perMinute / 60) * speedup)],
    ['ARM writes (PUT)', boundSeconds(targets, 200, 10 * speedup)],
    ['ARM deletes', boundSeconds(targets, 200, 10 * speedup)],
    ['ARM reads (2 per target at least)', boundSeconds(targets * 2, 250, 25 * speedup)],
  ];
  const [by, seconds] = candidates.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { seconds, by };
}

export interface LimitsFigures {
  table: string;
  wallMs: number;
  boundSeconds: number;
  throttled: number;
  requests: number;
  succeeded: number;
  peakRssBytes: number;
  largestHistory: number;
}

export async function limits(ctx: BenchContext, options: LimitsOptions): Promise<LimitsFigures> {
  const rg = 'bench-p2';
  const { definition } = chaosFleet(rg, options.targets);
  const fleet = await startFleet({ timeScale: options.timeScale, throttling: { enabled: true, scale: 1, arm: true }, fleet: definition });
  try {
    const runbook = chaosRunbook('bench-limits', rg, ['{ name: apply, script: "echo applied" }'], `{ maxConcurrency: ${options.concurrency}, maxErrors: "100%" }`);
    const worker = await startWorkerProcess(fleet, { logFile: ctx.file('p2-worker.log') });
    const rolloutId = `bench-p2-${Date.now()}`;
    let run;
    try {
      ctx.log(`P2/P4: ${options.targets} targets under Azure's buckets (time scale ${options.timeScale})`);
      run = await runRollout(fleet, { runbook, rolloutId, poll: { initialIntervalMs: 500, maximumIntervalMs: 2_000 } });
    } finally {
      await worker.stop();
    }
    const requests = await fleet.admin.requestCounts();
    const histories = await historyFigures(fleet.client, rolloutId, fleet.taskQueue);
    const bound = bucketBound(options.targets, options.timeScale);
    const largest = Math.max(histories.largestRollout, histories.largestTarget);
    const table = formatTable(
      `P2 limit-bound and P4 footprint: ${options.targets} targets x 1 step, Azure's bucket sizes, refills x${(1 / options.timeScale).toFixed(1)} (time scale ${options.timeScale}), concurrency ${options.concurrency}`,
      ['', 'measured', 'bound / goal', 'ratio'],
      [
        ['wall time (s)', seconds(run.wallMs), bound.seconds.toFixed(1), ratio(run.wallMs / 1000, bound.seconds)],
        ['  binding bucket', bound.by, '', ''],
        ['targets succeeded', run.report.counts.Succeeded, options.targets, ''],
        ['ARM requests', requests.total, '', ''],
        ['  answered 429', requests.throttled, 0, ''],
        ['  GET / PUT / DELETE', `${requests.byMethod.GET ?? 0} / ${requests.byMethod.PUT ?? 0} / ${requests.byMethod.DELETE ?? 0}`, '', ''],
        ['worker peak RSS (MiB)', mib(worker.peakRssBytes()), 512, ratio(worker.peakRssBytes(), 512 * 1024 * 1024)],
        ['rollout runs (continue-as-new)', histories.rolloutRuns, '', ''],
        ['largest rollout history (events)', histories.largestRollout, 10_240, ratio(histories.largestRollout, 10_240)],
        ['largest target history (events)', histories.largestTarget, 10_240, ratio(histories.largestTarget, 10_240)],
        ['target events per target', histories.targets ? Math.round((histories.targetEvents / histories.targets) * 10) / 10 : undefined, '', ''],
      ],
    );
    return {
      table,
      wallMs: run.wallMs,
      boundSeconds: bound.seconds,
      throttled: requests.throttled,
      requests: requests.total,
      succeeded: run.report.counts.Succeeded,
      peakRssBytes: worker.peakRssBytes(),
      largestHistory: largest,
    };
  } finally {
    await fleet.close();
  }
}
