import { harnessEnvironment } from '../../chaos/environment';
import { formatResult } from '../../chaos/figures';
import { parseSeed } from '../../chaos/prng';
import { armFaults } from '../../chaos/scenarios/r3-arm-faults';
import type { ScenarioResult } from '../../chaos/scenario';

// Chaos scenario R3 at the size of `npm test`: 60 targets, a tenth of the ARM requests faulted
// (429 + Retry-After, 500, 503, connection resets before and after the request took effect).
// `npm run chaos` runs it at 200 targets. FLEETCMD_CHAOS_SEED repeats a run.
const SEED = parseSeed(process.env.FLEETCMD_CHAOS_SEED) ?? 1;
const log = (line: string): void => void process.stderr.write(`[chaos] ${line}\n`);

let result: ScenarioResult;

beforeAll(async () => {
  // The scenario gives up on the rollout before jest gives up on the hook, so everything it started is still stopped.
  result = await armFaults(harnessEnvironment(log), { targets: 60, faultRate: 0.1, seed: SEED, deadlineMs: 4 * 60_000 });
  process.stderr.write(`${formatResult(result)}\n`);
}, 6 * 60_000);

test('every kind of fault was injected: 429, 500, 503, resets before and after the request took effect', () => {
  expect(result.faults.shortfall).toBeUndefined();
  expect(result.faults.injected).toBeGreaterThan(0);
});

test('no target is lost: all 60 succeed and the report agrees', () => {
  expect(result.verification.lost).toEqual([]);
  expect(result.verification.counts).toEqual({ Succeeded: 60, Failed: 0, NotStarted: 0, Lost: 0 });
  expect(result.rollout.status).toBe('Completed');
});

test('every (target, step) ran its script exactly once', () => {
  expect(result.verification.executions.duplicated).toEqual([]);
  expect(result.verification.executions.missing).toEqual([]);
  expect(result.verification.executions.exactlyOnce).toBe(120);
});

test('no other invariant broke', () => {
  expect(result.violations).toEqual([]);
});
