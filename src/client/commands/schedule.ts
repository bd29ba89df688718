import { Option, type Command } from 'commander';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import { CliError, type CliContext } from '../context';
import {
  CALENDAR_SYNTAX,
  OVERLAP_POLICIES,
  ScheduleOptionsError,
  formatDuration,
  parseDuration,
  scheduleSpecOf,
  type CreateScheduleOptions,
  type OverlapPolicy,
} from '../schedule-spec';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
  type ScheduleDetails,
  type ScheduledRollout,
} from '../schedules';
import { ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP, guardPlaintextSecrets } from '../plaintext-secrets';

/**
 * `fleetcmd schedule ...`: maintenance schedules on Temporal Schedules. Every
 * flag is checked before Temporal is called, so a typo creates nothing and
 * exits 2 naming the flag.
 */
export function registerSchedule(program: Command, ctx: CliContext): void {
  const schedule = program.command('schedule').description('run a runbook on a calendar, each firing a rollout of its own (Temporal Schedules)');

  schedule
    .command('create')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .requiredOption('--id <scheduleId>', "the schedule's id; each firing's rollout id is <scheduleId>-<time>")
    .option('--cron <expr>', 'cron expression, e.g. "0 2 * * SAT" (repeatable)', collect, [])
    .option('--calendar <spec>', 'calendar, e.g. "dayOfWeek=SAT hour=2 minute=0" or JSON (repeatable; see below)', collect, [])
    .option('--every <duration>', 'fixed interval from the Unix epoch, e.g. 6h')
    .option('--timezone <iana>', 'time zone of cron and calendar times, e.g. Europe/Paris (default UTC)')
    .option('--window <duration>', 'maintenance window of each firing, e.g. 2h, 90m, 1h30m: no target starts after it')
    .addOption(new Option('--overlap <policy>', 'a firing while the last rollout runs').choices(OVERLAP_POLICIES).default('skip'))
    .option('--catchup-window <duration>', 'how late a missed firing may still start after a Temporal outage', '10m')
    .option('--paused', 'create it paused (trigger still works)')
    .option('--note <text>', "a note kept on the schedule (e.g. the change ticket)")
    .option('--subscription <id>', "subscription of the runbook's targets when the runbook names none (default FLEETCMD_SUBSCRIPTION_ID)")
    .option(ALLOW_PLAINTEXT_SECRETS_FLAG, ALLOW_PLAINTEXT_SECRETS_HELP)
    .description('create a schedule that rolls the runbook out at the given times')
    .addHelpText('after', `\nGive exactly one of --cron, --calendar or --every.\n${CALENDAR_SYNTAX}\n`)
    .action(async (file: string, opts: CreateFlags) => {
      const times = (['cron', 'calendar', 'every'] as const).filter((k) => (k === 'every' ? opts.every !== undefined : opts[k].length > 0));
      if (times.length === 0) throw new CliError('give one of --cron, --calendar or --every: when the schedule fires');
      if (times.length > 1) throw new CliError(`${times.map((t) => `--${t}`).join(' and ')} cannot be combined: give one of them`);
      const windowSeconds = opts.window !== undefined ? flagDuration('--window', opts.window) : undefined;
      const catchupWindowSeconds = flagDuration('--catchup-window', opts.catchupWindow);
      if (opts.every !== undefined) flagDuration('--every', opts.every);

      const runbook = await ctx.loadRunbook(file);
      guardPlaintextSecrets(ctx.io, runbook, opts.allowPlaintextSecrets);
      const { taskQueue } = ctx.temporal();
      const defaultSubscriptionId = opts.subscription ?? ctx.io.env.FLEETCMD_SUBSCRIPTION_ID;
      const options: CreateScheduleOptions = {
        scheduleId: opts.id,
        runbook,
        taskQueue,
        ...(opts.cron.length ? { cron: opts.cron } : {}),
        ...(opts.calendar.length ? { calendar: opts.calendar } : {}),
        ...(opts.every !== undefined ? { every: opts.every } : {}),
        ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
        ...(windowSeconds !== undefined ? { windowSeconds } : {}),
        overlap: opts.overlap,
        catchupWindowSeconds,
        ...(opts.paused ? { paused: true } : {}),
        ...(opts.note ? { note: opts.note } : {}),
        ...(defaultSubscriptionId ? { defaultSubscriptionId } : {}),
      };
      try {
        scheduleSpecOf(options);
      } catch (err) {
        throw withFlagName(err);
      }

      await ctx.withClient(async (client) => {
        try {
          await createSchedule(client, options);
        } catch (err) {
          if (err instanceof ScheduleAlreadyRunning) throw new CliError(`--id: schedule "${opts.id}" exists already; delete it first or choose another id`);
          throw withFlagName(err);
        }
        const details = await describeSchedule(client, opts.id);
        ctx.io.out(`created schedule ${opts.id}\n${formatDetails(details, { nextRuns: 3 })}`);
      });
    });

  schedule
    .command('list')
    .option('--json', 'print JSON')
    .description("list fleetcmd's schedules (new ones show up within a second or so)")
    .action(async (opts: { json?: boolean }) => {
      await ctx.withClient(async (client) => {
        const schedules = await listSchedules(client);
        if (opts.json) {
          ctx.io.out(`${JSON.stringify(schedules, null, 2)}\n`);
          return;
        }
        if (!schedules.length) {
          ctx.io.out('no schedules\n');
          return;
        }
        const rows = schedules.map((s) => [
          s.scheduleId,
          s.runbook ?? '?',
          s.paused ? 'paused' : 'active',
          s.nextRuns[0] && !s.paused ? isoSeconds(s.nextRuns[0]) : '-',
          s.when ?? '?',
          s.lastRolloutId ?? '-',
        ]);
        ctx.io.out(table([['ID', 'RUNBOOK', 'STATE', 'NEXT RUN', 'WHEN', 'LAST ROLLOUT'], ...rows]));
      });
    });

  schedule
    .command('describe')
    .argument('<id>', 'schedule id')
    .option('--json', 'print JSON')
    .description('show a schedule: times, window, next runs, and its recent rollouts with their status')
    .action(async (id: string, opts: { json?: boolean }) => {
      await onSchedule(ctx, id, async (client) => {
        const details = await describeSchedule(client, id);
        ctx.io.out(opts.json ? `${JSON.stringify(details, null, 2)}\n` : `schedule ${id}\n${formatDetails(details, { nextRuns: 5 })}`);
      });
    });

  schedule
    .command('pause')
    .argument('<id>', 'schedule id')
    .option('--note <text>', 'why (shown by describe and list)')
    .description('stop firing until unpaused; running rollouts go on (steer them by their ids)')
    .action(async (id: string, opts: { note?: string }) => {
      await onSchedule(ctx, id, async (client) => {
        await pauseSchedule(client, id, opts.note ? { note: opts.note } : {});
        ctx.io.out(`paused schedule ${id}\n`);
      });
    });

  schedule
    .command('unpause')
    .argument('<id>', 'schedule id')
    .option('--note <text>', 'why')
    .description('fire again at the next scheduled time')
    .action(async (id: string, opts: { note?: string }) => {
      await onSchedule(ctx, id, async (client) => {
        await unpauseSchedule(client, id, opts.note ? { note: opts.note } : {});
        const next = (await describeSchedule(client, id)).nextRuns[0];
        ctx.io.out(`unpaused schedule ${id}${next ? `; next run ${isoSeconds(next)}` : ''}\n`);
      });
    });

  schedule
    .command('trigger')
    .argument('<id>', 'schedule id')
    .addOption(new Option('--overlap <policy>', "overlap policy for this firing (default: the schedule's)").choices(OVERLAP_POLICIES))
    .description('start a rollout now, even when the schedule is paused (exit 1 when skipped because one is running)')
    .action(async (id: string, opts: { overlap?: OverlapPolicy }) => {
      await onSchedule(ctx, id, async (client) => {
        const result = await triggerSchedule(client, id, opts.overlap ? { overlap: opts.overlap } : {});
        if (result.rolloutId) {
          ctx.io.out(`triggered schedule ${id}: rollout ${result.rolloutId}\n`);
        } else if (result.skippedOverlap) {
          const { running, overlap } = await describeSchedule(client, id);
          ctx.io.err(`skipped: rollout ${running.join(', ') || '(one)'} is still running and the overlap policy is ${overlap}; pass --overlap allowAll to start another at once\n`);
          ctx.setExitCode(1);
        } else {
          ctx.io.out(`triggered schedule ${id}; the rollout has not shown yet (fleetcmd schedule describe ${id})\n`);
        }
      });
    });

  schedule
    .command('delete')
    .argument('<id>', 'schedule id')
    .description('delete the schedule; rollouts it started keep running')
    .action(async (id: string) => {
      await onSchedule(ctx, id, async (client) => {
        const { running } = await describeSchedule(client, id);
        await deleteSchedule(client, id);
        ctx.io.out(`deleted schedule ${id}${running.length ? `; still running: ${running.join(', ')}` : ''}\n`);
      });
    });
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

interface CreateFlags {
  id: string;
  cron: string[];
  calendar: string[];
  every?: string;
  timezone?: string;
  window?: string;
  overlap: OverlapPolicy;
  catchupWindow: string;
  paused?: boolean;
  note?: string;
  subscription?: string;
  allowPlaintextSecrets?: boolean;
}

const FLAG_OF: Partial<Record<keyof CreateScheduleOptions, string>> = {
  scheduleId: '--id',
  cron: '--cron',
  calendar: '--calendar',
  every: '--every',
  timezone: '--timezone',
  windowSeconds: '--window',
  overlap: '--overlap',
  catchupWindowSeconds: '--catchup-window',
  taskQueue: '--task-queue',
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function flagDuration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`);
  }
}

/** A ScheduleOptionsError as a CliError (exit 2) naming the flag it came from; other errors as they are. */
function withFlagName(err: unknown): unknown {
  return err instanceof ScheduleOptionsError ? new CliError(`${FLAG_OF[err.option] ?? err.option}: ${err.message}`) : err;
}

/** Runs `fn` with a client; an unknown schedule id is bad input (exit 2), not a crash. */
async function onSchedule(ctx: CliContext, id: string, fn: (client: Parameters<Parameters<CliContext['withClient']>[0]>[0]) => Promise<void>): Promise<void> {
  await ctx.withClient(async (client) => {
    try {
      await fn(client);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new CliError(`no schedule "${id}" (fleetcmd schedule list shows them)`);
      throw err;
    }
  });
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A time in UTC and, for a schedule in another zone, on the schedule's own clock. */
function when(date: Date, timezone?: string): string {
  if (!timezone) return isoSeconds(date);
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(date);
  return `${isoSeconds(date)} (${local} ${timezone})`;
}

function formatDetails(d: ScheduleDetails, options: { nextRuns: number }): string {
  const lines: [string, string][] = [
    ['runbook', `${d.runbook}${d.taskQueue ? ` (task queue ${d.taskQueue})` : ''}`],
    ['when', d.when],
    ['window', d.windowSeconds ? `${formatDuration(d.windowSeconds)} from each rollout's start` : 'none'],
    ['overlap', d.overlap],
    ['catch-up', formatDuration(d.catchupWindowSeconds)],
    ['state', d.paused ? `paused${d.note ? `: ${d.note}` : ''}` : `active${d.note ? ` (${d.note})` : ''}`],
    ['actions', `${d.actionsTaken} taken, ${d.skippedOverlap} skipped (overlap), ${d.missedCatchupWindow} missed (catch-up window)`],
    ['next runs', d.paused ? '- (paused)' : d.nextRuns.slice(0, options.nextRuns).map((t) => when(t, d.timezone)).join('\n') || '-'],
    ['running', d.running.join('\n') || '-'],
  ];
  let out = lines.map(([k, v]) => v.split('\n').map((line, i) => `  ${(i === 0 ? k : '').padEnd(10)} ${line}`).join('\n')).join('\n');
  out += '\n  recent rollouts';
  out += d.recentActions.length ? `\n${table(d.recentActions.map(actionRow), '    ')}` : ' none\n';
  return out;
}

function actionRow(a: ScheduledRollout): string[] {
  const c = a.counts;
  const counts = c ? `${c.Succeeded} succeeded, ${c.Failed} failed, ${c.NotStarted} not started${c.Canceled ? `, ${c.Canceled} canceled` : ''}` : '';
  return [isoSeconds(a.takenAt), a.rolloutId, a.status, [counts, a.stopReason].filter(Boolean).join('; ')];
}

function table(rows: string[][], indent = ''): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `${indent}${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd()).join('\n') + '\n';
}
