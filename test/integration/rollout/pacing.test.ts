import { startRollout } from '../../../src/client/rollouts';
import { SUBSCRIPTION, startFleet, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';

// Compute's and ARM's real buckets at half size and rate (time scale 1): ARM's writes and deletes
// buckets hold 100 and refill 5 per second. `npm test` runs 100 targets x 2 steps; the note's
// figure comes from FLEETCMD_PACING_TARGETS=500 with FLEETCMD_PACING_SCALE=1.
const TARGETS = Number(process.env.FLEETCMD_PACING_TARGETS ?? 100);
const SCALE = Number(process.env.FLEETCMD_PACING_SCALE ?? 0.5);
const RG = 'paced-rg';
let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    timeScale: 1,
    throttling: { enabled: true, scale: SCALE, arm: true },
    fleet: { virtualMachines: Array.from({ length: TARGETS }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `vm-${String(i).padStart(4, '0')}` })) },
  });
  await fleet.startWorker();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

/** The least time the buckets allow for `ops` requests drawing on a bucket of `size` refilling `perSecond`. */
const boundSeconds = (ops: number, size: number, perSecond: number): number => Math.max(0, (ops - size) / perSecond);

test(`${TARGETS} targets x 2 steps under Azure's throttling buckets complete, paced by the rate-limit headers`, async () => {
  const runbook = runbookFromYaml(`
name: paced
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: one, script: "echo one" }
  - { name: two, dependsOn: [one], script: "echo two" }
rollout: { maxConcurrency: 50 }
`);
  const started = Date.now();
  const report = await (await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL })).result();
  const seconds = (Date.now() - started) / 1000;
  expect({ counts: report.counts, failures: report.failures }).toMatchObject({ counts: { Succeeded: TARGETS, Failed: 0 }, failures: [] });

  const requests = await fleet.admin.requestCounts();
  const writes = TARGETS * 2;
  const bound = Math.max(
    boundSeconds(writes, 200 * SCALE, 10 * SCALE), // ARM writes (the PUTs)
    boundSeconds(writes, 200 * SCALE, 10 * SCALE), // ARM deletes
    boundSeconds(writes * 2, 1500 * SCALE, (500 * SCALE) / 60), // Compute "Update VM" per subscription
    boundSeconds(writes * 2, 250 * SCALE, 25 * SCALE), // ARM reads: at least a read before each PUT and one poll
  );
  process.stderr.write(`pacing: ${TARGETS} targets x 2 steps in ${seconds.toFixed(1)} s; bucket bound ${bound.toFixed(1)} s; 429s ${requests.throttled} of ${requests.total} requests\n`);
  // Pacing keeps fleetcmd off Azure's 429s but for the first burst, before any header was read.
  expect(requests.throttled).toBeLessThanOrEqual(5);
}, 600_000);
