/**
 * `npm run bench`: P1–P4 against a stack this process starts (Temporal dev
 * server, Azurite, the emulator), each printing a table of figures and ratios
 * measured side by side in one run, then the goals met or missed.
 *
 *   npx ts-node --transpile-only bench/run.ts [--only P1,P2,P3,P4] [--quick]
 *     [--p1-targets N] [--p1-concurrency N] [--p1-time-scale X]
 *     [--p2-targets N] [--p2-time-scale X] [--p3-seconds 10,100,1000]
 *
 * P4 is measured during P2's rollout; P3's slow scripts run alongside P2 (a
 * handful of requests a minute, next to P2's thousands). --quick is a small
 * version of every benchmark (a few minutes).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOwnEnvironment } from '../test/chaos/environment';
import { installInterruptHandlers } from '../test/chaos/interrupt';
import { benchContext } from './context';
import { growth, type GrowthFigures } from './growth';
import { limits, type LimitsFigures } from './limits';
import { overhead, type OverheadOptions } from './overhead';

const BENCHMARKS = ['P1', 'P2', 'P3', 'P4'] as const;
type BenchId = (typeof BENCHMARKS)[number];

export interface BenchArguments {
  only: BenchId[];
  p1: OverheadOptions;
  p2: { targets: number; timeScale: number; concurrency: number };
  p3Seconds: number[];
}

const FULL: Omit<BenchArguments, 'only'> = {
  p1: { targets: 1000, steps: 3, concurrency: 50, timeScale: 0.5, ceilingTargets: 300, ceilingConcurrency: 50 },
  p2: { targets: 10_000, timeScale: 0.5, concurrency: 200 },
  p3Seconds: [10, 100, 1000],
};

const QUICK: Omit<BenchArguments, 'only'> = {
  p1: { targets: 40, steps: 3, concurrency: 10, timeScale: 0.05, ceilingTargets: 40, ceilingConcurrency: 20 },
  p2: { targets: 400, timeScale: 0.02, concurrency: 100 },
  p3Seconds: [2, 10, 30],
};

export function parseBenchArguments(argv: string[]): BenchArguments {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean' },
      'p1-targets': { type: 'string' },
      'p1-concurrency': { type: 'string' },
      'p1-time-scale': { type: 'string' },
      'p2-targets': { type: 'string' },
      'p2-time-scale': { type: 'string' },
      'p3-seconds': { type: 'string' },
    },
    strict: true,
  });
  const base = values.quick ? QUICK : FULL;
  const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const id of only) if (!(BENCHMARKS as readonly string[]).includes(id)) throw new Error(`--only: unknown benchmark "${id}" (one of ${BENCHMARKS.join(', ')})`);
  const count = (flag: string, fallback: number): number => {
    const raw = (values as Record<string, unknown>)[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${String(raw)}"`);
    return n;
  };
  const scale = (flag: string, fallback: number): number => {
    const raw = (values as Record<string, unknown>)[flag];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!(n > 0 && n <= 1)) throw new Error(`--${flag} must be a number in (0, 1], got "${String(raw)}"`);
    return n;
  };
  const p3Seconds = values['p3-seconds'] === undefined ? base.p3Seconds : values['p3-seconds'].split(',').map((s) => Number(s.trim()));
  if (p3Seconds.some((s) => !Number.isSafeInteger(s) || s < 1)) throw new Error(`--p3-seconds must be positive whole seconds separated by commas, got "${String(values['p3-seconds'])}"`);
  return {
    only: only.length ? (only as BenchId[]) : [...BENCHMARKS],
    p1: { ...base.p1, targets: count('p1-targets', base.p1.targets), concurrency: count('p1-concurrency', base.p1.concurrency), timeScale: scale('p1-time-scale', base.p1.timeScale) },
    p2: { ...base.p2, targets: count('p2-targets', base.p2.targets), timeScale: scale('p2-time-scale', base.p2.timeScale) },
    p3Seconds,
  };
}

/** The goals of the benchmarks, each met or missed, with the figure. */
export function verdicts(figures: { p1?: string; p2?: LimitsFigures; p3?: GrowthFigures; p4?: boolean; p1Ratio?: number }): string[] {
  const lines: string[] = [];
  const mark = (ok: boolean): string => (ok ? 'met   ' : 'MISSED');
  if (figures.p1Ratio !== undefined) lines.push(`${mark(figures.p1Ratio <= 1.1)} P1 wall time ratio ${figures.p1Ratio.toFixed(2)} (goal <= 1.10)`);
  if (figures.p2) {
    const r = figures.p2.wallMs / 1000 / Math.max(figures.p2.boundSeconds, 1e-9);
    lines.push(`${mark(r <= 1.05)} P2 wall time ${r.toFixed(2)}x the bucket bound (goal <= 1.05)`);
    lines.push(`${mark(figures.p2.throttled === 0)} P2 429s ${figures.p2.throttled} of ${figures.p2.requests} requests (goal 0)`);
    if (figures.p4) {
      lines.push(`${mark(figures.p2.peakRssBytes <= 512 * 1024 * 1024)} P4 worker peak RSS ${(figures.p2.peakRssBytes / 1024 / 1024).toFixed(0)} MiB (goal <= 512)`);
      lines.push(`${mark(figures.p2.largestHistory < 10_240)} P4 largest history ${figures.p2.largestHistory} events (goal < 10,240)`);
    }
  }
  if (figures.p3) {
    const events = new Set(figures.p3.rows.map((r) => r.events));
    lines.push(`${mark(events.size === 1)} P3 history events ${figures.p3.rows.map((r) => `${r.events} (${r.seconds} s)`).join(', ')} (goal: equal)`);
  }
  return lines;
}

async function main(): Promise<number> {
  let args: BenchArguments;
  try {
    args = parseBenchArguments(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  const ctx = benchContext(mkdtempSync(join(tmpdir(), 'fleetcmd-bench-')), log);
  process.stdout.write(`fleetcmd bench: ${args.only.join(', ')}; logs in ${ctx.dir}\n\n`);
  const env = await startOwnEnvironment(log);
  installInterruptHandlers(() => env.stop(), log);
  const out = (text: string): void => void process.stdout.write(`${text}\n`);
  const figures: Parameters<typeof verdicts>[0] = {};
  try {
    if (args.only.includes('P1')) {
      const p1 = await overhead(ctx, args.p1);
      out(p1.table);
      figures.p1Ratio = p1.ratio;
    }
    const p3 = args.only.includes('P3') ? growth(ctx, args.p3Seconds) : undefined;
    if (args.only.includes('P2') || args.only.includes('P4')) {
      figures.p2 = await limits(ctx, args.p2);
      figures.p4 = args.only.includes('P4');
      out(figures.p2.table);
    }
    if (p3) {
      figures.p3 = await p3;
      out(figures.p3.table);
    }
  } finally {
    await env.stop();
  }
  out(verdicts(figures).join('\n'));
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
