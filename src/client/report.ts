import { splitTargetKey, type StepResult, type TargetResult } from '../runbook/execution';
import type { OutcomeGroup, RolloutReport } from '../runbook/rollout';
import { formatApproval, formatDuration } from './progress';
import { subscriptionLine, targetNames } from './target-names';

const MARK: Record<StepResult['state'], string> = { Succeeded: 'ok', Failed: 'FAILED', TimedOut: 'TIMEOUT', Canceled: 'canceled', Skipped: 'skipped' };

/** One target's result as a person reads it: a line per step, Azure's errors verbatim, the output's tail. */
export function formatTargetResult(result: TargetResult, options: { tailLines?: number } = {}): string {
  const { subscriptionId, name } = splitTargetKey(result.key);
  const lines = [`${name} (subscription ${subscriptionId}): ${result.state}`];
  const all = [...result.steps, ...(result.onFailure ?? []).map((s) => ({ ...s, step: `onFailure ${s.step}` }))];
  for (const s of all) {
    const parts = [`  ${s.step.padEnd(16)} ${MARK[s.state].padEnd(8)}`];
    if (s.exitCode !== undefined) parts.push(`exit ${s.exitCode}`);
    const seconds = duration(s);
    if (seconds !== undefined) parts.push(`${seconds.toFixed(0)}s`);
    if (s.failure) parts.push(`${s.failure.code}: ${s.failure.message}`);
    if (s.reason) parts.push(`(${s.reason})`);
    lines.push(parts.join('  '));
    for (const tail of [s.outputTail, s.errorTail]) {
      const shown = (tail ?? '').trimEnd().split('\n').slice(-(options.tailLines ?? 3)).filter(Boolean);
      shown.forEach((l) => lines.push(`      | ${l}`));
    }
    if (s.output) lines.push(`      output ${s.output.url} (${s.output.size} bytes, sha256 ${s.output.sha256.slice(0, 12)})`);
  }
  return lines.join('\n');
}

function duration(s: StepResult): number | undefined {
  if (!s.startTime || !s.endTime) return undefined;
  return (Date.parse(s.endTime) - Date.parse(s.startTime)) / 1000;
}

/** What decided a group, as a person reads it: `work exit 0, same output`, `patch exit 2, 'package locked'`. */
export function describeOutcome(group: OutcomeGroup): string {
  const sig = group.signature;
  const how =
    sig.state === 'Succeeded' || sig.state === 'Failed'
      ? sig.exitCode !== undefined
        ? `exit ${sig.exitCode}`
        : sig.state.toLowerCase()
      : OUTCOME_WORD[sig.state];
  // A failure is told apart by what it said; a success by whether the outputs agree.
  const said = sig.snippet ? `'${sig.snippet}'` : undefined;
  const output = sig.sha256 ? (group.count > 1 ? 'same output' : `output ${sig.sha256.slice(0, 12)}`) : undefined;
  const detail = sig.state === 'Succeeded' ? (output ?? said) : (said ?? output);
  return `${sig.step} ${how}${detail ? `, ${detail}` : ''}`;
}

const OUTCOME_WORD: Record<StepResult['state'], string> = { Succeeded: 'succeeded', Failed: 'failed', TimedOut: 'timed out', Canceled: 'canceled', Skipped: 'skipped' };

/** The end of a rollout: counts, targets grouped by outcome, failures with reasons, what never started, who approved. */
export function formatRolloutReport(report: RolloutReport): string {
  const c = report.counts;
  const lines = [
    `rollout ${report.rolloutId} (runbook ${report.runbookName}): ${report.status} after ${formatDuration(report.elapsedMs)}`,
    `  ${report.total} targets: ${c.Succeeded} succeeded, ${c.Failed} failed, ${c.Canceled} canceled, ${c.NotStarted} not started`,
    `  waves ${report.waves.map((w) => w.size).join(', ')} · maxConcurrency ${report.maxConcurrency} · maxErrors ${report.maxErrors}`,
  ];
  if (report.stopReason) lines.push(`  stopped: ${report.stopReason}`);
  const unsucceeded = report.groups.filter((g) => g.signature.state !== 'Succeeded');
  const names = targetNames([...unsucceeded.flatMap((g) => g.sample), ...report.failures.map((f) => f.key), ...(c.NotStarted ? report.notStartedSample : [])]);
  lines.push(...subscriptionLine(names, '  '));
  if (report.groups.length) {
    lines.push('outcomes:');
    const width = String(Math.max(...report.groups.map((g) => g.count))).length;
    for (const g of [...report.groups].sort((a, b) => b.count - a.count)) {
      const sample = g.signature.state === 'Succeeded' ? '' : `  (${g.sample.map(names.show).join(', ')}${g.count > g.sample.length ? ', …' : ''})`;
      lines.push(`  ${String(g.count).padStart(width)} target${g.count === 1 ? ': ' : 's:'} ${describeOutcome(g)}${sample}`);
    }
  }
  if (report.failures.length) {
    lines.push(`failures (${c.Failed}):`);
    report.failures.forEach((f) => lines.push(`  ${names.show(f.key)}: ${f.reason}`));
    if (c.Failed > report.failures.length) lines.push(`  … and ${c.Failed - report.failures.length} more`);
  }
  if (c.NotStarted) {
    const more = c.NotStarted > report.notStartedSample.length ? ', …' : '';
    lines.push(`not started: ${c.NotStarted} (${report.notStartedSample.map(names.show).join(', ')}${more})`);
  }
  if (report.approvals.length) {
    lines.push('approvals:');
    report.approvals.forEach((a) => lines.push(`  ${formatApproval(a)}`));
  }
  if (c.Failed + c.Canceled + c.NotStarted > 0) lines.push(`retry what did not succeed: fleetcmd retry-failed ${report.rolloutId}`);
  return lines.join('\n');
}

/** 0 when every target succeeded; 1 when any failed, was canceled or never started. */
export function reportExitCode(report: RolloutReport): number {
  const c = report.counts;
  return report.status === 'Completed' && c.Failed + c.Canceled + c.NotStarted === 0 ? 0 : 1;
}
