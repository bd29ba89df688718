import type { ApprovalRecord, RolloutProgress, RolloutStatus } from '../runbook/rollout';
import { subscriptionLine, targetNames } from './target-names';

/**
 * A rollout's progress as text: the one-line form for logs and pipes, the
 * per-wave table, and the summary `fleetcmd status` prints. Pure functions;
 * the live terminal view (live-progress.ts) draws from the same pieces.
 */

const FINAL: readonly RolloutStatus[] = ['Completed', 'Stopped', 'Canceled'];

export function isFinalStatus(status: RolloutStatus): boolean {
  return FINAL.includes(status);
}

/** `12:00:03 wave 2/3 running 20 succeeded 31 failed 1 pending 148`, with the status when it is not plain Running. */
export function progressLine(p: RolloutProgress, at: Date): string {
  return `${clock(at)} ${progressState(p)}`;
}

/** The line without its time: two snapshots with the same state print one line. */
export function progressState(p: RolloutProgress): string {
  if (p.status === 'Resolving') return 'resolving targets';
  const c = p.counts;
  const parts = [`wave ${Math.min(p.wave + 1, p.waves.length)}/${p.waves.length}`, `running ${c.Running}`, `succeeded ${c.Succeeded}`, `failed ${c.Failed}`];
  if (c.Canceled) parts.push(`canceled ${c.Canceled}`);
  parts.push(`pending ${c.Pending}`);
  if (c.NotStarted) parts.push(`not-started ${c.NotStarted}`);
  if (p.status !== 'Running') parts.push(statusWord(p.status));
  return parts.join(' ');
}

/** Lower-case, hyphenated status for lines meant to be grepped (`awaiting-approval`). */
function statusWord(status: RolloutStatus): string {
  return status.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

export interface WaveRow {
  /** 1-based, as people count waves. */
  number: number;
  size: number;
  started: number;
  done: number;
  state: 'done' | 'running' | 'paused' | 'awaiting approval' | 'waiting' | 'not started';
}

export function waveRows(p: RolloutProgress): WaveRow[] {
  return p.waves.map((w, i) => ({ number: i + 1, size: w.size, started: w.started, done: w.done, state: waveState(p, i) }));
}

function waveState(p: RolloutProgress, i: number): WaveRow['state'] {
  const w = p.waves[i];
  if (w.done >= w.size) return 'done';
  // The rollout waits for approval once wave p.wave is complete: it is the next one that waits.
  if (p.status === 'AwaitingApproval' && i === p.wave + 1) return 'awaiting approval';
  if (w.started > 0 && !isFinalStatus(p.status)) return p.status === 'Paused' ? 'paused' : 'running';
  if (isFinalStatus(p.status)) return w.started > 0 ? 'done' : 'not started';
  return 'waiting';
}

/** The rows worth showing when there are many waves: those around the current one. */
export function visibleRows(rows: WaveRow[], current: number, max: number): { rows: WaveRow[]; hidden: boolean } {
  if (rows.length <= max) return { rows, hidden: false };
  const start = Math.max(0, Math.min(current - 2, rows.length - max));
  return { rows: rows.slice(start, start + max), hidden: true };
}

/** The numeric columns of the wave table, shared by the text table and the live view (which adds a bar). */
export const WAVE_COLUMNS_HEADER = ' wave     size  started     done';
export const WAVE_TABLE_HEADER = `${WAVE_COLUMNS_HEADER}  state`;

export function waveColumns(r: WaveRow): string {
  return ` ${String(r.number).padStart(4)} ${String(r.size).padStart(8)} ${String(r.started).padStart(8)} ${String(r.done).padStart(8)}`;
}

export function formatWaveRow(r: WaveRow): string {
  return `${waveColumns(r)}  ${r.state}`;
}

/** `succeeded 31 · failed 1 · running 20 · pending 148` (canceled and not-started only when there are some). */
export function countsSummary(p: RolloutProgress): string {
  const c = p.counts;
  const parts = [`succeeded ${c.Succeeded}`, `failed ${c.Failed}`];
  if (c.Canceled) parts.push(`canceled ${c.Canceled}`);
  parts.push(`running ${c.Running}`, `pending ${c.Pending}`);
  if (c.NotStarted) parts.push(`not started ${c.NotStarted}`);
  return parts.join(' · ');
}

export function doneCount(p: RolloutProgress): number {
  return p.counts.Succeeded + p.counts.Failed + p.counts.Canceled;
}

/** The header of a progress view: who, what, where it stands, how long. */
export function progressHeadline(p: RolloutProgress): string {
  const parts = [`rollout ${p.rolloutId}`, `runbook ${p.runbookName}`, p.status];
  if (p.waves.length) parts.push(`wave ${Math.min(p.wave + 1, p.waves.length)}/${p.waves.length}`);
  parts.push(`elapsed ${formatDuration(p.elapsedMs)}`);
  if (p.estimateMs !== undefined && !isFinalStatus(p.status)) parts.push(`eta ${formatDuration(p.estimateMs)}`);
  return parts.join(' · ');
}

/** What `fleetcmd status` prints for a rollout still under way. */
export function formatProgress(p: RolloutProgress): string {
  const c = p.counts;
  const lines = [progressHeadline(p)];
  if (p.status !== 'Resolving') {
    lines.push(`${p.total} targets: ${countsSummary(p)} (maxConcurrency ${p.maxConcurrency}, maxErrors ${p.maxErrors})`);
    lines.push(WAVE_TABLE_HEADER);
    const { rows, hidden } = visibleRows(waveRows(p), p.wave, 12);
    if (hidden) lines.push(`      (waves ${rows[0].number}-${rows[rows.length - 1].number} of ${p.waves.length})`);
    rows.forEach((r) => lines.push(formatWaveRow(r)));
  }
  if (p.failures.length) {
    const shown = p.failures.slice(0, 10);
    const names = targetNames(shown.map((f) => f.key));
    lines.push(...subscriptionLine(names));
    lines.push(`failures (${c.Failed}):`);
    shown.forEach((f) => lines.push(`  ${names.show(f.key)}: ${f.reason}`));
    if (c.Failed > 10) lines.push(`  … and ${c.Failed - 10} more`);
  }
  p.approvals.forEach((a) => lines.push(formatApproval(a)));
  if (p.stopReason) lines.push(`stopping: ${p.stopReason}`);
  return lines.join('\n');
}

/** An approval is recorded against the wave that had just completed: it opened the next one. */
export function formatApproval(a: ApprovalRecord): string {
  return `approved after wave ${a.wave + 1} by ${a.by} at ${a.at}${a.note ? ` ("${a.note}")` : ''}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function clock(at: Date): string {
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
