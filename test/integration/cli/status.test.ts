import { randomUUID } from 'node:crypto';
import { rolloutHandle } from '../../../src/client/rollouts';
import type { RolloutProgress, RolloutReport } from '../../../src/runbook/rollout';
import { waitFor } from '../../harness/fleet';
import { ANSI_ESCAPE, fleetcmd, machines, oneStepRunbook, startFast, useFleet, vmNames, waitForStatus } from './helpers';

const RG = 'status-rg';
const names = vmNames('status', 5);
const fleet = useFleet(machines(RG, names));

const PLAIN_LINE = /^\d\d:\d\d:\d\d (resolving targets|wave \d+\/\d+ running \d+ succeeded \d+ failed \d+ pending \d+.*)$/;

test('status --watch piped prints one plain line per change, never an escape code, then the report', async () => {
  const runbook = oneStepRunbook('piped', RG, 'sleep 1; echo same everywhere', '{ waves: [1, "100%"], maxConcurrency: 2 }');
  const rolloutId = await startFast(fleet(), runbook, `cli-piped-${randomUUID().slice(0, 8)}`);

  const { code, out } = await fleetcmd(fleet(), ['status', rolloutId, '--watch'], { isTTY: false });
  expect(code).toBe(0);
  expect(out).not.toMatch(ANSI_ESCAPE);
  const [progress, report] = out.split(`rollout ${rolloutId} (runbook piped): Completed`);
  const lines = progress.trimEnd().split('\n');
  expect(lines.length).toBeGreaterThanOrEqual(3);
  for (const line of lines) expect(line).toMatch(PLAIN_LINE);
  // A line is printed only when something changed.
  const states = lines.map((l) => l.slice(9));
  states.slice(1).forEach((s, i) => expect(s).not.toBe(states[i]));
  expect(lines).toContainEqual(expect.stringMatching(/ wave 2\/2 running \d+ succeeded \d+ failed 0 pending \d+$/));
  expect(report).toContain('5 targets: 5 succeeded, 0 failed, 0 canceled, 0 not started');
  expect(report).toMatch(/outcomes:\n {2}5 targets: work exit 0, same output/);
}, 60_000);

test('status --output json prints the progress of a running rollout and the report of a finished one, as JSON', async () => {
  const runbook = oneStepRunbook('json', RG, 'sleep 2', '{ waves: ["100%"], maxConcurrency: 5 }');
  const rolloutId = await startFast(fleet(), runbook, `cli-json-${randomUUID().slice(0, 8)}`);
  await waitForStatus(fleet(), rolloutId, 'Running');

  const running = await fleetcmd(fleet(), ['status', rolloutId, '--output', 'json']);
  expect(running.code).toBe(0);
  const progress = JSON.parse(running.out) as RolloutProgress;
  expect(progress).toMatchObject({ rolloutId, runbookName: 'json', status: 'Running', total: 5, maxConcurrency: 5 });

  await rolloutHandle(fleet().client, rolloutId).result();
  const finished = await fleetcmd(fleet(), ['status', rolloutId, '--output', 'json']);
  expect(finished.code).toBe(0);
  const report = JSON.parse(finished.out) as RolloutReport;
  expect(report).toMatchObject({ rolloutId, status: 'Completed', counts: { Succeeded: 5 }, failedIndices: [], notStartedIndices: [] });
  expect(report.groups).toEqual([expect.objectContaining({ count: 5, signature: expect.objectContaining({ step: 'work', exitCode: 0 }) })]);
}, 60_000);

test('status of an unknown rollout, or with a bad --output, exits 2 naming the problem', async () => {
  const unknown = await fleetcmd(fleet(), ['status', 'no-such-rollout']);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toContain('no rollout "no-such-rollout"');
  const badOutput = await fleetcmd(fleet(), ['status', 'x', '--output', 'yaml']);
  expect(badOutput.code).toBe(2);
  expect(badOutput.err).toContain("option '--output <format>' argument 'yaml' is invalid");
});

test('list finds rollouts by runbook and status through their search attributes', async () => {
  const runbook = oneStepRunbook('listed', RG, 'true', '{ waves: ["100%"], maxConcurrency: 5 }');
  const rolloutId = await startFast(fleet(), runbook, `cli-list-${randomUUID().slice(0, 8)}`);
  await rolloutHandle(fleet().client, rolloutId).result();

  // Visibility is eventually consistent: the row shows up once the final status is indexed.
  const listed = await waitFor(async () => {
    const run = await fleetcmd(fleet(), ['list', '--runbook', 'listed', '--status', 'completed']);
    return run.out.includes(rolloutId) ? run : undefined;
  }, { what: 'the rollout to be listed' });
  expect(listed.code).toBe(0);
  expect(listed.out).toMatch(new RegExp(`^ROLLOUT +RUNBOOK +STATUS +STARTED\\n${rolloutId} +listed +Completed +\\d{4}-\\d\\d-\\d\\dT`));
  const none = await fleetcmd(fleet(), ['list', '--runbook', 'listed', '--status', 'Paused']);
  expect(none).toMatchObject({ code: 0, out: '' });
  const bad = await fleetcmd(fleet(), ['list', '--status', 'done']);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('--status "done": expected one of Resolving, Running, Paused');
}, 60_000);
