import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { benchContext } from '../../../bench/context';
import { growth } from '../../../bench/growth';
import { limits } from '../../../bench/limits';
import { overhead } from '../../../bench/overhead';
import { testStack } from '../../harness/stack';

// The small version of `npm run bench`: every benchmark runs end to end at a size that takes
// seconds. Timings are printed, never asserted (they are the benchmark's, on a quiet machine).
const ctx = benchContext(mkdtempSync(join(testStack().tmpDir, 'bench-')), () => undefined);

test('P1: fleetcmd and the plain script both run every step of every target, with and without latency', async () => {
  const figures = await overhead(ctx, { targets: 8, steps: 2, concurrency: 4, timeScale: 0.02, ceilingTargets: 8, ceilingConcurrency: 8 });
  process.stderr.write(figures.table);
  for (const pair of [figures.realistic, figures.ceiling]) {
    expect(pair.fleetcmd).toMatchObject({ succeeded: 8, steps: 16 });
    expect(pair.plain).toMatchObject({ succeeded: 8, steps: 16 });
    expect(pair.fleetcmd.peakRssBytes).toBeGreaterThan(0);
    expect(pair.plain.peakRssBytes).toBeGreaterThan(0);
  }
  expect(figures.table).toMatch(/realistic: wall time \(s\)/);
  expect(figures.ratio).toBeGreaterThan(0);
}, 300_000);

test("P2 and P4: a rollout under Azure's buckets completes, with its bound, 429s, worker RSS and largest history", async () => {
  const figures = await limits(ctx, { targets: 60, timeScale: 0.02, concurrency: 30 });
  process.stderr.write(figures.table);
  expect(figures.succeeded).toBe(60);
  expect(figures.requests).toBeGreaterThanOrEqual(60 * 3);
  expect(figures.peakRssBytes).toBeGreaterThan(0);
  expect(figures.largestHistory).toBeGreaterThan(0);
  expect(figures.largestHistory).toBeLessThan(10_240);
}, 300_000);

test('P3: a step costs the same history whatever its script length; longer scripts cost more GETs', async () => {
  const figures = await growth(ctx, [1, 8], 0.1);
  process.stderr.write(figures.table);
  const [short, long] = figures.rows;
  expect(short?.state).toBe('Succeeded');
  expect(long?.state).toBe('Succeeded');
  expect(long?.events).toBe(short?.events);
  expect(long?.gets ?? 0).toBeGreaterThan(short?.gets ?? 0);
}, 300_000);
