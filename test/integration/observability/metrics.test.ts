import { freePort } from '../../../src/devstack/processes';
import { startRollout } from '../../../src/client/rollouts';
import { SUBSCRIPTION, startFleet, waitFor, type Fleet } from '../../harness/fleet';
import { TEST_POLL, runbookFromYaml } from '../../harness/runbooks';

const RG = 'metrics-rg';
let fleet: Fleet;
let metricsUrl: string;

beforeAll(async () => {
  fleet = await startFleet({
    fleet: { virtualMachines: Array.from({ length: 12 }, (_, i) => ({ subscriptionId: SUBSCRIPTION, resourceGroup: RG, name: `vm-${String(i).padStart(2, '0')}` })) },
  });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await fleet.spawnWorker({ env: { FLEETCMD_METRICS_ADDRESS: `127.0.0.1:${port}`, FLEETCMD_LOG_LEVEL: 'WARN' }, onOutput: () => undefined });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
});

/** Sum of a metric's samples carrying every label given (Prometheus text format). */
function total(text: string, name: string, ...labels: string[]): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => labels.every((l) => line.includes(l)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

test('scraped during a rollout, the metrics endpoint shows the step counters moving', async () => {
  const runbook = runbookFromYaml(`
name: metered
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: work, script: "sleep 1" }
rollout: { maxConcurrency: 3 }
`);
  const handle = await startRollout(fleet.client, { runbook, taskQueue: fleet.taskQueue, poll: TEST_POLL });
  const scrape = async (): Promise<string> => (await fetch(metricsUrl)).text();
  const early = await waitFor(async () => {
    const text = await scrape().catch(() => '');
    const steps = total(text, 'fleetcmd_steps', 'result="Succeeded"');
    return steps > 0 && steps < 12 ? { text, steps } : undefined;
  }, { what: 'some steps counted', timeoutMs: 60_000 });
  const report = await handle.result();
  expect(report.counts.Succeeded).toBe(12);
  const late = await scrape();
  expect(total(late, 'fleetcmd_steps', 'result="Succeeded"')).toBe(12);
  expect(total(late, 'fleetcmd_steps', 'result="Succeeded"')).toBeGreaterThan(early.steps);
  expect(total(late, 'fleetcmd_arm_requests', 'method="PUT"', 'status="201"')).toBeGreaterThanOrEqual(12);
  expect(total(late, 'fleetcmd_rollout_targets', 'state="Succeeded"')).toBe(12);
}, 120_000);
