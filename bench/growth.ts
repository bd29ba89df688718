import { defaultPollPolicy, type PollPolicy, type TargetRef } from '../src/runbook/execution';
import { planRunbook } from '../src/runbook/to-plan';
import { startFleet, SUBSCRIPTION } from '../test/harness/fleet';
import { runbookFromYaml, startTarget } from '../test/harness/runbooks';
import type { BenchContext } from './context';
import { formatTable, seconds } from './table';

/**
 * P3: what a step costs as its script runs longer — history events of the
 * target workflow and ARM GETs — for scripts of the given lengths, run side by
 * side, each on an emulator of its own with the recorded latencies (at
 * Azure's pace with time scale 1; the instance view refreshed every 15 s) and
 * fleetcmd's default poll policy (scaled alike).
 */
export interface GrowthFigures {
  table: string;
  rows: Array<{ seconds: number; events: number; gets: number; wallMs: number; state: string }>;
}

export async function growth(ctx: BenchContext, durations: number[], timeScale = 1): Promise<GrowthFigures> {
  // Scripts run in real time; Azure's latencies and fleetcmd's default polls shrink with the time scale.
  const poll: PollPolicy = {
    initialIntervalMs: Math.round(defaultPollPolicy.initialIntervalMs * timeScale),
    maximumIntervalMs: Math.round(defaultPollPolicy.maximumIntervalMs * timeScale),
  };
  const rows = await Promise.all(durations.map((d) => oneDuration(ctx, d, timeScale, poll)));
  const table = formatTable(
    `P3 growth: one step per script length, Azure's latencies x${timeScale}, poll ${poll.initialIntervalMs / 1000} s backing off to ${poll.maximumIntervalMs / 1000} s`,
    ['script', 'step state', 'wall (s)', 'history events', 'ARM GETs', 'GETs per hour of script'],
    rows.map((r) => [`${r.seconds} s`, r.state, seconds(r.wallMs), r.events, r.gets, Math.round((r.gets / r.seconds) * 3600)]),
  );
  return { table, rows };
}

async function oneDuration(ctx: BenchContext, scriptSeconds: number, timeScale: number, poll: PollPolicy): Promise<GrowthFigures['rows'][number]> {
  const rg = `bench-p3-${scriptSeconds}s`;
  const fleet = await startFleet({ timeScale, latencyProfile: 'realistic', instanceViewRefreshMs: undefined, fleet: { virtualMachines: [{ subscriptionId: SUBSCRIPTION, resourceGroup: rg, name: 'vm-0' }] } });
  const worker = await fleet.startWorker();
  try {
    const runbook = runbookFromYaml(`
name: bench-growth
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${rg}] }
steps:
  - { name: wait, script: "sleep ${scriptSeconds}; echo slept", timeoutInSeconds: ${scriptSeconds + 600} }
`);
    const plan = planRunbook(runbook, { rolloutId: `${rg}-${Date.now()}`, poll });
    const target: TargetRef = { kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: rg, vmName: 'vm-0' };
    ctx.log(`P3: a ${scriptSeconds} s script`);
    const started = Date.now();
    const handle = await startTarget(fleet.client, fleet.taskQueue, plan, target);
    const result = await handle.result();
    const wallMs = Date.now() - started;
    const events = (await handle.describe()).historyLength;
    const requests = await fleet.admin.requestCounts();
    return { seconds: scriptSeconds, events, gets: requests.byMethod.GET ?? 0, wallMs, state: result.steps[0]?.state ?? result.state };
  } finally {
    await worker.stop();
    await fleet.close();
  }
}
