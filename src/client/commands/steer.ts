import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Command } from 'commander';
import { defaultActor } from '../actor';
import { CliError, type CliContext } from '../context';
import { progressLine } from '../progress';
import { lookupRollout } from '../rollout-lookup';
import { steer } from '../rollouts';

/**
 * The verbs that steer a running rollout: pause, resume, cancel, approve.
 * Each is a Temporal Update: the rollout validates it (a rejection's reason
 * is printed, exit 2) and answers with its progress once applied.
 */
type Verb = 'approve' | 'pause' | 'resume' | 'cancel';

interface SteerOptions {
  by?: string;
  note?: string;
  reason?: string;
}

const WHAT_HAPPENED: Record<Verb, string> = {
  pause: 'paused: no new target starts; targets in flight finish',
  resume: 'resumed',
  cancel: 'cancel requested: no new target starts; in-flight run commands are being deleted',
  approve: 'approved: the next wave starts',
};

export function registerPause(program: Command, ctx: CliContext): void {
  steerCommand(program, ctx, 'pause', 'stop starting new targets (targets in flight finish)');
}

export function registerResume(program: Command, ctx: CliContext): void {
  steerCommand(program, ctx, 'resume', 'start new targets again after a pause');
}

export function registerCancel(program: Command, ctx: CliContext): void {
  steerCommand(program, ctx, 'cancel', 'stop the rollout: no new starts, in-flight run commands deleted (their scripts killed)').option(
    '--reason <text>',
    'why, recorded in the report',
  );
}

export function registerApprove(program: Command, ctx: CliContext): void {
  steerCommand(program, ctx, 'approve', 'let a rollout waiting for approval start its next wave').option('--note <text>', 'recorded with the approval');
}

function steerCommand(program: Command, ctx: CliContext, verb: Verb, description: string): Command {
  return program
    .command(verb)
    .argument('<rolloutId>', 'the rollout (its workflow id)')
    .option('--by <name>', 'who does it, recorded by the rollout (default: $USER, or the OS user name)')
    .description(description)
    .action(async (rolloutId: string, opts: SteerOptions) => {
      const by = (opts.by ?? defaultActor(ctx.io.env))?.trim();
      if (!by) throw new CliError(`--by: ${opts.by === undefined ? 'no user name found ($USER is unset)' : 'empty'}; say who you are with --by <name>`);
      for (const flag of ['note', 'reason'] as const) {
        if (opts[flag] !== undefined && !opts[flag]?.trim()) throw new CliError(`--${flag}: empty; leave it out or write some text`);
      }
      await ctx.withClient(async (client) => {
        const found = await lookupRollout(client, rolloutId);
        if (found.kind !== 'running') {
          const how = found.kind === 'finished' ? found.report.status : found.temporalStatus;
          throw new CliError(`${verb}: rollout ${rolloutId} has already ended (${how}); there is nothing to ${verb}`);
        }
        let progress;
        try {
          progress = await steer(found.handle, verb, { by, ...(opts.note ? { note: opts.note } : {}), ...(opts.reason ? { reason: opts.reason } : {}) });
        } catch (err) {
          // The rollout's validator said no: its reason is the message.
          if (err instanceof WorkflowUpdateFailedError) {
            const reason = err.cause?.message ?? err.message;
            // A rollout of an older fleetcmd took updates only once its targets were resolved.
            if (reason.startsWith('No registered handler')) throw new CliError(`${verb}: rollout ${rolloutId} is still resolving its targets; try again in a moment`);
            throw new CliError(reason);
          }
          if (err instanceof WorkflowNotFoundError) throw new CliError(`${verb}: rollout ${rolloutId} ended before the ${verb} reached it`);
          throw err;
        }
        ctx.io.out(`rollout ${rolloutId} ${WHAT_HAPPENED[verb]} (by ${by})\n${progressLine(progress, new Date())}\n`);
      });
    });
}
