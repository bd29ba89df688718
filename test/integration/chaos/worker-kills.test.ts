import { harnessEnvironment } from '../../chaos/environment';
import { formatResult } from '../../chaos/figures';
import { parseSeed } from '../../chaos/prng';
import { workerKills } from '../../chaos/scenarios/r1-worker-kills';
import type { ScenarioResult } from '../../chaos/scenario';

// Chaos scenario R1 at the size of `npm test`: 40 targets, 4 kill -9s of the worker process.
// `npm run chaos` runs it at 200 targets and 20 kills. FLEETCMD_CHAOS_SEED repeats a run.
// It takes under a minute, unless a kill lands on an activity whose attempt timeout is long
// (collectOutput: 5 minutes): the rollout then waits that out. The scenario gives up on the
// rollout before jest gives up on the hook, so everything it started is still stopped.
const SEED = parseSeed(process.env.FLEETCMD_CHAOS_SEED) ?? 1;
const log = (line: string): void => void process.stderr.write(`[chaos] ${line}\n`);

let result: ScenarioResult;

beforeAll(async () => {
  result = await workerKills(harnessEnvironment(log), { targets: 40, kills: 4, seed: SEED, deadlineMs: 7 * 60_000 });
  process.stderr.write(`${formatResult(result)}\n`);
}, 9 * 60_000);

test('4 kill -9s of the worker land while the rollout runs', () => {
  expect(result.faults.shortfall).toBeUndefined();
  expect(result.workers.killed).toBe(4);
});

test('no target is lost: all 40 succeed and the report agrees', () => {
  expect(result.verification.lost).toEqual([]);
  expect(result.verification.counts).toEqual({ Succeeded: 40, Failed: 0, NotStarted: 0, Lost: 0 });
  expect(result.rollout.status).toBe('Completed');
});

test('every (target, step) ran its script exactly once', () => {
  expect(result.verification.executions.duplicated).toEqual([]);
  expect(result.verification.executions.missing).toEqual([]);
  expect(result.verification.executions.exactlyOnce).toBe(80);
});

test('no other invariant broke', () => {
  expect(result.violations).toEqual([]);
});
