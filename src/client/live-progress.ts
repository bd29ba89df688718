import { Writable } from 'node:stream';
import { MultiBar, type SingleBar } from 'cli-progress';
import type { RolloutProgress } from '../runbook/rollout';
import {
  WAVE_COLUMNS_HEADER,
  countsSummary,
  doneCount,
  progressHeadline,
  visibleRows,
  waveColumns,
  waveRows,
} from './progress';

/**
 * `fleetcmd status --watch` on a terminal: a headline, one bar for the whole
 * fleet and a table of waves with a bar each, redrawn in place. Every line
 * is a cli-progress bar of one MultiBar, so the library owns the cursor
 * arithmetic; text-only lines are bars whose format prints no bar.
 */
export interface TerminalOutput {
  write(text: string): void;
  /** The terminal's width, when known. */
  columns?(): number | undefined;
}

/** Most wave rows shown; a rollout of `[1]` over 500 targets has 500 waves. */
const MAX_WAVE_ROWS = 8;
const ROW_BAR_SIZE = 20;

export class LiveProgressView {
  private readonly multibar: MultiBar;
  private headline?: SingleBar;
  private overall?: SingleBar;
  private readonly rows: SingleBar[] = [];
  private stopped = false;

  constructor(output: TerminalOutput) {
    this.multibar = new MultiBar({
      stream: new TerminalStream(output),
      // A redraw happens only when a line changed; progress arrives once a second.
      fps: 5,
      // The cursor stays visible and line wrapping untouched, so Ctrl-C leaves a sane terminal.
      hideCursor: false,
      linewrap: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
      barsize: 40,
      format: '{line}',
    });
  }

  update(p: RolloutProgress): void {
    if (this.stopped) return;
    const headline = progressHeadline(p);
    if (!this.headline) this.headline = this.multibar.create(1, 0, { line: headline });
    else this.headline.update({ line: headline });
    if (p.waves.length === 0) return; // still resolving targets: nothing to measure yet

    if (!this.overall) {
      this.overall = this.multibar.create(p.total, doneCount(p), { counts: countsSummary(p) }, { format: '{bar} {value}/{total} done · {counts}' });
      this.multibar.create(1, 0, { line: `${WAVE_COLUMNS_HEADER}  ${'progress'.padEnd(ROW_BAR_SIZE)}  state` });
    } else {
      this.overall.update(doneCount(p), { counts: countsSummary(p) });
    }

    const { rows, hidden } = visibleRows(waveRows(p), p.wave, MAX_WAVE_ROWS);
    rows.forEach((r, i) => {
      const payload = { columns: waveColumns(r), state: r.state + (hidden && i === rows.length - 1 ? ` (${p.waves.length} waves)` : '') };
      const bar = this.rows[i];
      if (!bar) {
        this.rows.push(this.multibar.create(r.size, r.done, payload, { format: '{columns}  {bar}  {state}', barsize: ROW_BAR_SIZE }));
      } else {
        bar.setTotal(r.size);
        bar.update(r.done, payload);
      }
    });
  }

  /** Draws the last state and leaves the cursor below it, for the report. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multibar.stop();
  }
}

/** cli-progress writes to a stream; this one forwards to the CLI's output and says it is a terminal. */
class TerminalStream extends Writable {
  readonly isTTY = true;

  constructor(private readonly output: TerminalOutput) {
    super({ decodeStrings: false });
  }

  get columns(): number {
    return this.output.columns?.() ?? 100;
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.output.write(typeof chunk === 'string' ? chunk : String(chunk));
    callback();
  }
}
