import { bucketBound, boundSeconds } from '../../../bench/limits';
import { parseBenchArguments, verdicts } from '../../../bench/run';

describe('npm run bench arguments', () => {
  test('by default every benchmark runs at full size', () => {
    const args = parseBenchArguments([]);
    expect(args.only).toEqual(['P1', 'P2', 'P3', 'P4']);
    expect(args.p1).toMatchObject({ targets: 1000, steps: 3 });
    expect(args.p2.targets).toBe(10_000);
    expect(args.p3Seconds).toEqual([10, 100, 1000]);
  });

  test('--quick shrinks every benchmark; flags override single sizes', () => {
    const args = parseBenchArguments(['--quick', '--only', 'p1,P3', '--p1-targets', '7', '--p3-seconds', '1,2']);
    expect(args.only).toEqual(['P1', 'P3']);
    expect(args.p1.targets).toBe(7);
    expect(args.p2.targets).toBeLessThan(1000);
    expect(args.p3Seconds).toEqual([1, 2]);
  });

  test.each([
    [['--only', 'P9'], /--only: unknown benchmark "P9"/],
    [['--p2-targets', '0'], /--p2-targets must be a positive integer, got "0"/],
    [['--p1-time-scale', '2'], /--p1-time-scale must be a number in \(0, 1\], got "2"/],
    [['--p3-seconds', '10,x'], /--p3-seconds must be positive whole seconds/],
    [['--targets', '5'], /Unknown option '--targets'/],
  ])('%j is refused, naming the flag', (argv, message) => {
    expect(() => parseBenchArguments(argv)).toThrow(message);
  });
});

describe('the bound the buckets imply', () => {
  test('a bucket serves its size at once, then its refill rate', () => {
    expect(boundSeconds(100, 200, 10)).toBe(0);
    expect(boundSeconds(1200, 200, 10)).toBe(100);
  });

  test("10,000 one-step targets are bound by Compute's UpdateVM subscription bucket (PUT and DELETE)", () => {
    // 20,000 UpdateVM calls, 1,500 at once, then 500 a minute: 2,220 s at Azure's pace.
    expect(bucketBound(10_000, 1)).toEqual({ seconds: 2220, by: 'Compute UpdateVM per subscription (PUT + DELETE)' });
    expect(bucketBound(10_000, 0.5).seconds).toBe(1110);
  });
});

describe('verdicts', () => {
  test('each goal is met or missed with its figure', () => {
    const lines = verdicts({
      p1Ratio: 1.2,
      p2: { table: '', wallMs: 100_000, boundSeconds: 100, throttled: 0, requests: 10, succeeded: 5, peakRssBytes: 600 * 1024 * 1024, largestHistory: 900 },
      p4: true,
      p3: { table: '', rows: [{ seconds: 10, events: 29, gets: 3, wallMs: 1, state: 'Succeeded' }, { seconds: 100, events: 29, gets: 9, wallMs: 1, state: 'Succeeded' }] },
    });
    expect(lines).toEqual([
      'MISSED P1 wall time ratio 1.20 (goal <= 1.10)',
      'met    P2 wall time 1.00x the bucket bound (goal <= 1.05)',
      'met    P2 429s 0 of 10 requests (goal 0)',
      'MISSED P4 worker peak RSS 600 MiB (goal <= 512)',
      'met    P4 largest history 900 events (goal < 10,240)',
      'met    P3 history events 29 (10 s), 29 (100 s) (goal: equal)',
    ]);
  });
});
