import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { armErrorInfo } from '../../activities/arm-errors';
import { ComputeClients } from '../../activities/compute';
import { dedupeAndSort, resolve } from '../../activities/targets';
import { azureConfigFromEnv } from '../../azure/config';
import { targetKey, type StepPlan, type TargetRef } from '../../runbook/execution';
import { MAX_CONCURRENCY, cutWaves, resolveConcurrency, resolveCount } from '../../runbook/plan';
import type { Runbook } from '../../runbook/runbook';
import { planRunbook } from '../../runbook/to-plan';
import { CliError, type CliContext } from '../context';
import { rolloutIdFlag } from '../flags';
import { subscriptionLine, targetNames } from '../target-names';
import { newRolloutId } from '../ids';

/**
 * `fleetcmd plan`: what a start would do, with nothing started — the targets
 * as ARM lists them now (the same resolution the rollout runs), the waves
 * they fall into, the limits in numbers, and each step's run-command name.
 */
export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .argument('<file>', 'runbook (YAML or JSON) or ARM template')
    .option('--id <rolloutId>', 'show the run-command names of this rollout id (they derive from it; default: a generated id)')
    .option('--subscription <id>', 'subscription of the targets when the runbook names none (default: FLEETCMD_SUBSCRIPTION_ID)')
    .description('resolve the targets through ARM and show waves, limits and run-command names; start nothing')
    .action(async (file: string, opts: { id?: string; subscription?: string }) => {
      const rolloutId = rolloutIdFlag(opts.id);
      const runbook = await ctx.loadRunbook(file);
      const subscriptionId = runbook.targets.subscriptionId ?? opts.subscription ?? ctx.io.env.FLEETCMD_SUBSCRIPTION_ID;
      if (!subscriptionId) throw new CliError('--subscription: the runbook names no targets.subscriptionId and FLEETCMD_SUBSCRIPTION_ID is unset');
      const targets = await resolveTargets(ctx, subscriptionId, runbook);
      const id = rolloutId ?? newRolloutId(runbook.name);
      ctx.io.out(`${formatPlan(runbook, { rolloutId: id, generatedId: !rolloutId, subscriptionId, targets })}\n`);
    });
}

async function resolveTargets(ctx: CliContext, subscriptionId: string, runbook: Runbook): Promise<TargetRef[]> {
  let compute: ComputeClients;
  try {
    compute = new ComputeClients(azureConfigFromEnv(ctx.io.env));
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  let targets: TargetRef[];
  try {
    targets = dedupeAndSort(await resolve(compute, subscriptionId, runbook.targets));
  } catch (err) {
    // A selection ARM cannot satisfy (no VM of that name, a missing instance) is the runbook's problem: exit 2.
    if (err instanceof ApplicationFailure) throw new CliError(err.message);
    const info = armErrorInfo(err);
    throw new CliError(`listing targets through ARM failed: ${info.code}: ${info.message}`, 1);
  }
  if (targets.length === 0) throw new CliError('targets: the selection matched no machines; a rollout of it would fail');
  return targets;
}

function formatPlan(runbook: Runbook, p: { rolloutId: string; generatedId: boolean; subscriptionId: string; targets: TargetRef[] }): string {
  const total = p.targets.length;
  const { rollout } = runbook;
  const waves = cutWaves(total, rollout.waves);
  const plan = planRunbook(runbook, { rolloutId: p.rolloutId });
  const lines = [`runbook ${runbook.name} (${runbook.location}): ${runbook.steps.length} step(s)${runbook.onFailure.length ? `, ${runbook.onFailure.length} onFailure step(s)` : ''}`];
  lines.push(`rollout id ${p.rolloutId}${p.generatedId ? ' (generated; run-command names derive from the id: pass --id to see those of a given rollout)' : ''}`);

  lines.push(`targets: ${total}, resolved through ARM in subscription ${p.subscriptionId}`);
  const names = targetNames(p.targets.map(targetKey));
  // Said once more only when the targets are all elsewhere (machines named by resource id).
  if (names.subscriptionId !== p.subscriptionId.toLowerCase()) lines.push(...subscriptionLine(names));
  lines.push(`waves: ${waves.length} (${waves.join(', ')})`);
  let next = 0;
  waves.forEach((size, i) => {
    lines.push(`  wave ${i + 1}: ${size} target${size === 1 ? '' : 's'}`);
    p.targets.slice(next, next + size).forEach((t) => lines.push(`    ${names.show(targetKey(t))}`));
    next += size;
  });

  const concurrency = resolveConcurrency(rollout.maxConcurrency, total);
  const maxErrors = resolveCount(rollout.maxErrors, total);
  const asked = resolveCount(rollout.maxConcurrency, total);
  lines.push(
    `maxConcurrency: ${JSON.stringify(rollout.maxConcurrency)} -> ${concurrency.count} target(s) at once${concurrency.capped ? ` (capped: ${rollout.maxConcurrency} of ${total} is ${asked}, more than the ${MAX_CONCURRENCY} one rollout keeps in flight)` : ''}`,
  );
  lines.push(`maxErrors: ${JSON.stringify(rollout.maxErrors)} -> ${maxErrors} failure(s) tolerated; failure ${maxErrors + 1} stops new starts`);
  lines.push(`approval: ${rollout.approval}${APPROVAL_MEANING[rollout.approval]}`);

  lines.push('steps (run-command names):');
  lines.push(...stepLines(plan.steps));
  if (plan.onFailure?.length) {
    lines.push('onFailure steps (run on targets whose runbook failed):');
    lines.push(...stepLines(plan.onFailure));
  }
  lines.push('nothing was started');
  return lines.join('\n');
}

const APPROVAL_MEANING: Record<Runbook['rollout']['approval'], string> = {
  none: '',
  afterFirstWave: ' (waits for `fleetcmd approve` after wave 1)',
  betweenWaves: ' (waits for `fleetcmd approve` after every wave but the last)',
};

function stepLines(steps: StepPlan[]): string[] {
  const width = Math.max(...steps.map((s) => s.name.length));
  return steps.map((s) => `  ${s.name.padEnd(width)}  ${s.runCommandName}${s.dependsOn.length ? `  after ${s.dependsOn.join(', ')}` : ''}`);
}
