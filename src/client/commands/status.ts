import { Option, type Command } from 'commander';
import type { RolloutProgress } from '../../runbook/rollout';
import type { CliContext, CliIo } from '../context';
import { LiveProgressView } from '../live-progress';
import { formatProgress, progressLine, progressState } from '../progress';
import { formatRolloutReport, reportExitCode } from '../report';
import { lookupRollout, progressNow, type RolloutLookup } from '../rollout-lookup';
import { watchRollout, type RolloutEnd } from '../watch';

type Output = 'text' | 'json';

/** Progress arrives once a second; the terminal view redraws from it. */
const WATCH_INTERVAL_MS = 1_000;

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .argument('<rolloutId>', 'the rollout (its workflow id)')
    .option('--watch', 'follow the rollout until it ends: a live view on a terminal, a line per change otherwise; then the report')
    .addOption(new Option('--output <format>', 'text, or json: the progress or the report as the rollout returns it (with --watch, one object per line per change, the report last)').choices(['text', 'json']).default('text'))
    .description("a rollout's progress (counts, waves, failures), or its report once it ended; exit code 1 when a finished rollout left targets unsucceeded")
    .action(async (rolloutId: string, opts: { watch?: boolean; output: Output }) => {
      await ctx.withClient(async (client) => {
        if (!opts.watch) {
          await showOnce(ctx, await lookupRollout(client, rolloutId), opts.output);
          return;
        }
        const view = watchView(ctx.io, opts.output);
        let end: RolloutEnd;
        try {
          end = await watchRollout(client, rolloutId, { intervalMs: WATCH_INTERVAL_MS, onProgress: (p) => view.progress(p) });
          // The report is the last progress too: the view ends on the final counts (JSON prints the report itself, once).
          if (end.kind === 'finished' && opts.output === 'text') view.progress(end.report);
        } finally {
          view.close();
        }
        showEnd(ctx, end, opts.output, { compact: true });
      });
    });
}

async function showOnce(ctx: CliContext, found: RolloutLookup, output: Output): Promise<void> {
  if (found.kind !== 'running') return showEnd(ctx, found, output, { compact: false });
  // Only a running rollout is queried: a query needs a worker, a finished rollout's report does not.
  const progress = await progressNow(found);
  ctx.io.out(output === 'json' ? `${json(progress, false)}\n` : `${formatProgress(progress)}\n`);
}

function showEnd(ctx: CliContext, end: RolloutEnd, output: Output, options: { compact: boolean }): void {
  if (end.kind === 'ended') {
    ctx.io.out(output === 'json' ? `${json({ rolloutId: end.handle.workflowId, temporalStatus: end.temporalStatus, message: end.message }, options.compact)}\n` : `${end.message}\n`);
    ctx.setExitCode(1);
    return;
  }
  ctx.io.out(output === 'json' ? `${json(end.report, options.compact)}\n` : `${formatRolloutReport(end.report)}\n`);
  ctx.setExitCode(reportExitCode(end.report));
}

interface WatchView {
  progress(p: RolloutProgress): void;
  /** Ends the view (the live one leaves its last frame on screen) before the report is printed. */
  close(): void;
}

/** On a terminal, the live view; piped, one line (or JSON object) per change and never an escape code. */
function watchView(io: CliIo, output: Output): WatchView {
  if (output === 'text' && io.isTTY) {
    const live = new LiveProgressView({ write: (text) => io.out(text), columns: io.columns });
    return { progress: (p) => live.update(p), close: () => live.stop() };
  }
  let last: string | undefined;
  return {
    progress(p) {
      const state = progressState(p);
      if (state === last) return;
      last = state;
      io.out(output === 'json' ? `${json(p, true)}\n` : `${progressLine(p, new Date())}\n`);
    },
    close: () => undefined,
  };
}

function json(value: unknown, compact: boolean): string {
  return compact ? JSON.stringify(value) : JSON.stringify(value, null, 2);
}
