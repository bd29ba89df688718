import type { ScenarioResult } from './scenario';
import type { TargetTiming } from './timing';

/** The figures a scenario prints: what the issue asks every chaos run to show, plus its seed. */
export function formatResult(r: ScenarioResult): string {
  const v = r.verification;
  const c = v.counts;
  const x = v.executions;
  const completed = c.Succeeded + c.Failed;
  const histogram = Object.entries(x.histogram)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([times, pairs]) => `${pairs} ran ${times}×`)
    .join(', ');
  const lines = [
    `${r.id} · ${r.title} · seed ${r.seed} · ${r.targets} targets`,
    row('targets completed', `${completed} of ${v.total} (Succeeded ${c.Succeeded}, Failed with a reason ${c.Failed}, NotStarted ${c.NotStarted}); rollout ${r.rollout.status}${r.rollout.stopReason ? ` (${r.rollout.stopReason})` : ''}`),
    row('executions', `${x.pairs} (target, step) pairs: ${x.exactlyOnce} exactly once, ${x.expectedZero} never reached a VM and ran 0× [${histogram}]; duplicated ${x.duplicated.length}, missing ${x.missing.length}`),
    row('lost targets', String(v.lost.length)),
    row('faults injected', `${r.faults.injected}: ${r.faults.detail}`),
    row('workers', `${r.workers.started} started, ${r.workers.killed} killed, ${r.workers.exitedByThemselves} exited by themselves`),
    ...(v.timing ? [row('target time', timingLine(v.timing))] : []),
    ...(v.rolloutWaitedOn.length ? [row('rollout waited', `it waited out ${v.rolloutWaitedOn.join(', ')}`)] : []),
    ...r.notes.map((note) => row('', note)),
    row('wall time', `${(r.wallMs / 1000).toFixed(1)} s`),
    row('invariants', r.violations.length === 0 ? 'hold' : `${r.violations.length} BROKEN`),
  ];
  const shown = r.violations.slice(0, 20).map((line) => `    ✗ ${line}`);
  if (r.violations.length > shown.length) shown.push(`    … and ${r.violations.length - shown.length} more`);
  if (r.violations.length > 0) shown.push(`    worker logs: ${r.dataDir}`);
  return [...lines, ...shown].join('\n');
}

function timingLine(t: TargetTiming): string {
  const waits = t.slowestWaitedOn.length ? `; it waited out ${t.slowestWaitedOn.join(', ')}` : '';
  return `median ${t.median.toFixed(1)} s, slowest ${t.max.toFixed(1)} s (${t.slowest}${waits})`;
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(18)}${value}`;
}
