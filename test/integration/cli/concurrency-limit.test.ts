import { SUBSCRIPTION } from '../../harness/fleet';
import { fleetcmd, machines, runbookFile, useFleet, vmNames } from './helpers';

// One rollout keeps at most 1,000 targets in flight (MAX_CONCURRENCY, what Temporal holds for one
// workflow): a larger count is refused before anything starts; a percentage is capped, and plan says so.
const RG = 'limit-rg';
const fleet = useFleet(machines(RG, vmNames('limit', 1_001)));

const runbookWith = (name: string, maxConcurrency: string): string => `
name: ${name}
location: westus
targets: { subscriptionId: ${SUBSCRIPTION}, resourceGroups: [${RG}] }
steps:
  - { name: work, script: "true" }
rollout: { maxConcurrency: ${maxConcurrency} }
`;

test('plan of maxConcurrency "100%" over 1,001 targets shows it capped at 1000, with the reason', async () => {
  const plan = await fleetcmd(fleet(), ['plan', runbookFile(runbookWith('capped', '"100%"'))]);
  expect(plan).toMatchObject({ code: 0, err: '' });
  expect(plan.out).toContain('targets: 1001,');
  expect(plan.out).toContain('maxConcurrency: "100%" -> 1000 target(s) at once (capped: 100% of 1001 is 1001, more than the 1000 one rollout keeps in flight)');
}, 120_000);

test('start refuses maxConcurrency 1500 with the path and the limit (exit 2), and starts nothing', async () => {
  const started = await fleetcmd(fleet(), ['start', runbookFile(runbookWith('too-wide', '1500'))]);
  expect(started.code).toBe(2);
  expect(started.err).toContain('rollout.maxConcurrency: 1500 is more than 1000, the most machines one rollout keeps in flight');
  expect((await fleet().client.workflow.count("FleetcmdRunbook = 'too-wide'")).count).toBe(0);
}, 60_000);
