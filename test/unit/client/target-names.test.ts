import { formatRolloutReport, formatTargetResult } from '../../../src/client/report';
import { formatProgress } from '../../../src/client/progress';
import { targetNames } from '../../../src/client/target-names';
import type { RolloutReport } from '../../../src/runbook/rollout';

const A = '00000000-0000-0000-0000-0000000000aa';
const B = '00000000-0000-0000-0000-0000000000bb';

function report(failures: { key: string; reason: string }[]): RolloutReport {
  return {
    rolloutId: 'r1',
    runbookName: 'patch',
    status: 'Completed',
    total: 3,
    counts: { Succeeded: 3 - failures.length, Failed: failures.length, Canceled: 0, NotStarted: 0, Running: 0, Pending: 0 },
    wave: 0,
    waves: [{ size: 3, started: 3, done: 3 }],
    maxConcurrency: 3,
    maxErrors: 3,
    failures,
    approvals: [],
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedMs: 1000,
    groups: [],
    failedIndices: failures.map((_, i) => i),
    canceledIndices: [],
    notStartedIndices: [],
    notStartedSample: [],
  };
}

describe('targetNames', () => {
  it('shows names and says the subscription once when every key is in one subscription', () => {
    const names = targetNames([`${A}/rg/web`, `${A}/rg/db`]);
    expect(names.subscriptionId).toBe(A);
    expect(names.show(`${A}/rg/web`)).toBe('rg/web');
  });

  it('shows whole keys when the keys span subscriptions', () => {
    const names = targetNames([`${A}/rg/web`, `${B}/rg/web`]);
    expect(names.subscriptionId).toBeUndefined();
    expect([`${A}/rg/web`, `${B}/rg/web`].map(names.show)).toEqual([`${A}/rg/web`, `${B}/rg/web`]);
  });
});

describe('reports name targets readably and unambiguously', () => {
  it('a report whose failures share a subscription lists rg/vm and names the subscription once', () => {
    const text = formatRolloutReport(report([{ key: `${A}/rg/web`, reason: 'work: exit 1' }]));
    expect(text).toContain(`  targets listed below are in subscription ${A}\n`);
    expect(text).toContain('\n  rg/web: work: exit 1');
  });

  it('a report whose failures span subscriptions lists whole keys', () => {
    const text = formatRolloutReport(report([{ key: `${A}/rg/web`, reason: 'x' }, { key: `${B}/rg/web`, reason: 'x' }]));
    expect(text).not.toContain('targets listed below');
    expect(text).toContain(`\n  ${A}/rg/web: x\n  ${B}/rg/web: x`);
  });

  it('progress does the same with its failures', () => {
    const text = formatProgress({ ...report([{ key: `${A}/rg/web`, reason: 'x' }, { key: `${B}/rg/web`, reason: 'x' }]), status: 'Running' });
    expect(text).toContain(`\n  ${A}/rg/web: x\n  ${B}/rg/web: x`);
  });

  it("one target's result says its subscription beside its name", () => {
    expect(formatTargetResult({ target: { kind: 'vm', subscriptionId: A, resourceGroup: 'rg', vmName: 'web' }, key: `${A}/rg/web`, state: 'Succeeded', steps: [] })).toBe(`rg/web (subscription ${A}): Succeeded`);
  });
});
