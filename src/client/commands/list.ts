import type { Command } from 'commander';
import type { RolloutStatus } from '../../runbook/rollout';
import { FleetcmdRunbook, FleetcmdStatus } from '../../workflows/search-attributes';
import { CliError, type CliContext } from '../context';

const STATUSES: readonly RolloutStatus[] = ['Resolving', 'Running', 'Paused', 'AwaitingApproval', 'Stopping', 'Completed', 'Stopped', 'Canceled'];

/**
 * `fleetcmd list`: rollouts from Temporal's visibility store, found by the
 * search attributes the rollout keeps current (FleetcmdRunbook,
 * FleetcmdStatus) — the same ones the Temporal UI filters by.
 */
export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .option('--status <status>', `only rollouts in this status (${STATUSES.join(', ')})`)
    .option('--runbook <name>', 'only rollouts of this runbook')
    .option('--limit <n>', 'at most this many, newest first', '50')
    .description('list rollouts: id, runbook, status, start time')
    .action(async (opts: { status?: string; runbook?: string; limit: string }) => {
      const status = opts.status === undefined ? undefined : statusFlag(opts.status);
      if (opts.runbook !== undefined && !opts.runbook.trim()) throw new CliError('--runbook: empty; give a runbook name');
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit ${JSON.stringify(opts.limit)}: expected a whole number of at least 1`);
      const query = [
        "WorkflowType = 'rollout'",
        ...(status ? [`${FleetcmdStatus.name} = ${quote(status)}`] : []),
        ...(opts.runbook ? [`${FleetcmdRunbook.name} = ${quote(opts.runbook)}`] : []),
      ].join(' AND ');
      await ctx.withClient(async (client) => {
        const rows: string[][] = [];
        for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
          const saStatus = w.typedSearchAttributes.get(FleetcmdStatus) ?? '';
          // An execution closed from outside (terminated, timed out) never updated its FleetcmdStatus.
          const closedOutside = w.status.name !== 'RUNNING' && w.status.name !== 'COMPLETED';
          const shown = closedOutside ? `${saStatus ? `${saStatus}, ` : ''}${w.status.name.toLowerCase()}` : saStatus || w.status.name;
          rows.push([w.workflowId, w.typedSearchAttributes.get(FleetcmdRunbook) ?? '', shown, w.startTime.toISOString()]);
          if (rows.length >= limit) break;
        }
        if (rows.length === 0) {
          ctx.io.err(`no rollouts${status ? ` with status ${status}` : ''}${opts.runbook ? ` of runbook ${opts.runbook}` : ''}\n`);
          return;
        }
        ctx.io.out(`${table([['ROLLOUT', 'RUNBOOK', 'STATUS', 'STARTED'], ...rows])}\n`);
      });
    });
}

function statusFlag(value: string): RolloutStatus {
  const match = STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!match) throw new CliError(`--status ${JSON.stringify(value)}: expected one of ${STATUSES.join(', ')}`);
  return match;
}

/** A visibility-query string literal. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}
