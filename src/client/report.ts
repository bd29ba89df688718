import type { StepResult, TargetResult } from '../spec/execution';

const MARK: Record<StepResult['state'], string> = { Succeeded: 'ok', Failed: 'FAILED', TimedOut: 'TIMEOUT', Canceled: 'canceled', Skipped: 'skipped' };

/** One target's result as a person reads it: a line per step, Azure's errors verbatim, the output's tail. */
export function formatTargetResult(result: TargetResult, options: { tailLines?: number } = {}): string {
  const lines = [`${result.key}: ${result.state}`];
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
